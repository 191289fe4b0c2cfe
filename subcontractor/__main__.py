"""Run the daemon as ``python -m subcontractor --config FILE``."""

from subcontractor.cli import main

raise SystemExit(main())
