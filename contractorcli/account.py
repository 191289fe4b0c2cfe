"""`contractor login`, `logout`, `profiles` and `whoami`: getting a token and keeping it in a profile."""

import sys

import click
import requests

from contractorcli.client import TIMEOUT, Client
from contractorcli.errors import DENIED, UNREACHABLE, CliError
from contractorcli.output import emit, output_options
from contractorcli.profiles import DEFAULT, config_path, profile_delete, profile_save, profiles_read


def token_from_password(url: str, username: str, password: str) -> str:
    """Log in as a browser would (/api-auth/login/, a session), then ask the API for the user's token."""
    session = requests.Session()
    login = f"{url}/api-auth/login/"
    try:
        session.get(login, timeout=TIMEOUT)
        answer = session.post(
            login,
            data={"username": username, "password": password, "next": "/api/v1/users/me/",
                  "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
            headers={"Referer": login}, allow_redirects=False, timeout=TIMEOUT,
        )  # fmt: skip
    except requests.RequestException as error:
        raise CliError(f"cannot reach {url}: {error}", UNREACHABLE) from None
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise CliError(f"login refused by {url}: wrong username or password, or the user is inactive", DENIED)
    session.headers.update({"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": login})
    return Client(url, session=session).post("users/me/token/")["key"]


def register(cli: click.Group, pass_state) -> None:
    """Add the account commands to the root group."""

    @cli.command(help="Store a profile for URL: a token from --token, or from a username and password.")
    @click.argument("url")
    @click.option("--username", "-u", help="Asked for when neither --token nor --username is given.")
    @click.option("--password-stdin", is_flag=True, help="Read the password from stdin (for scripts).")
    @click.option("--token", "given_token", help="Store this API token instead of logging in.")
    @click.option("--profile", "-p", "name", default=DEFAULT, show_default=True, help="The profile's name.")
    @click.option("--default/--no-default", "make_default", default=True, show_default=True,
                  help="Make it the profile used when none is named.")  # fmt: skip
    def login(url, username, password_stdin, given_token, name, make_default):
        url = url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter("give the server as http://host:port or https://host", param_hint="URL")
        token = given_token or _token_by_password(url, username, password_stdin)
        me = Client(url, token).get("users/me/")  # proves the token works before it is stored
        path = profile_save(name=name, url=url, token=token, make_default=make_default)
        click.echo(f"logged in to {url} as {me['username']}; profile {name!r} in {path}")

    @cli.command(help="Forget a stored profile (its token stays valid on the server).")
    @click.option("--profile", "-p", "name", default=DEFAULT, show_default=True)
    def logout(name):
        profile_delete(name=name)
        click.echo(f"forgot profile {name!r}")

    @cli.command(help="List the stored profiles (tokens are not shown).")
    @output_options
    def profiles(as_json, as_yaml):
        data = profiles_read()
        rows = [{"name": name, "url": values.get("url"), "default": name == data.get("default")}
                for name, values in sorted(data["profiles"].items())]  # fmt: skip
        emit(rows, as_json=as_json, as_yaml=as_yaml, columns=["name", "url", "default"], footer=str(config_path()))

    @cli.command(help="Who the token belongs to, and their roles.")
    @output_options
    @pass_state
    def whoami(state, as_json, as_yaml):
        me = state.client.get("users/me/")
        if as_json or as_yaml:
            return emit(me, as_json=as_json, as_yaml=as_yaml)
        roles = ", ".join(me.get("roles") or []) or ("superuser" if me.get("is_superuser") else "no role")
        click.echo(f"{me['username']} at {state.client.base} ({roles})")


def _token_by_password(url: str, username: str | None, password_stdin: bool) -> str:
    username = username or click.prompt("Username")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True)
    return token_from_password(url, username, password)
