"""Rendering string config values as Jinja2 templates in dependency order, refusing reference cycles."""

from graphlib import CycleError, TopologicalSorter

from jinja2 import ChainableUndefined, TemplateError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from contractor.configuration.errors import ConfigError
from contractor.configuration.sandbox import BoundedEnvironment, TemplateBoundError
from contractor.redaction import is_secret_key, redact

TEMPLATE_MARKERS = ("{{", "{%")


def environment() -> SandboxedEnvironment:
    """The sandbox every config template renders in; undefined names render as empty strings.

    It is bounded (`sandbox.py`): one environment's step, output and time budget covers all it renders.
    """
    return BoundedEnvironment(undefined=ChainableUndefined, keep_trailing_newline=True, autoescape=False)


def is_template(value) -> bool:
    return isinstance(value, str) and any(marker in value for marker in TEMPLATE_MARKERS)


def render_config(config: dict, origins: dict[str, list[str]] | None = None) -> dict:
    """A copy of `config` with every templated string (at any depth) rendered against the config itself.

    A key is rendered after the keys its templates name, so chains of templates resolve; names that
    are not keys (or are not templates) need no ordering. A cycle raises ConfigError naming its keys.
    With `origins` (key -> the layers that set it, from merge_layers_traced) every error names those layers too.
    """
    env = environment()
    rendered = dict(config)
    for key, trees in template_order(config, origins, env=env):
        rendered[key] = _render_value(env, _label(key, origins), config[key], trees, rendered)
    return rendered


def secret_reading_keys(config: dict, names=()) -> set[str]:
    """The keys of `config` whose values are secret or read one: a secret key, a value holding a secret key at any
    depth, or a value whose template names such a key (directly or through other templated keys).

    `{"root_password": "x", "motd": "{{ root_password }}", "banner": "{{ motd }}"}` -> all three.
    """
    secret = {key for key, value in config.items() if is_secret_key(key, names) or redact(value, names) != value}
    for key, trees in template_order(config):
        if _referenced(trees) & secret:
            secret.add(key)
    return secret


def template_order(
    config: dict, origins: dict[str, list[str]] | None = None, *, env: SandboxedEnvironment | None = None
) -> list[tuple[str, dict[str, nodes.Template]]]:
    """(key, parsed templates) for each templated key in render order: checks syntax and cycles, renders nothing."""
    env = env or environment()
    parsed = {
        key: _parse_value(env, _label(key, origins), value) for key, value in config.items() if _has_template(value)
    }
    dependencies = {key: _referenced(tree) & parsed.keys() for key, tree in parsed.items()}
    try:
        order = render_order(dependencies)
    except ConfigError as error:
        if not origins:
            raise
        keys = dict.fromkeys(error.cycle)
        where = ", ".join(f"{key} from {_layers(origins, key)}" for key in keys)
        raise ConfigError(f"{error} ({where})") from error
    return [(key, parsed[key]) for key in order]


def _label(key: str, origins: dict[str, list[str]] | None) -> str:
    """How an error names a key: quoted, and with the layer(s) it came from when they are known."""
    if not origins or key not in origins:
        return repr(key)
    return f"{key!r} (from {_layers(origins, key)})"


def _layers(origins: dict[str, list[str]], key: str) -> str:
    trail = origins.get(key) or ["?"]
    return ("layer " if len(trail) == 1 else "layers ") + ", ".join(trail)


def render_order(dependencies: dict[str, set[str]]) -> list[str]:
    """Keys ordered so each comes after those it depends on; raises ConfigError naming the keys of a cycle.

    graphlib sorts without recursion, so a long chain of references cannot exhaust the stack. Keys and their
    dependencies go in sorted, so the order (and which cycle is reported, and from where) does not vary.
    """
    sorter = TopologicalSorter({key: sorted(dependencies[key]) for key in sorted(dependencies)})
    try:
        return list(sorter.static_order())
    except CycleError as error:
        # graphlib walks from a key to the keys that use it; the message reads the other way ("a uses b").
        cycle = list(reversed(error.args[1]))
        raise ConfigError(f"Config values refer to each other in a cycle: {' -> '.join(cycle)}", cycle=cycle) from error


def _has_template(value) -> bool:
    if isinstance(value, dict):
        return any(_has_template(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_template(item) for item in value)
    return is_template(value)


def _parse_value(env: SandboxedEnvironment, key: str, value) -> dict[str, nodes.Template]:
    """Every template string inside `value`, parsed: source -> AST. `key` is the key as errors name it."""
    trees: dict[str, nodes.Template] = {}
    for source in _template_strings(value):
        if source not in trees:
            try:
                trees[source] = env.parse(source)
            except TemplateError as error:
                raise ConfigError(f"Config value {key} is not a valid template: {_describe(error)}") from error
    return trees


def _template_strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _template_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _template_strings(item)
    elif is_template(value):
        yield value


def _referenced(trees: dict[str, nodes.Template]) -> set[str]:
    names: set[str] = set()
    for tree in trees.values():
        names |= meta.find_undeclared_variables(tree)
    return names


def _render_value(env: SandboxedEnvironment, key: str, value, trees: dict[str, nodes.Template], context: dict):
    if isinstance(value, dict):
        return {name: _render_value(env, key, item, trees, context) for name, item in value.items()}
    if isinstance(value, list):
        return [_render_value(env, key, item, trees, context) for item in value]
    if not is_template(value):
        return value
    try:
        return env.from_string(trees[value]).render(context)
    except TemplateBoundError as error:
        raise ConfigError(f"Config value {key} could not be rendered: {error}", bound=True) from error
    except RecursionError as error:
        message = f"Config value {key} could not be rendered: its macros call themselves too deeply"
        raise ConfigError(message, bound=True) from error
    except TemplateError as error:
        raise ConfigError(f"Config value {key} could not be rendered: {_describe(error)}") from error
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise ConfigError(f"Config value {key} could not be rendered: {error}") from error


def _describe(error: TemplateError) -> str:
    line = getattr(error, "lineno", None)
    message = error.message or type(error).__name__
    return f"{message} (line {line})" if line else message
