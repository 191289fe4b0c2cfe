"""Merging layers: the replace/prepend/append/remove/mask modifiers, their order and :Class filters."""

import pytest

from contractor.configuration import ConfigError
from contractor.configuration.merge import apply_layer, merge_layers, parse_key


def merged(*layers, class_list=None):
    return merge_layers([(f"layer{index}", values) for index, values in enumerate(layers)], class_list=class_list)


def test_parse_key_splits_modifier_name_and_class():
    """A raw key splits into its modifier, its name and its class filter."""
    assert parse_key("dns") == ("", "dns", None)
    assert parse_key(">dns_servers:vm") == (">", "dns_servers", "vm")
    assert parse_key("~__secret:Bare-Metal") == ("~", "__secret", "Bare-Metal")


def test_parse_key_rejects_malformed_keys_naming_key_and_layer():
    """A key outside the config key syntax raises ConfigError naming it and its layer."""
    with pytest.raises(ConfigError, match=r"'2bad' in layer site:prod"):
        parse_key("2bad", "site:prod")


def test_plain_key_replaces_a_lower_layer():
    """A plain key in a later layer replaces the value wholesale, whatever its type."""
    assert merged({"a": [1, 2], "b": {"x": 1}}, {"a": "now a string", "b": {"y": 2}}) == {
        "a": "now a string",
        "b": {"y": 2},
    }


def test_prepend_and_append_on_lists():
    """`<` puts new items before the old ones, `>` after them."""
    assert merged({"dns": ["b"]}, {"<dns": ["a"]}) == {"dns": ["a", "b"]}
    assert merged({"dns": ["b"]}, {">dns": ["c"]}) == {"dns": ["b", "c"]}


def test_prepend_and_append_on_strings():
    """On strings prepend and append concatenate."""
    assert merged({"args": "quiet"}, {"<args": "console=ttyS0 "}) == {"args": "console=ttyS0 quiet"}
    assert merged({"args": "quiet"}, {">args": " splash"}) == {"args": "quiet splash"}


def test_prepend_on_dicts_keeps_existing_keys_and_append_lets_new_keys_win():
    """Prepend merges a dict under the existing one; append merges it over."""
    assert merged({"d": {"a": 1, "b": 2}}, {"<d": {"b": 20, "c": 30}}) == {"d": {"a": 1, "b": 2, "c": 30}}
    assert merged({"d": {"a": 1, "b": 2}}, {">d": {"b": 20, "c": 30}}) == {"d": {"a": 1, "b": 20, "c": 30}}


def test_prepend_and_append_to_an_absent_key_set_it():
    """With nothing to add to, prepend and append just set the value."""
    assert merged({"<a": [1], ">b": "x"}) == {"a": [1], "b": "x"}


def test_remove_from_a_list_removes_every_equal_element():
    """`-` on a list drops every element equal to the scalar given, or to any of the list given."""
    assert merged({"dns": ["a", "b", "a", "c"]}, {"-dns": "a"}) == {"dns": ["b", "c"]}
    assert merged({"dns": ["a", "b", "c"]}, {"-dns": ["a", "c", "zz"]}) == {"dns": ["b"]}


def test_remove_from_a_dict_drops_the_named_keys():
    """`-` on a dict drops the key, or every key of the list, given."""
    assert merged({"d": {"a": 1, "b": 2, "c": 3}}, {"-d": "a"}) == {"d": {"b": 2, "c": 3}}
    assert merged({"d": {"a": 1, "b": 2, "c": 3}}, {"-d": ["a", "c"]}) == {"d": {"b": 2}}


def test_remove_from_a_string_drops_occurrences_of_the_substring():
    """`-` on a string removes every occurrence of the substring."""
    assert merged({"args": "quiet splash quiet"}, {"-args": "quiet"}) == {"args": " splash "}


def test_remove_from_an_absent_key_does_nothing():
    """Removing from a key that is not there leaves the config without it."""
    assert merged({"a": 1}, {"-b": "x"}) == {"a": 1}


