"""Runs sushy-tools' emulator (``sushy-emulator`` arguments) with the fake driver's power lag pinned.

The fake driver applies a power change a random 1 to 11 s after the request, and has no setting for it. A test
that waits for the change would spend up to 11 s each time for nothing: with ``FAKE_POWER_LAG_SECONDS=N`` in the
environment every change lands N s after the request instead (``int(time.time()) + N``, so within N s). The
change is still asynchronous, so callers still have to poll for it, as they would with a real BMC.
"""

import os
import random
import sys


class _FixedLag(random.Random):
    def __init__(self, seconds: int):
        super().__init__()
        self.seconds = seconds

    def randint(self, a: int, b: int) -> int:
        return self.seconds


def main() -> int:
    from sushy_tools.emulator.main import main as emulator_main
    from sushy_tools.emulator.resources.systems import fakedriver

    lag = os.environ.get("FAKE_POWER_LAG_SECONDS")
    if lag is not None:
        fakedriver.random = _FixedLag(int(lag))  # the module's only use of random is that lag
    sys.argv[0] = "sushy-emulator"
    return emulator_main()


if __name__ == "__main__":
    sys.exit(main())
