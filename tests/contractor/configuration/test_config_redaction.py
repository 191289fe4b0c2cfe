"""Redacting secrets: any key naming a password, token or secret, at any depth."""

from contractor.configuration import redact
from contractor.configuration.redaction import REDACTED


def test_secret_named_keys_are_redacted_at_any_depth_case_insensitively():
    """Values of keys containing password, token or secret (any case) become asterisks, however deep."""
    config = {
        "root_password": "hunter2",
        "API_TOKEN": {"value": "abc"},
        "ipmi": {"username": "admin", "Password": "pw", "nested": [{"client_secret": "s", "id": 1}]},
        "hostname": "web1",
        "tokens_seen": 3,
    }
    assert redact(config) == {
        "root_password": REDACTED,
        "API_TOKEN": REDACTED,
        "ipmi": {"username": "admin", "Password": REDACTED, "nested": [{"client_secret": REDACTED, "id": 1}]},
        "hostname": "web1",
        "tokens_seen": REDACTED,
    }


def test_redact_leaves_its_input_alone_and_keeps_other_values():
    """Redaction returns a copy; values under ordinary keys and non-dict values are unchanged."""
    config = {"password": "pw", "list": ["password", 1], "n": None}
    assert redact(config) == {"password": REDACTED, "list": ["password", 1], "n": None}
    assert config["password"] == "pw"
    assert REDACTED == "********"
