"""The operator's actions beyond list/show/create/update/delete: jobs, config, addresses, DNS, the fleet, raw calls."""

import click
from click.shell_completion import get_completion_class
from rich.markup import escape
from rich.tree import Tree

from contractorcli.errors import NOT_FOUND, CliError
from contractorcli.fields import body_from, parse_filters
from contractorcli.output import console, emit, output_options
from contractorcli.watch import watch_job

JOB_ACTIONS = {
    "pause": "Pause a running job (it stops after the current step).",
    "resume": "Resume a paused job.",
    "reset": "Retry after an error: error() returns, a failed remote call is sent again.",
    "rollback": "After a failed remote call that allows it: send its rollback task, then the call again.",
    "cancel": "Cancel a job: it ends aborted and its open tasks are cancelled.",
}
CONFIG_KINDS = {
    "site": "sites",
    "foundation-blueprint": "foundation-blueprints",
    "structure-blueprint": "structure-blueprints",
    "foundation": "foundations",
    "structure": "structures",
}


def register(cli: click.Group, pass_state) -> None:
    """Add the action commands to the collection groups (and new groups) of the root."""
    for kind, noun in (("foundation", "LOCATOR"), ("structure", "ID")):
        _job_starters(cli.commands[kind], kind, noun, pass_state)
    _job_commands(cli.commands["job"], pass_state)
    _address_commands(cli.commands["address"], cli.commands["address-block"], pass_state)
    for group in (_config_group(pass_state), _dns_group(pass_state), _fleet_group(pass_state), _api(pass_state),
                  _completion(cli)):  # fmt: skip
        cli.add_command(group)


def _start_job(state, path: str, script: str, watch: bool, as_json: bool, as_yaml: bool, interval: float):
    job = state.client.post(f"{path}/jobs/", {"script": script})
    if watch:
        return watch_job(state.client, job["id"], interval=interval)
    if as_json or as_yaml:
        return emit(job, as_json=as_json, as_yaml=as_yaml)
    click.echo(f"job {job['id']}: {script} of {job['target_kind']} {job['target']} is {job['state']}")


def _job_starters(group: click.Group, kind: str, noun: str, pass_state) -> None:
    path = "foundations" if kind == "foundation" else "structures"
    scripts = {"build": "create", "destroy": "destroy", "run": None}
    for verb, script in scripts.items():
        what = f"the {script} script" if script else "a blueprint script (a utility script, or create/destroy)"
        group.add_command(_job_starter(verb, script, path, noun, f"Start a job running {what} on a {kind}.",
                                       pass_state))  # fmt: skip


def _job_starter(verb: str, script: str | None, path: str, noun: str, help: str, pass_state):
    @click.command(verb, help=help + " Prints the job; --watch follows it to its end.")
    @click.argument(noun)
    @click.option("--watch", "-w", is_flag=True, help="Follow the job (as `job watch`); exit status by outcome.")
    @click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
                  help="Seconds between polls with --watch.")  # fmt: skip
    @output_options
    @pass_state
    def command(state, watch, interval, as_json, as_yaml, script=script, **key):
        (target,) = key.values()
        return _start_job(state, f"{path}/{target}", script, watch, as_json, as_yaml, interval)

    if script is None:
        command = click.argument("script")(command)
    return command


def _job_commands(group: click.Group, pass_state) -> None:
    for name, help in JOB_ACTIONS.items():
        group.add_command(_job_action(name, help, pass_state))

    @group.command(help="Follow a job with a live progress bar (block, line, message) until it ends. The exit status "
                   "is its outcome: 0 done, 6 error, 7 aborted (8 paused, with --exit-on-pause).")  # fmt: skip
    @click.argument("id", type=int)
    @click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
                  help="Seconds between polls.")  # fmt: skip
    @click.option("--exit-on-pause", is_flag=True, help="Return (status 8) when the job pauses for a person.")
    @pass_state
    def watch(state, id, interval, exit_on_pause):
        return watch_job(state.client, id, interval=interval, exit_on_pause=exit_on_pause)


