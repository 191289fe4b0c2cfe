"""Rendering string config values as Jinja2 templates in dependency order, refusing reference cycles."""

from jinja2 import ChainableUndefined, TemplateError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from contractor.configuration.errors import ConfigError

TEMPLATE_MARKERS = ("{{", "{%")


def environment() -> SandboxedEnvironment:
    """The sandbox every config template renders in; undefined names render as empty strings."""
    return SandboxedEnvironment(undefined=ChainableUndefined, keep_trailing_newline=True, autoescape=False)


def is_template(value) -> bool:
    return isinstance(value, str) and any(marker in value for marker in TEMPLATE_MARKERS)


def render_config(config: dict) -> dict:
    """A copy of `config` with every templated string (at any depth) rendered against the config itself.

    A key is rendered after the keys its templates name, so chains of templates resolve; names that
    are not keys (or are not templates) need no ordering. A cycle raises ConfigError naming its keys.
    """
    env = environment()
    parsed = {key: _parse_value(env, key, value) for key, value in config.items() if _has_template(value)}
    dependencies = {key: _referenced(tree) & parsed.keys() for key, tree in parsed.items()}
    rendered = dict(config)
    for key in render_order(dependencies):
        rendered[key] = _render_value(env, key, config[key], parsed[key], rendered)
    return rendered


def render_order(dependencies: dict[str, set[str]]) -> list[str]:
    """Keys ordered so each comes after those it depends on; raises ConfigError on a cycle.

    Iterative depth-first search, so a long chain of references cannot exhaust the stack.
    """
    done: set[str] = set()
    order: list[str] = []
    for root in sorted(dependencies):
        if root in done:
            continue
        path, on_path = [root], {root}
        stack = [iter(sorted(dependencies[root]))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
                order.append(node)
            elif child in on_path:
                cycle = path[path.index(child) :] + [child]
                raise ConfigError(f"Config values refer to each other in a cycle: {' -> '.join(cycle)}")
            elif child not in done:
                path.append(child)
                on_path.add(child)
                stack.append(iter(sorted(dependencies[child])))
    return order


def _has_template(value) -> bool:
    if isinstance(value, dict):
        return any(_has_template(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_template(item) for item in value)
    return is_template(value)


def _parse_value(env: SandboxedEnvironment, key: str, value) -> dict[str, nodes.Template]:
    """Every template string inside `value`, parsed: source -> AST."""
    trees: dict[str, nodes.Template] = {}
    for source in _template_strings(value):
        if source not in trees:
            try:
                trees[source] = env.parse(source)
            except TemplateError as error:
                raise ConfigError(f"Config value {key!r} is not a valid template: {_describe(error)}") from error
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
    except TemplateError as error:
        raise ConfigError(f"Config value {key!r} could not be rendered: {_describe(error)}") from error
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise ConfigError(f"Config value {key!r} could not be rendered: {error}") from error


def _describe(error: TemplateError) -> str:
    line = getattr(error, "lineno", None)
    message = error.message or type(error).__name__
    return f"{message} (line {line})" if line else message
