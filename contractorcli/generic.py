"""The list/show/create/update/delete commands, made for every collection in collections.COLLECTIONS."""

import click

from contractorcli.collections import Collection
from contractorcli.fields import body_from, parse_filters
from contractorcli.output import emit, output_options


def collection_group(item: Collection, pass_state) -> click.Group:
    """A group named after the collection with a command per verb it supports."""
    group = click.Group(item.command, help=f"{item.help} (/api/v1/{item.path}/)")
    for verb in item.verbs:
        group.add_command(VERBS[verb](item, pass_state))
    return group


def object_path(item: Collection, key) -> str:
    return f"{item.path}/{key}/"


def _list(item: Collection, pass_state):
    @click.command("list", help=f"List {item.path} as a table (or --json / --yaml).")
    @click.option(
        "--filter",
        "-f",
        "filters",
        multiple=True,
        metavar="KEY=VALUE",
        help="A filter of the API (repeatable; a key may repeat for choices).",
    )
    @click.option("--search", "-s", help="Search the collection's text fields.")
    @click.option("--ordering", "-o", help="Sort by a field; -field for descending.")
    @click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many rows.")
    @click.option("--all", "every", is_flag=True, help="Every row, following the pages (ignores --limit).")
    @click.option("--columns", help="Comma-separated columns for the table.")
    @output_options
    @pass_state
    def command(state, filters, search, ordering, limit, every, columns, as_json, as_yaml, **named):
        params = parse_filters(filters)
        params += [(name.removeprefix("filter_"), value) for name, value in named.items() if value is not None]
        params += [(name, value) for name, value in (("search", search), ("ordering", ordering)) if value]
        rows, count = state.client.pages(f"{item.path}/", params, limit=None if every else limit)
        footer = f"{len(rows)} of {count}" if count != len(rows) else None
        chosen = columns.split(",") if columns else item.columns
        emit(rows, as_json=as_json, as_yaml=as_yaml, columns=chosen, footer=footer)

    for name in item.filters:
        option = click.option(f"--{name.replace('_', '-')}", f"filter_{name}", help=f"Filter by {name} (?{name}=).")
        command = option(command)
    return command


def _show(item: Collection, pass_state):
    @click.command("show", help=f"Show one of {item.path} by its {item.key}.")
    @click.argument(item.key.upper())
    @output_options
    @pass_state
    def command(state, as_json, as_yaml, **key):
        emit(state.client.get(object_path(item, _value(key))), as_json=as_json, as_yaml=as_yaml)

    return command


def _create(item: Collection, pass_state):
    @click.command("create", help=f"Create one of {item.path} from KEY=VALUE fields (KEY:=JSON for numbers, "
                   "lists, objects) and/or --file.")  # fmt: skip
    @click.argument("fields", nargs=-1, metavar="[KEY=VALUE|KEY:=JSON]...")
    @click.option("--file", "file", metavar="PATH", help="A JSON or YAML object with the fields ('-' for stdin).")
    @output_options
    @pass_state
    def command(state, fields, file, as_json, as_yaml):
        emit(state.client.request("POST", f"{item.path}/", body=body_from(file, fields)), as_json=as_json,
             as_yaml=as_yaml)  # fmt: skip

    return command


def _update(item: Collection, pass_state):
    @click.command("update", help=f"Change fields of one of {item.path} (a PATCH: the fields not given stay).")
    @click.argument(item.key.upper())
    @click.argument("fields", nargs=-1, metavar="[KEY=VALUE|KEY:=JSON]...")
    @click.option("--file", "file", metavar="PATH", help="A JSON or YAML object with the fields ('-' for stdin).")
    @output_options
    @pass_state
    def command(state, fields, file, as_json, as_yaml, **key):
        body = body_from(file, fields)
        if not body:
            raise click.UsageError("give at least one KEY=VALUE or --file")
        emit(state.client.request("PATCH", object_path(item, _value(key)), body=body), as_json=as_json,
             as_yaml=as_yaml)  # fmt: skip

    return command


def _delete(item: Collection, pass_state):
    @click.command("delete", help=f"Delete one of {item.path} by its {item.key}.")
    @click.argument(item.key.upper())
    @pass_state
    def command(state, **key):
        value = _value(key)
        state.client.request("DELETE", object_path(item, value))
        click.echo(f"deleted {item.command} {value}")

    return command


def _value(key: dict) -> str:
    (value,) = key.values()
    return value


VERBS = {"list": _list, "show": _show, "create": _create, "update": _update, "delete": _delete}
