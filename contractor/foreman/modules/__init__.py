"""The TScript modules the foreman gives a job's script, and the hook plugins extend them through."""

import os
import time
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from contractor.foreman.modules.config import config_module
from contractor.foreman.modules.foundation import foundation_module
from contractor.foreman.modules.iputils import iputils_module
from contractor.foreman.modules.signaling import signaling_module
from contractor.foreman.modules.structure import structure_module
from contractor.foreman.modules.webhook import webhook_module
from contractor.plugins import plugin_configs

__all__ = ["JobContext", "modules_for"]


class JobContext:
    """What module functions know of the job they run in, and how they ask the foreman for a pause or a wait.

    `pause(message)`: the step ends and the job pauses with the message; on resume the function continues.
    `sleep(seconds)`: the job is not stepped again for that long (for functions that poll over several steps).
    `clock()`: the scripts' clock in seconds (the runner's, which tests move to pass time without sleeping).
    """

    def __init__(self, job, *, clock=time.time):
        self.job = job
        self.clock = clock
        self.pause_message: str | None = None
        self.sleep_until = None

    def pause(self, message: str) -> None:
        self.pause_message = message

    def sleep(self, seconds: float) -> None:
        self.sleep_until = timezone.now() + timedelta(seconds=seconds)

    @cached_property
    def foundation(self):
        """The foundation the job works on: its own, or the one under its structure."""
        job = self.job
        if job.foundation_id:
            return job.foundation.subclass
        structure = self.structure
        return structure.foundation.subclass if structure is not None else None

    @cached_property
    def structure(self):
        """The structure the job works on (a structure job, or the structure a dependency runs its script on)."""
        job = self.job
        if job.structure_id:
            return job.structure
        if job.dependency_id:
            return job.dependency.script_structure
        return getattr(job.foundation, "structure", None) if job.foundation_id else None


def _factory_paths() -> list[str]:
    paths = [path for config in plugin_configs() for path in config.tscript_modules]
    paths += list(getattr(settings, "FOREMAN_TSCRIPT_MODULES", ()))
    extra = os.environ.get("CONTRACTOR_FOREMAN_TSCRIPT_MODULES", "")
    return paths + [path.strip() for path in extra.split(",") if path.strip()]


def modules_for(context: JobContext) -> list:
    """The job's modules: foundation, structure, config, signaling, webhook, iputils, then every plugin's."""
    found = [foundation_module(context), structure_module(context), config_module(context), signaling_module(context),
             webhook_module(context), iputils_module(context)]  # fmt: skip
    return found + [import_string(path)(context) for path in _factory_paths()]
