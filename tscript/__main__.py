"""`python -m tscript check|run FILE`: see tscript.cli."""

import sys

from .cli import main

sys.exit(main())
