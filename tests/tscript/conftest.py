"""Fixtures for the TScript tests (no Django needed: run with -p no:django --confcutdir=tests/tscript)."""

import pytest
from tscript_helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()
