"""Fixtures for the foreman tests: blueprints with scripts, targets on them, and a worker pass helper."""

import pytest

from contractor.foreman.worker import Worker
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory, StructureFactory

TEST_MODULES = ["tests.contractor.foreman.modules.remote_module", "tests.contractor.foreman.modules.effects_module"]


@pytest.fixture(autouse=True)
def test_modules(settings):
    settings.FOREMAN_TSCRIPT_MODULES = TEST_MODULES
    settings.FOREMAN_SIGNAL_POLL_SECONDS = 0


@pytest.fixture
def foundation_with(db):
    """A manual foundation whose blueprint has the given scripts (name -> source)."""

    def make(locator=None, **scripts):
        blueprint = FoundationBluePrintFactory()
        for name, source in scripts.items():
            ScriptFactory(blueprint=blueprint, name=name, script=source)
        extra = {"locator": locator} if locator else {}
        return ManualFoundationFactory(blueprint=blueprint, **extra)

    return make


@pytest.fixture
def structure_with(db):
    """A structure (on a manual foundation) whose blueprint has the given scripts."""

    def make(foundation=None, **scripts):
        structure = StructureFactory(**({"foundation": foundation, "site": foundation.site} if foundation else {}))
        for name, source in scripts.items():
            ScriptFactory(blueprint=structure.blueprint, name=name, script=source)
        return structure

    return make


@pytest.fixture
def run_worker():
    """Run worker passes until nothing is runnable (at most `passes`); returns the steps taken."""

    def run(passes=50):
        worker, total = Worker(batch=100), 0
        for _ in range(passes):
            stepped = worker.run_once()
            total += stepped
            if not stepped:
                break
        return total

    return run
