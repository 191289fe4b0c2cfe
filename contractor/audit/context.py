"""Where a change came from (the API, the admin, a manage.py command), stamped on each audit entry written meanwhile."""

import contextlib
import getpass
from contextvars import ContextVar

_source: ContextVar[str | None] = ContextVar("audit_source", default=None)


@contextlib.contextmanager
def acting_as(source: str):
    """Entries written inside say they came from `source`."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def command_source(argv: list[str]) -> str:
    """`manage.py <command> (<OS user>)`: a command has no Contractor user, so the log names the account running it."""
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        account = "unknown user"
    return f"manage.py {argv[1] if len(argv) > 1 else ''} ({account})".replace("  ", " ")


def stamp_source(sender, instance, **kwargs):
    """pre_save receiver of LogEntry: record the current source next to any data the entry already has."""
    source = _source.get()
    if source and instance._state.adding:
        instance.additional_data = {**(instance.additional_data or {}), "source": source}
