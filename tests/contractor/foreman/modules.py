"""TScript modules for foreman tests: a remote call with rollback, a side effect counter and a slow function."""

import os
import time

from contractor.foreman.models import JobLog
from tscript import Module, Remote


def remote_module(context) -> Module:
    """`lab.power( port= )`: a remote task `power_on` that allows rollback (`power_off`)."""
    module = Module("lab")
    module.add_function(
        "power",
        Remote(
            task=lambda port=1: {"port": port, "password": "hunter2"},
            function="power_on",
            rollback=lambda port=1: {"port": port},
            rollback_function="power_off",
            result=lambda value: value["state"],
        ),
    )
    module.add_function("ping", Remote())
    return module


def effects_module(context) -> Module:
    """`effects.hit()`: records a JobLog row (target_kind 'hit') in the step's transaction; sleeps first if
    the file named by FOREMAN_TEST_SLOW_FILE exists, after writing FOREMAN_TEST_SLOW_FILE + '.started'."""
    module = Module("effects")

    def hit():
        slow = os.environ.get("FOREMAN_TEST_SLOW_FILE")
        JobLog.objects.create(target_kind="hit", target=str(context.job.pk), script_name="hit")
        if slow and os.path.exists(slow):
            with open(slow + ".started", "w") as started:
                started.write(str(context.job.pk))
            time.sleep(30)
        return True

    module.add_function("hit", hit)
    return module
