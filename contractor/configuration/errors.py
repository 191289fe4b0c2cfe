"""The error the configuration engine raises when a config cannot be merged or rendered."""


class ConfigError(Exception):
    """A config that cannot be built: a bad modifier, a template error or a reference cycle (`cycle` holds its keys)."""

    def __init__(self, message: str, *, cycle: list[str] | None = None):
        super().__init__(message)
        self.cycle = cycle or []
