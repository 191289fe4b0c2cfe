"""Fixtures for the subcontractor tests. Imports nothing from Django: ``pytest tests/subcontractor -p no:django``."""

import sys
from pathlib import Path

import pytest
from subcontractor_support import TOKEN, Bmc, StubContractor, need_binary

from subcontractor.config import config_parse


@pytest.fixture
def contractor():
    stub = StubContractor()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def make_config(tmp_path, contractor):
    """Build a validated Config pointing at the stub; keyword sections override the defaults."""

    def make(modules=None, **sections):
        data = {
            "contractor": {"url": contractor.url, "token": TOKEN, "site": "lab", "poll_interval": 0.05},
            "modules": modules if modules is not None else {"iputils": 2},
            "daemon": {"spool_dir": str(tmp_path / "spool"), "backoff_initial": 0.05, "backoff_max": 0.2},
        }
        for name, values in sections.items():
            data[name] = {**data.get(name, {}), **values}
        return config_parse(data)

    return make


@pytest.fixture
def bmc(tmp_path):
    need_binary("ipmi_sim", "openipmi")
    sim = Bmc(tmp_path / "bmc")
    yield sim
    sim.stop()


# The VM lab (tests/vmlab.py) is shared with the end-to-end tests, so it lives one level up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vmlab import installer_image, libvirt_daemon, vm_accelerator, vm_lab  # noqa: E402, F401 - pytest fixtures
