"""The `signaling` module: `signaling.wait()` waits until the booted machine reports in (see job_signal)."""

from django.conf import settings

from tscript import Module, Step, Steps

POLL_SECONDS = 2


def signaling_module(context) -> Module:
    """`signaling.wait()`: ends each step until the job is signalled, then consumes the signal and returns true."""
    module = Module("signaling")
    job = context.job

    def step(state):
        if job.signalled_at is None:
            context.sleep(getattr(settings, "FOREMAN_SIGNAL_POLL_SECONDS", POLL_SECONDS))
            return Step.more("Waiting for the machine to signal", state)
        job.signalled_at = None
        return Step.finish(True)

    module.add_function("wait", Steps(start=lambda: {}, step=step))
    return module
