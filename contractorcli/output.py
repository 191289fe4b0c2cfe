"""Printing answers: rich tables and key/value panels for people, JSON or YAML for scripts."""

import json

import click
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True, highlight=False)


def output_options(command):
    """`--json` / `--yaml` on a command: what it prints, for scripts."""
    command = click.option("--yaml", "as_yaml", is_flag=True, help="Print YAML instead of a table.")(command)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(command)


def emit(data, *, as_json: bool, as_yaml: bool, columns=None, footer: str | None = None) -> None:
    """Print `data` (a list of rows or one object) as JSON, YAML, a table (rows) or a two-column table (object)."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=False))
    elif as_yaml:
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
    elif isinstance(data, list):
        rows_table(data, columns, footer)
    elif isinstance(data, dict):
        object_table(data)
    elif data is not None:
        click.echo(data)


def cell(value) -> str:
    """A value as table text: lists joined by commas, objects as compact JSON, None as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def rows_table(rows: list, columns=None, footer: str | None = None) -> None:
    columns = list(columns or (rows[0].keys() if rows and isinstance(rows[0], dict) else ["value"]))
    table = Table(*columns, show_lines=False, header_style="bold", caption=footer)
    for row in rows:
        table.add_row(*(Text(cell(row.get(name) if isinstance(row, dict) else row)) for name in columns))
    console.print(table)


def object_table(data: dict) -> None:
    table = Table("field", "value", show_header=False, box=None, pad_edge=False)
    for key, value in data.items():
        text = json.dumps(value, indent=2, sort_keys=True) if isinstance(value, dict) and value else cell(value)
        table.add_row(Text(str(key), style="bold"), Text(text))  # Text: values are data, never rich markup
    console.print(table)
