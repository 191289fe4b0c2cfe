"""`contractor design export|load FILE`: the design document of /api/v1/design/ as local TOML, YAML or JSON files.

Scripts given as `{script_file = "path"}` are read here, on the operator's machine, relative to the design file
(never outside its directory), and sent inline: the server never reads the client's files.
"""

import json
import tomllib
from pathlib import Path

import click
import yaml

from contractorcli.errors import REFUSED, USAGE, CliError

SUFFIX_FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def register(cli: click.Group, pass_state) -> None:
    @cli.group(help="Export or load the design: every site, PXE and blueprint, as TOML, YAML or JSON files.")
    def design():
        pass

    @design.command(help="Write the design to FILE ('-' for standard output); the format follows its suffix.")
    @click.argument("file")
    @click.option("--format", "format_", type=click.Choice(["toml", "yaml", "json"]),
                  help="Over the suffix's format (needed for '-'; default there: yaml).")  # fmt: skip
    @pass_state
    def export(state, file, format_):
        format_ = format_ or (file_format(Path(file)) if file != "-" else "yaml")
        if format_ == "json":
            text = json.dumps(state.client.get("design/"), indent=2) + "\n"
        else:
            text = state.client.get("design/", params={"output": format_}, raw=True)
        if file == "-":
            click.echo(text, nl=False)
            return
        Path(file).write_text(text, encoding="utf-8")
        click.echo(f"wrote {file}")

    @design.command(help="Create or update, by name, what the design FILEs hold, all or nothing. Objects they do "
                    "not name are left alone.")  # fmt: skip
    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check everything on the server, then save nothing.")
    @pass_state
    def load(state, files, dry_run):
        document = files_read(files)
        answer = state.client.request("POST", "design/", params={"dry_run": str(dry_run).lower()}, body=document)
        for section, counts in answer["summary"].items():
            click.echo(f"{section}: {counts['created']} created, {counts['updated']} updated")
        if answer["dry_run"]:
            click.echo("dry run: nothing was saved")


def file_format(path: Path) -> str:
    try:
        return SUFFIX_FORMATS[path.suffix]
    except KeyError:
        raise CliError(f"{path}: unknown format; use .toml, .yaml, .yml or .json (or --format)", USAGE) from None


def files_read(paths) -> dict[str, list]:
    """One document of several files; an object named in two of them is an error naming both."""
    document: dict[str, list] = {}
    origins: dict[tuple[str, str], Path] = {}
    for path in paths:
        for section, items in file_read(path).items():
            for item in items:
                key = (section, item["name"])
                if key in origins:
                    raise CliError(f"{path}: {section} {item['name']!r}: name: also defined in {origins[key]}", REFUSED)
                origins[key] = path
                document.setdefault(section, []).append(item)
    return document


def file_read(path: Path) -> dict[str, list]:
    text = text_read(path, str(path))
    format_ = file_format(path)
    try:
        parse = {"toml": tomllib.loads, "json": json.loads, "yaml": yaml.safe_load}[format_]
        data = parse(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        message = " ".join(str(error).split())
        raise CliError(f"{path}: not valid {format_.upper()}: {message}", REFUSED) from None
    data = data or {}
    if not isinstance(data, dict) or not all(
        isinstance(items, list) and all(isinstance(item, dict) and isinstance(item.get("name"), str) for item in items)
        for items in data.values()
    ):
        raise CliError(f"{path}: must be a mapping of sections, each a list of objects with a name", REFUSED)
    for section, items in data.items():
        for item in items:
            if isinstance(item.get("scripts"), dict):
                item["scripts"] = {
                    name: script_read(path, f"{path}: {section} {item['name']!r}: scripts.{name}", value)
                    for name, value in item["scripts"].items()
                }
    return data


def script_read(design: Path, where: str, value):
    """A script's text: inline, or the file `{script_file = ...}` names inside the design file's directory."""
    if not (isinstance(value, dict) and set(value) == {"script_file"}):
        return value  # inline text (or a wrong value, which the server names)
    name = value["script_file"]
    if not isinstance(name, str):
        raise CliError(f"{where}: script_file must be a path", REFUSED)
    folder = design.resolve().parent
    target = (folder / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(folder):
        raise CliError(f"{where}: script_file {name!r} leaves the design file's directory {folder}", REFUSED)
    return text_read(target, where)


def text_read(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"{where}: cannot read {path.name}: {error.strerror}", REFUSED) from None
    except UnicodeDecodeError as error:
        raise CliError(f"{where}: {path.name} is not UTF-8 text (byte {error.start})", REFUSED) from None
