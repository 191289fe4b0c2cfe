"""Validators shared by the apps."""

from django.core.validators import RegexValidator

name_validator = RegexValidator(
    r"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$",
    "Use letters, digits, '-', '_' and '.', starting with a letter or digit.",
)
hostname_validator = RegexValidator(
    r"^[a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$",
    "A hostname is letters, digits and '-', 1 to 63 characters, not starting or ending with '-'.",
)
config_key_validator = RegexValidator(
    r"^[<>\-~]?[a-zA-Z_][a-zA-Z0-9_]*(:[a-zA-Z0-9_\-]+)?$",
    "Config keys are names with an optional modifier (< > - ~) in front and an optional :Class after.",
)


def normal_mac(value: str) -> str:
    """`value` (any case, '-' or ':' between the bytes) as aa:bb:cc:dd:ee:ff; a ValueError saying what it is not."""
    mac = value.strip().lower().replace("-", ":")
    parts = mac.split(":")
    if len(parts) != 6 or not all(len(part) == 2 and all(c in "0123456789abcdef" for c in part) for part in parts):
        raise ValueError(f"{value!r} is not a MAC address like aa:bb:cc:dd:ee:ff.")
    return mac
