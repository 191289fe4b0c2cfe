"""Profiles (a URL and a token) kept in the user's config directory, and which one a command uses."""

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from contractorcli.errors import DENIED, USAGE, CliError

DEFAULT = "default"


def config_path() -> Path:
    """`$XDG_CONFIG_HOME/contractor/profiles.toml`, `~/.config/contractor/profiles.toml` without it."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "contractor" / "profiles.toml"


@dataclass(frozen=True)
class Profile:
    name: str
    url: str
    token: str


def profiles_read(path: Path | None = None) -> dict:
    """The file's contents: `{"default": name, "profiles": {name: {"url", "token"}}}` (empty when there is none)."""
    path = path or config_path()
    if not path.exists():
        return {"profiles": {}}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CliError(f"{path}: {error}", USAGE) from None
    data.setdefault("profiles", {})
    return data


def profile_save(*, name: str, url: str, token: str, make_default: bool, path: Path | None = None) -> Path:
    """Store a profile (the first one stored, or `make_default`, becomes the default); returns the file."""
    path = path or config_path()
    data = profiles_read(path)
    data["profiles"][name] = {"url": url, "token": token}
    if make_default or data.get("default") not in data["profiles"]:
        data["default"] = name
    _write(path, data)
    return path


def profile_delete(*, name: str, path: Path | None = None) -> None:
    """Forget a profile (its token stays valid on the server)."""
    path = path or config_path()
    data = profiles_read(path)
    if data["profiles"].pop(name, None) is None:
        raise CliError(f"no profile {name!r} in {path}", USAGE)
    if data.get("default") == name:
        data.pop("default")
        if data["profiles"]:
            data["default"] = sorted(data["profiles"])[0]
    _write(path, data)


def _write(path: Path, data: dict) -> None:
    """Write the file readable by its owner only (0600), as it holds tokens; a rename, so it is never half there."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        tomli_w.dump(data, handle)
    os.chmod(temporary, 0o600)  # a leftover file of that name may have had a wider mode
    os.replace(temporary, path)


def profile_resolve(*, name: str | None, url: str | None, token: str | None) -> Profile:
    """The URL and token to use: --url/--token (or CONTRACTOR_URL/CONTRACTOR_TOKEN) over the chosen profile."""
    data = profiles_read()
    chosen = name or data.get("default") or DEFAULT
    stored = data["profiles"].get(chosen)
    if name and stored is None and not (url and token):
        raise CliError(f"no profile {name!r} in {config_path()}; run `contractor login URL --profile {name}`", USAGE)
    stored = stored or {}
    url, token = url or stored.get("url"), token or stored.get("token")
    if not url:
        raise CliError("no server: run `contractor login URL`, or set CONTRACTOR_URL and CONTRACTOR_TOKEN", USAGE)
    if not token:
        raise CliError(f"no token for {url}: run `contractor login {url}`, or set CONTRACTOR_TOKEN", DENIED)
    return Profile(name=chosen, url=url.rstrip("/"), token=token)
