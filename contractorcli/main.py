"""The `contractor` command: the root group, its global options, and the exit status of every failure."""

import sys

import click

from contractorcli import account, actions, design
from contractorcli.client import Client
from contractorcli.collections import COLLECTIONS
from contractorcli.errors import INTERRUPTED, CliError
from contractorcli.generic import collection_group
from contractorcli.output import errors
from contractorcli.profiles import profile_resolve


class State:
    """What the root options chose; the client is made on first use so `login` and `--help` need no profile."""

    def __init__(self, profile: str | None, url: str | None, token: str | None):
        self.profile, self.url, self.token = profile, url, token
        self._client = None

    @property
    def client(self) -> Client:
        if self._client is None:
            chosen = profile_resolve(name=self.profile, url=self.url, token=self.token)
            self._client = Client(chosen.url, chosen.token)
        return self._client


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--profile", "-p", envvar="CONTRACTOR_PROFILE", help="The stored profile to use (else the default).")
@click.option("--url", envvar="CONTRACTOR_URL", help="The server, over the profile's.")
@click.option("--token", envvar="CONTRACTOR_TOKEN", help="The API token, over the profile's.")
@click.version_option(package_name="contractor", prog_name="contractor")
@click.pass_context
def cli(context, profile, url, token):
    """Contractor from the command line: every collection of the REST API, jobs and the fleet questions.

    Start with `contractor login URL`. Exit statuses: 0 ok, 1 refused by the API, 2 usage, 3 not logged in or
    not allowed, 4 not found, 5 server unreachable or failing; `job watch` adds 6 error, 7 aborted, 8 paused.
    """
    context.obj = State(profile, url, token)


for item in COLLECTIONS:
    cli.add_command(collection_group(item, pass_state))
account.register(cli, pass_state)
actions.register(cli, pass_state)
design.register(cli, pass_state)


def main(argv=None) -> None:
    """Run the command; an error is one line on stderr and its exit status (docs/cli.md)."""
    try:
        code = cli.main(args=argv, prog_name="contractor", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except CliError as error:
        errors.print(f"error: {error}", markup=False)
        sys.exit(error.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        errors.print("interrupted", markup=False)
        sys.exit(INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)  # ctx.exit(n) comes back here as n without standalone mode
