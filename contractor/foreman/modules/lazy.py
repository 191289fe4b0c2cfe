"""LazyModule: a TScript module built on first use, so a step that does not touch it runs no query for it."""

from tscript import Module


class LazyModule(Module):
    """A module whose values and functions `fill(module)` adds the first time the script reads, writes or calls it."""

    def __init__(self, name: str, fill):
        super().__init__(name)
        self._fill = fill

    def _load(self) -> None:
        if self._fill is not None:
            fill, self._fill = self._fill, None
            fill(self)

    def get(self, name: str):
        self._load()
        return super().get(name)

    def set(self, name: str, new) -> None:
        self._load()
        super().set(name, new)

    def function(self, name: str):
        self._load()
        return super().function(name)
