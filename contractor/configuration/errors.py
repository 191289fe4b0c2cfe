"""The error the configuration engine raises when a config cannot be merged or rendered."""


class ConfigError(Exception):
    """A config that cannot be built: a bad modifier, a template error or a reference cycle (`cycle` holds its keys).

    `bound` is set when a template went past the sandbox's bounds (too large a value, too many steps, too long).
    """

    def __init__(self, message: str, *, cycle: list[str] | None = None, bound: bool = False):
        super().__init__(message)
        self.cycle = cycle or []
        self.bound = bound