def _job_action(name: str, help: str, pass_state):
    @click.command(name, help=help)
    @click.argument("id", type=int)
    @output_options
    @pass_state
    def command(state, id, as_json, as_yaml):
        job = state.client.post(f"jobs/{id}/{name}/")
        if as_json or as_yaml:
            return emit(job, as_json=as_json, as_yaml=as_yaml)
        click.echo(f"job {id} is {job['state']}" + (f": {job['message']}" if job.get("message") else ""))

    return command


def _address_commands(addresses: click.Group, blocks: click.Group, pass_state) -> None:
    @addresses.command(help="Take an address from BLOCK (an address block's id): the one named by address= or "
                       "offset:=, else the lowest free one. Other fields: kind=, structure:=, interface_name=, "
                       "reason=...")  # fmt: skip
    @click.argument("block", type=int)
    @click.argument("fields", nargs=-1, metavar="[KEY=VALUE|KEY:=JSON]...")
    @output_options
    @pass_state
    def allocate(state, block, fields, as_json, as_yaml):
        address = state.client.post(f"address-blocks/{block}/allocate/", body_from(None, fields))
        emit(address, as_json=as_json, as_yaml=as_yaml)

    for name, help in (("usage", "How many of the block's addresses are used, in total and by kind."),
                       ("next-free", "The address an allocation would take now, without taking it.")):  # fmt: skip
        blocks.add_command(_block_question(name, help, pass_state))


def _block_question(name: str, help: str, pass_state):
    @click.command(name, help=help)
    @click.argument("id", type=int)
    @output_options
    @pass_state
    def command(state, id, as_json, as_yaml):
        emit(state.client.get(f"address-blocks/{id}/{name}/"), as_json=as_json, as_yaml=as_yaml)

    return command


def _config_group(pass_state) -> click.Group:
    group = click.Group("config", help="Merged configuration.")

    @group.command(help="The merged config of a site, blueprint, foundation or structure; --layers adds, per key, "
                   "the layer that set it and every layer that shaped it.")  # fmt: skip
    @click.argument("kind", type=click.Choice(list(CONFIG_KINDS)))
    @click.argument("key")
    @click.option("--layers", is_flag=True, help="Where each value came from.")
    @output_options
    @pass_state
    def show(state, kind, key, layers, as_json, as_yaml):
        config = state.client.get(f"{CONFIG_KINDS[kind]}/{key}/config/", {"layers": 1} if layers else None)
        if as_json or as_yaml or not isinstance(config, dict):
            return emit(config, as_json=as_json, as_yaml=as_yaml)
        if layers:
            rows = [{"key": name, **entry} for name, entry in sorted(config.items())]
            return emit(rows, as_json=False, as_yaml=False, columns=["key", "value", "layer", "layers"])
        emit([{"key": name, "value": value} for name, value in sorted(config.items())], as_json=False,
             as_yaml=False, columns=["key", "value"])  # fmt: skip

    return group


def _dns_group(pass_state) -> click.Group:
    group = click.Group("dns", help="DNS zones as BIND serves them.")

    @group.command(help="The zone file of zone NAME, as text (to review, or to hand to BIND).")
    @click.argument("name")
    @pass_state
    def zone(state, name):
        click.echo(state.client.get(f"zones/{name}/zonefile/", raw=True), nl=False)

    @group.command(help="The reverse zones of zone NAME (a list), or with ORIGIN that reverse zone's file.")
    @click.argument("name")
    @click.argument("origin", required=False)
    @output_options
    @pass_state
    def reverse(state, name, origin, as_json, as_yaml):
        if origin:
            return click.echo(state.client.get(f"zones/{name}/reverse/{origin}/", raw=True), nl=False)
        emit(state.client.get(f"zones/{name}/reverse/"), as_json=as_json, as_yaml=as_yaml)

    return group


