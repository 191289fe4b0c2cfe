"""Validators for zone names, name servers, glue and extra records."""

import ipaddress
import re

from django.core.exceptions import ValidationError

HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
# Owner names of extra records may also hold '_' (SRV, DKIM) and a leading '*' label (wildcards).
OWNER_LABEL = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$", re.IGNORECASE)
RECORD_FIELDS = {
    "MX": {"priority", "value"},
    "SRV": {"priority", "weight", "port", "value"},
    "CNAME": {"value"},
    "TXT": {"value"},
}


def _is_name(value, label=HOST_LABEL) -> bool:
    if not isinstance(value, str) or not value or len(value.rstrip(".")) > 253:
        return False
    return all(label.match(part) for part in value.rstrip(".").split("."))


def validate_domain_name(value):
    """A full domain name of host labels, e.g. prod.example.com (a trailing dot is allowed)."""
    if not _is_name(value) or "." not in value.rstrip("."):
        raise ValidationError(f"{value!r} is not a domain name such as prod.example.com.")


def validate_name_servers(value):
    """A non-empty list of name server FQDNs."""
    if not isinstance(value, list) or not value:
        raise ValidationError("A non-empty list of name server names such as ns1.example.com.")
    for server in value:
        validate_domain_name(server)


def validate_glue(value):
    """A map of name server FQDN to a non-empty list of IPv4/IPv6 addresses."""
    if not isinstance(value, dict):
        raise ValidationError("A map of name server name to a list of addresses.")
    for server, addresses in value.items():
        validate_domain_name(server)
        if not isinstance(addresses, list) or not addresses:
            raise ValidationError(f"Glue for {server}: a non-empty list of addresses.")
        for address in addresses:
            try:
                ipaddress.ip_address(address)
            except (TypeError, ValueError) as error:
                raise ValidationError(f"Glue for {server}: {address!r} is not an IP address.") from error


def _check_number(record: dict, field: str, index: int):
    number = record.get(field)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 65535:
        raise ValidationError(f"Record {index}: {field} must be a whole number from 0 to 65535.")


def _check_record(record, index: int):
    if not isinstance(record, dict):
        raise ValidationError(f"Record {index}: an object with type, name and value.")
    kind = record.get("type")
    if kind not in RECORD_FIELDS:
        raise ValidationError(f"Record {index}: type must be one of {', '.join(RECORD_FIELDS)}.")
    allowed = RECORD_FIELDS[kind] | {"type", "name", "ttl"}
    if unknown := set(record) - allowed:
        raise ValidationError(f"Record {index}: {kind} records take no {', '.join(sorted(unknown))}.")
    name = record.get("name", "@")
    if name != "@" and not _is_name(name, OWNER_LABEL):
        raise ValidationError(f"Record {index}: name {name!r} is not '@', a relative name or an FQDN.")
    for field in RECORD_FIELDS[kind] - {"value"}:
        _check_number(record, field, index)
    if "ttl" in record and (isinstance(record["ttl"], bool) or not isinstance(record["ttl"], int) or record["ttl"] < 0):
        raise ValidationError(f"Record {index}: ttl must be a whole number of seconds.")
    _check_value(kind, record.get("value"), index)
    if kind == "CNAME" and name == "@":
        raise ValidationError(f"Record {index}: the zone apex cannot be a CNAME.")


def _check_value(kind: str, value, index: int):
    if kind == "TXT":
        if not isinstance(value, str) or not value.isprintable():
            raise ValidationError(f"Record {index}: a TXT value is printable text.")
    elif not (value == "@" or _is_name(value, OWNER_LABEL if kind == "CNAME" else HOST_LABEL)):
        raise ValidationError(f"Record {index}: {kind} value {value!r} is not a host name.")


def validate_extra_records(value):
    """A list of MX, SRV, CNAME and TXT records, each checked for the fields of its type."""
    if not isinstance(value, list):
        raise ValidationError("A list of records.")
    for index, record in enumerate(value):
        _check_record(record, index)