def test_mask_deletes_the_key_whatever_its_value():
    """`~` deletes the key, its value being ignored, and a later layer may set it again."""
    assert merged({"a": {"deep": [1]}, "b": 2}, {"~a": None}) == {"b": 2}
    assert merged({"a": 1}, {"~a": ""}, {"a": 3}) == {"a": 3}
    assert merged({"~absent": True}) == {}


def test_modifiers_apply_in_documented_order_within_a_layer():
    """Within one layer: replace, then prepend, append, remove, and mask last, whatever the key order."""
    layer = {"-l": "x", ">l": ["z"], "<l": ["a"], "l": ["x", "m"]}
    assert merged({"l": ["old"]}, layer) == {"l": ["a", "m", "z"]}
    assert merged({"k": "v"}, {"~k": None, "k": "replaced", ">k": "!"}) == {}


def test_modifier_type_mismatch_names_key_and_layer():
    """Appending a string to a list (and other mismatches) raises ConfigError naming the key and layer."""
    with pytest.raises(ConfigError, match=r"append a string to the list value of config key 'dns' in layer layer1"):
        merged({"dns": ["a"]}, {">dns": "b"})
    with pytest.raises(ConfigError, match=r"prepend a number to the number value of config key 'n'"):
        merged({"n": 1}, {"<n": 2})
    with pytest.raises(ConfigError, match=r"remove a number from the string value of config key 's'"):
        merged({"s": "abc"}, {"-s": 1})
    with pytest.raises(ConfigError, match=r"remove a string from the number value"):
        merged({"n": 5}, {"-n": "5"})


def test_class_keys_apply_only_when_the_class_is_in_the_class_list():
    """`key:Class` applies only to targets whose class list holds that exact (case-sensitive) class."""
    layer = {"kernel": "generic", "kernel:vm": "virtual", "kernel:Metal": "metal"}
    assert merged(layer, class_list=["vm"]) == {"kernel": "virtual"}
    assert merged(layer, class_list=["metal"]) == {"kernel": "generic"}
    assert merged(layer, class_list=[]) == {"kernel": "generic"}


def test_class_keys_are_skipped_without_a_class_list():
    """Targets with no foundation (class list None) skip every class-filtered key."""
    assert merged({"a": 1, "b:vm": 2, ">a:vm": 3}, class_list=None) == {"a": 1}


def test_class_filter_combines_with_modifiers():
    """Forms like `>dns_servers:vm` append only for matching foundations."""
    layers = ({"dns_servers": ["10.0.0.1"]}, {">dns_servers:vm": ["10.0.0.2"], "~ntp:vm": None, "ntp": "pool"})
    assert merged(*layers, class_list=["vm"]) == {"dns_servers": ["10.0.0.1", "10.0.0.2"]}
    assert merged(*layers, class_list=["metal"]) == {"dns_servers": ["10.0.0.1"], "ntp": "pool"}


def test_class_specific_key_wins_over_plain_key_in_the_same_layer():
    """In one layer a matching `key:Class` applies after the plain `key`, whatever their order."""
    assert merged({"kernel:vm": "virtual", "kernel": "generic"}, class_list=["vm"]) == {"kernel": "virtual"}


def test_later_layers_win_and_layer_values_are_not_mutated():
    """Layers apply lowest priority first, and merging never changes the values it was given."""
    base = {"l": ["a"], "d": {"x": 1}}
    top = {">l": ["b"], ">d": {"y": 2}}
    assert merged(base, top) == {"l": ["a", "b"], "d": {"x": 1, "y": 2}}
    assert base == {"l": ["a"], "d": {"x": 1}} and top == {">l": ["b"], ">d": {"y": 2}}


def test_apply_layer_returns_plain_keys_only():
    """The merged result carries no modifier or class suffix in its keys."""
    config = apply_layer({}, {"<a": 1, ">b": 2, "c:vm": 3, "-d": 4, "~e": 5}, layer="l", class_list=["vm"])
    assert config == {"a": 1, "b": 2, "c": 3}