def _fleet_group(pass_state) -> click.Group:
    group = click.Group("fleet", help="Questions about the fleet.")

    @group.command(help="What is affected if HOST goes down: HOST is a foundation's locator or a structure's "
                   "hostname (or use --structure ID). Printed as a tree; --json for the API's answer.")  # fmt: skip
    @click.argument("host", required=False)
    @click.option("--structure", type=int, help="A structure by id instead of HOST.")
    @output_options
    @pass_state
    def impact(state, host, structure, as_json, as_yaml):
        if (host is None) == (structure is None):
            raise click.UsageError("give HOST or --structure ID")
        answer = state.client.get("fleet-questions/impact/", _impact_params(state.client, host, structure))
        if as_json or as_yaml:
            return emit(answer, as_json=as_json, as_yaml=as_yaml)
        console.print(_tree(answer["root"]))
        affected = ", ".join(f"{count} {kind}" for kind, count in answer["affected"].items() if count) or "nothing"
        click.echo(f"affected: {affected}")

    @group.command(help="Counts: sites with sub-site totals, foundations per type and state, structures per blueprint.")
    @click.option("--site", help="Only this site and the sites under it.")
    @output_options
    @pass_state
    def counts(state, site, as_json, as_yaml):
        answer = state.client.get("fleet-questions/counts/", {"site": site} if site else None)
        emit(answer, as_json=as_json or not as_yaml, as_yaml=as_yaml)

    return group


def _impact_params(client, host: str | None, structure: int | None) -> dict:
    if structure is not None:
        return {"structure": structure}
    try:
        client.get(f"foundations/{host}/")
        return {"foundation": host}
    except CliError as error:
        if error.exit_code != NOT_FOUND:
            raise
    rows, _ = client.pages("structures/", [("hostname", host)], limit=1)
    if not rows:
        raise CliError(f"no foundation with locator {host!r} and no structure with hostname {host!r}", NOT_FOUND)
    return {"structure": rows[0]["id"]}


def _tree(node: dict, tree: Tree | None = None) -> Tree:
    label = escape(f"{node['kind']} {node['name']}") + f" [dim]({escape(str(node['state']))})[/dim]"
    branch = Tree(label) if tree is None else tree.add(label)
    for child in node.get("children", []):
        _tree(child, branch)
    return branch


def _api(pass_state):
    @click.command("api", help="Call any API path (under /api/v1/) and print its JSON: the way to reach what has no "
                   "command of its own, e.g. `contractor api get sites/prod/dependency-graph/`.")  # fmt: skip
    @click.argument("method", type=click.Choice(["get", "post", "put", "patch", "delete"], case_sensitive=False))
    @click.argument("path")
    @click.argument("fields", nargs=-1, metavar="[KEY=VALUE|KEY:=JSON]...")
    @click.option("--file", "file", metavar="PATH", help="The body as a JSON or YAML object ('-' for stdin).")
    @click.option("--query", "-q", multiple=True, metavar="KEY=VALUE", help="A query parameter (repeatable).")
    @output_options
    @pass_state
    def command(state, method, path, fields, file, query, as_json, as_yaml):
        body = body_from(file, fields) if method.lower() not in ("get", "delete") else None
        answer = state.client.request(method.upper(), path.lstrip("/"), params=parse_filters(query), body=body)
        emit(answer, as_json=as_json or not as_yaml, as_yaml=as_yaml)

    return command


def _completion(cli: click.Group):
    @click.command("completion", help="Print the shell completion script: add `eval \"$(contractor completion "
                   "bash)\"` to ~/.bashrc (zsh: ~/.zshrc; fish: `contractor completion fish | source`).")  # fmt: skip
    @click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
    def command(shell):
        completer = get_completion_class(shell)(cli, {}, "contractor", "_CONTRACTOR_COMPLETE")
        click.echo(completer.source())

    return command
