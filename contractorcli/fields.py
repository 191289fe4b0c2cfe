"""Request bodies from the command line: `key=value` (a string), `key:=json` (any JSON value), and `--file`."""

import json
import sys

import click
import yaml


def parse_fields(pairs) -> dict:
    """`name=web01 count:=3 tags:='["a"]'` -> {"name": "web01", "count": 3, "tags": ["a"]}."""
    body = {}
    for pair in pairs:
        key, raw, value = _split(pair)
        if raw:
            try:
                value = json.loads(value)
            except ValueError as error:
                raise click.BadParameter(f"{key}:= takes JSON: {error}", param_hint=f"'{pair}'") from None
        body[key] = value
    return body


def _split(pair: str) -> tuple[str, bool, str]:
    if "=" not in pair:
        raise click.BadParameter("give key=value (a string) or key:=json", param_hint=f"'{pair}'")
    key, value = pair.split("=", 1)
    raw = key.endswith(":")
    key = key[:-1] if raw else key
    if not key:
        raise click.BadParameter("the key is empty", param_hint=f"'{pair}'")
    return key, raw, value


def parse_filters(pairs) -> list[tuple[str, str]]:
    """`--filter state=error --filter state=paused` -> query parameters (a key may repeat)."""
    params = []
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter("give key=value", param_hint=f"'--filter {pair}'")
        params.append(tuple(pair.split("=", 1)))
    return params


def read_file(path: str) -> dict:
    """A JSON or YAML object from a file ('-' for stdin)."""
    text = sys.stdin.read() if path == "-" else _read(path)
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON, so one parser reads both
    except yaml.YAMLError as error:
        raise click.BadParameter(f"not JSON or YAML: {error}", param_hint="--file") from None
    if not isinstance(data, dict):
        raise click.BadParameter("must hold one object (a mapping)", param_hint="--file")
    return data


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError as error:
        raise click.BadParameter(str(error), param_hint="--file") from None


def body_from(file: str | None, pairs) -> dict:
    """The request body: the file's object, then the key=value pairs over it."""
    return {**(read_file(file) if file else {}), **parse_fields(pairs)}
