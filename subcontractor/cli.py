"""Command line entry point: ``subcontractor --config FILE`` (also ``python -m subcontractor``)."""

import argparse
import logging
import os
import sys

from subcontractor import __version__
from subcontractor.config import ConfigError, config_load

__all__ = ["main"]

EXIT_CONFIG = 2
EXIT_COLD = 1


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load the config, run the daemon; returns the exit status."""
    parser = argparse.ArgumentParser(prog="subcontractor", description="Contractor's task daemon.")
    parser.add_argument("--config", "-c", required=True, help="TOML config file (see docs/subcontractor.md)")
    parser.add_argument("--check", action="store_true", help="validate the config and exit")
    parser.add_argument("--version", action="version", version=f"subcontractor {__version__}")
    args = parser.parse_args(argv)

    from subcontractor.daemon import ColdStop, Daemon
    from subcontractor.handlers import registry

    handlers = registry()
    try:
        config = config_load(args.config, known_modules=tuple(handlers))
    except ConfigError as error:
        print(f"subcontractor: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if args.check:
        print(f"subcontractor: {args.config} is valid")
        return 0
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    daemon = Daemon(config, handlers=handlers)
    try:
        return daemon.run()
    except ColdStop as stop:
        logging.getLogger("subcontractor").warning(
            "cold stop (%s): leaving now; unposted results stay in the spool", stop
        )
        logging.shutdown()
        # Pool threads may still be running a task; a normal exit would wait for them.
        os._exit(EXIT_COLD)
