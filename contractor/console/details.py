"""Reads behind the foundation and structure pages: everything about one machine, from the apps' selectors."""

import ipaddress

from django.shortcuts import get_object_or_404

from contractor.building.fleet import impact
from contractor.building.models import Foundation, Structure, wait_chain
from contractor.configuration import ConfigError, redact, traced_config
from contractor.configuration.redaction import REDACTED, is_secret_key
from contractor.dns.models import Zone
from contractor.dns.naming import address_name
from contractor.foreman.choices import ACTIVE_STATES, CREATE, DESTROY
from contractor.foreman.selectors import job_list, job_log_detail
from contractor.redaction import SecretCharField, declared_secret_keys
from contractor.site.selectors import site_tree
from contractor.utilities.choices import AddressKind

RECORD_TYPE = {4: "A", 6: "AAAA"}
LOGS_SHOWN = 20


def foundation_get(locator: str) -> Foundation:
    """The foundation as its plugin's model (with the type's own fields), or a 404."""
    base = get_object_or_404(Foundation.objects.select_related("site", "blueprint"), locator=locator)
    return base.subclass


def structure_get(pk: int) -> Structure:
    return get_object_or_404(
        Structure.objects.select_related("site", "site__zone", "blueprint", "foundation", "foundation__blueprint"),
        pk=pk,
    )


def type_fields(foundation: Foundation) -> list[tuple[str, object]]:
    """(label, value) of the fields a foundation's type adds to the base (a BMC address, a VM's size...).

    A secret field (a BMC password) shows only whether it is set, to everyone: the API never returns it either.
    """
    base = {field.name for field in Foundation._meta.get_fields()}
    rows = []
    for field in type(foundation)._meta.concrete_fields:
        if field.name in base or field.name.endswith("_ptr"):
            continue
        value = getattr(foundation, field.attname)
        if (is_secret_key(field.name) or isinstance(field, SecretCharField)) and value not in ("", None):
            value = REDACTED
        rows.append((field.verbose_name, value))
    return rows


def config_with_origins(target, *, reveal_secrets: bool) -> tuple[list[dict], str | None]:
    """([{key, value, layer, layers}], error): the merged config and the layer that set each value."""
    try:
        traced = traced_config(target, reveal_secrets=reveal_secrets)
    except ConfigError as error:
        return [], str(error)
    # The operator's own keys first, then the `_` attributes, then the `__` globals.
    ordered = sorted(traced.items(), key=lambda item: (len(item[0]) - len(item[0].lstrip("_")), item[0]))
    return [{"key": key, **entry} for key, entry in ordered], None


def scripts_of(target) -> dict:
    """The target's create and destroy scripts (if its blueprint has them) and its utility scripts."""
    names = target.blueprint.script_names()
    return {
        "create": CREATE in names,
        "destroy": DESTROY in names,
        "utilities": [name for name in names if name not in (CREATE, DESTROY)],
    }


def current_job(**target):
    """The target's active job (waiting, queued, running, paused or in error), or None: there is one at most."""
    return job_list().filter(**target, state__in=ACTIVE_STATES).first()


def job_logs_of(kind: str, name: str) -> list:
    """The newest job logs of a foundation (by locator) or structure (by hostname), with their steps."""
    return list(job_log_detail().filter(target_kind=kind, target=name).order_by("-created")[:LOGS_SHOWN])


def waits_on_links(kind: str, pk: int) -> list[dict]:
    """What the target waits on to be built, nearest first, as {kind, label, pk} (and a foundation's locator),
    for links; the target itself is left out."""
    chain = []
    for (node_kind, node_pk), label in list(wait_chain(kind, pk))[1:]:
        entry = {"kind": node_kind, "label": label, "pk": node_pk}
        if node_kind == "foundation":
            entry["locator"] = Foundation.objects.filter(pk=node_pk).values_list("locator", flat=True).first()
        chain.append(entry)
    return chain


def interfaces_of(foundation: Foundation) -> list:
    return list(foundation.interfaces.select_related("network", "pxe").order_by("name"))


def addresses_of(structure: Structure) -> list:
    return list(structure.addresses.select_related("address_block").order_by("interface_name", "alias_index"))


def _zone_of(structure: Structure) -> Zone | None:
    zone_id = site_tree().zone_of(structure.site_id)
    return Zone.objects.filter(pk=zone_id).first() if zone_id else None


def dns_names(structure: Structure, addresses: list) -> dict:
    """The names the zone file gives the structure: one per static address, and its hostname for the primary."""
    zone = _zone_of(structure)
    if zone is None:
        return {"zone": None, "records": []}
    records = []
    primary = None
    for address in addresses:
        if address.kind != AddressKind.STATIC:
            continue
        ip = address.ip_address
        name = address_name(structure.hostname, address.interface_name, address.alias_index, address.address_block.vlan)
        fqdn = f"{name}.{zone.name}"
        records.append({"name": fqdn, "type": RECORD_TYPE[ipaddress.ip_address(ip).version], "value": ip})
        if address.is_primary:
            primary = fqdn
    if primary:
        records.insert(0, {"name": f"{structure.hostname.lower()}.{zone.name}", "type": "CNAME", "value": primary})
    return {"zone": zone, "records": records}


def foundation_page(locator: str, *, reveal_secrets: bool) -> dict:
    """Everything the foundation page shows."""
    foundation = foundation_get(locator)
    structure = Structure.objects.filter(foundation=foundation).select_related("site", "blueprint").first()
    config, config_error = config_with_origins(foundation, reveal_secrets=reveal_secrets)
    return {
        "foundation": foundation,
        "structure": structure,
        "type_fields": type_fields(foundation),
        "id_map": foundation.id_map if reveal_secrets else redact(foundation.id_map, declared_secret_keys()),
        "config": config,
        "config_error": config_error,
        "interfaces": interfaces_of(foundation),
        "scripts": scripts_of(foundation),
        "current": current_job(foundation=foundation),
        "logs": job_logs_of("foundation", foundation.locator),
        "waits_on": waits_on_links("foundation", foundation.pk),
        "impact": impact(foundation),
    }


def structure_page(pk: int, *, reveal_secrets: bool) -> dict:
    """Everything the structure page shows."""
    structure = structure_get(pk)
    config, config_error = config_with_origins(structure, reveal_secrets=reveal_secrets)
    addresses = addresses_of(structure)
    return {
        "structure": structure,
        "foundation": structure.foundation,
        "config": config,
        "config_error": config_error,
        "interfaces": interfaces_of(structure.foundation),
        "addresses": addresses,
        "dns": dns_names(structure, addresses),
        "complexes": list(structure.complexes.order_by("name")),
        "scripts": scripts_of(structure),
        "current": current_job(structure=structure),
        "logs": job_logs_of("structure", structure.hostname),
        "waits_on": waits_on_links("structure", structure.pk),
        "impact": impact(structure),
    }
