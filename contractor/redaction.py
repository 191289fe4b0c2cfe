"""Hiding secret config values (keys naming a password, token or secret) from those not allowed to see them."""

REDACTED = "********"
SECRET_WORDS = ("password", "token", "secret")


def is_secret_key(key) -> bool:
    lowered = str(key).lower()
    return any(word in lowered for word in SECRET_WORDS)


def redact(config):
    """A copy of `config` with the value of every secret-named key, at any depth, replaced by REDACTED."""
    if isinstance(config, dict):
        return {key: REDACTED if is_secret_key(key) else redact(value) for key, value in config.items()}
    if isinstance(config, list):
        return [redact(item) for item in config]
    return config
