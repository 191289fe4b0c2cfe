"""Rendering config templates: dependency order, nesting, undefined names, sandboxing and cycles."""

import graphlib

import pytest

from contractor.configuration import ConfigError
from contractor.configuration.templating import render_config, render_order


def test_strings_with_template_markers_render_against_the_config():
    """`{{ }}` and `{% %}` strings render with the other config values; other values are left alone."""
    config = {
        "domain": "example.com",
        "mirror": "http://mirror.{{ domain }}/debian",
        "flag": "{% if domain %}yes{% endif %}",
        "plain": "no markers { here }",
        "count": 3,
        "enabled": True,
        "nothing": None,
    }
    assert render_config(config) == {
        **config,
        "mirror": "http://mirror.example.com/debian",
        "flag": "yes",
    }


def test_chains_of_templates_render_in_dependency_order():
    """`a` may use `b` which itself uses `c`: each renders after what it names, whatever the key order."""
    config = {"a": "{{ b }}.x", "b": "{{ c }}-y", "c": "z{{ 1 + 1 }}"}
    assert render_config(config) == {"a": "z2-y.x", "b": "z2-y", "c": "z2"}


def test_templates_nested_in_lists_and_dicts_render_and_order_by_their_top_key():
    """Template strings inside lists and dicts render, and other keys can depend on the rendered value."""
    config = {
        "domain": "{{ zone }}",
        "zone": "lab.example",
        "resolv": {"search": ["{{ domain }}", "other"], "options": {"ndots": "{{ ndots }}"}},
        "ndots": 2,
        "first_search": "{{ resolv.search[0] }}",
    }
    result = render_config(config)
    assert result["resolv"] == {"search": ["lab.example", "other"], "options": {"ndots": "2"}}
    assert result["first_search"] == "lab.example"


def test_templates_can_read_nested_values_and_loop():
    """Templates index into dicts and lists, and can loop over a list value."""
    config = {
        "_interface_map": {"eth0": {"mac": "02:00:00:00:00:01"}},
        "servers": ["10.0.0.1", "10.0.0.2"],
        "mac": "{{ _interface_map.eth0.mac }}",
        "resolv": "{% for s in servers %}nameserver {{ s }}\n{% endfor %}",
    }
    result = render_config(config)
    assert result["mac"] == "02:00:00:00:00:01"
    assert result["resolv"] == "nameserver 10.0.0.1\nnameserver 10.0.0.2\n"


def test_undefined_names_render_as_empty_strings():
    """Names the config does not hold (even dotted into) render as nothing rather than failing."""
    config = {"fqdn": "{{ _hostname }}.example.com", "deep": "[{{ missing.part.more }}]"}
    assert render_config(config) == {"fqdn": ".example.com", "deep": "[]"}


def test_input_config_is_not_changed():
    """Rendering returns a new dict and leaves the merged config as it was."""
    config = {"a": "{{ b }}", "b": "1", "n": {"x": "{{ b }}"}}
    render_config(config)
    assert config == {"a": "{{ b }}", "b": "1", "n": {"x": "{{ b }}"}}


def test_two_key_cycle_is_reported_with_its_keys():
    """Keys that refer to each other raise ConfigError naming the cycle, instead of hanging."""
    with pytest.raises(ConfigError, match=r"^Config values refer to each other in a cycle: a -> b -> a$"):
        render_config({"a": "{{ b }}", "b": "{{ a }}", "c": "fine"})


def test_self_reference_is_a_cycle():
    """A value that uses itself is a cycle of one key."""
    with pytest.raises(ConfigError, match=r"cycle: hostname -> hostname$"):
        render_config({"hostname": "{{ hostname }}.x"})


def test_three_key_cycle_through_nested_values_is_reported():
    """A longer cycle, hidden inside nested values, names every key on it in order."""
    config = {"a": ["{{ b }}"], "b": {"k": "{{ c }}"}, "c": "{% if a %}x{% endif %}", "d": "{{ a }}"}
    with pytest.raises(ConfigError, match=r"cycle: a -> b -> c -> a$"):
        render_config(config)


def test_cycle_comes_from_graphlib_with_its_keys():
    """The ordering is graphlib's: the ConfigError carries the cycle's keys and the CycleError it came from."""
    with pytest.raises(ConfigError) as info:
        render_order({"x": {"y"}, "y": {"z"}, "z": {"x"}, "free": set()})
    assert info.value.cycle == ["x", "y", "z", "x"]
    assert isinstance(info.value.__cause__, graphlib.CycleError)


def test_long_chain_renders_without_recursion_limits():
    """Thousands of chained references render (the ordering is iterative, not recursive)."""
    size = 3000
    config = {f"k{i}": f"{{{{ k{i + 1} }}}}" for i in range(size)}
    config[f"k{size}"] = "end"
    assert render_config(config)["k0"] == "end"


def test_render_order_puts_dependencies_first():
    """The order lists each key after the keys it depends on."""
    order = render_order({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": set()})
    assert order.index("c") < order.index("b") < order.index("a")
    assert sorted(order) == ["a", "b", "c", "d"]


def test_syntax_error_names_the_key():
    """A template that does not parse raises ConfigError naming its key."""
    with pytest.raises(ConfigError, match=r"Config value 'broken' is not a valid template: .*line 1"):
        render_config({"ok": "{{ 1 }}", "broken": "{{ oops "})


def test_render_error_names_the_key():
    """A template that fails while rendering (here: arithmetic on nothing) raises ConfigError naming its key."""
    with pytest.raises(ConfigError, match=r"Config value 'size' could not be rendered"):
        render_config({"size": "{{ missing + 1 }}"})
    with pytest.raises(ConfigError, match=r"Config value 'ratio' could not be rendered"):
        render_config({"ratio": "{{ 1 / 0 }}"})


def test_templates_are_sandboxed():
    """Templates cannot reach Python internals: unsafe attribute access is refused with ConfigError."""
    with pytest.raises(ConfigError, match=r"Config value .escape. could not be rendered: .*unsafe"):
        render_config({"escape": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})
