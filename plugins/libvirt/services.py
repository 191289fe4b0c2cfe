"""Writes of the libvirt plugin: libvirt complexes, placing a VM on a host, recording and forgetting what it got."""

from django.core.exceptions import ValidationError
from django.db import transaction

from contractor.blueprint.models import PXE
from contractor.building import services as building
from contractor.building.placement import hosted_place
from contractor.db import validated_save
from contractor.utilities.models import RealNetworkInterface
from plugins.libvirt.models import LibvirtComplex, LibvirtFoundation


@transaction.atomic
def libvirt_complex_create(*, name: str, site, max_vms_per_host: int = 0, **fields) -> LibvirtComplex:
    """Create a complex of VM hosts (`fields` as contractor.building.services.complex_create takes them)."""
    return building.complex_create(name=name, site=site, model=LibvirtComplex, max_vms_per_host=max_vms_per_host,
                                   **fields)  # fmt: skip


@transaction.atomic
def libvirt_vm_place(*, foundation: LibvirtFoundation):
    """The host the VM is (or now will be) on: its recorded one, else the least loaded built host with room.

    The complex's row is locked while choosing, so two VMs placed at once count each other.
    """
    return hosted_place(foundation=foundation, limit_field="max_vms_per_host", hosted="libvirt_vms")


def _interface_rows(reported) -> list[dict]:
    rows = []
    for item in reported:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("mac"), str):
            raise ValidationError({"interfaces": f"libvirt.create reported a malformed interface: {item!r}"})
        rows.append({"name": item["name"], "mac": item["mac"].lower()})
    if not rows:
        raise ValidationError({"interfaces": "libvirt.create reported no interfaces."})
    return rows


@transaction.atomic
def libvirt_vm_record(*, foundation: LibvirtFoundation, spec: dict, result: dict, pxe: str = "") -> LibvirtFoundation:
    """What `libvirt.create` answered: the MACs become the foundation's interfaces (the first, provisioning, boots
    the PXE record named `pxe` unless it has one); the VM's size (from `spec`, the create's parameters),
    accelerator and host become its id_map."""
    foundation = LibvirtFoundation.objects.select_for_update().get(pk=foundation.pk)
    if str(result.get("uuid", "")).lower() != str(foundation.libvirt_uuid):
        raise ValidationError({"libvirt_uuid": f"libvirt.create answered for VM {result.get('uuid')!r}."})
    rows = _interface_rows(result.get("interfaces") or [])
    pinned = {item["name"] for item in spec["interfaces"] if item.get("mac")}
    foundation.interfaces.exclude(name=rows[0]["name"]).filter(is_provisioning=True).update(is_provisioning=False)
    for position, row in enumerate(rows):
        interface, _ = RealNetworkInterface.objects.get_or_create(foundation=foundation, name=row["name"])
        interface.mac, interface.is_provisioning = row["mac"], position == 0
        if position == 0 and pxe and interface.pxe_id is None:
            interface.pxe = _pxe(pxe)
        validated_save(interface)
        row["pinned"] = row["name"] in pinned
    sizes = {key: spec[key] for key in ("cpu_count", "memory_mb", "disk_gb")}
    foundation.id_map = {**sizes, "accelerator": result.get("accelerator", ""), "interfaces": rows,
                         "host": foundation.host.hostname if foundation.host_id else ""}  # fmt: skip
    foundation.save(update_fields=["id_map", "updated"])
    return foundation


def _pxe(name: str) -> PXE:
    found = PXE.objects.filter(name=name).first()
    if found is None:
        raise ValidationError({"libvirt_pxe": f"No PXE record {name!r} (config value libvirt_pxe)."})
    return found


@transaction.atomic
def libvirt_vm_forget(*, foundation: LibvirtFoundation) -> LibvirtFoundation:
    """The VM is gone: release its host, and clear the MACs libvirt chose (an operator's own MACs stay)."""
    foundation = LibvirtFoundation.objects.select_for_update().get(pk=foundation.pk)
    chosen = [row.get("mac") for row in (foundation.id_map or {}).get("interfaces", []) if not row.get("pinned")]
    foundation.interfaces.filter(mac__in=[mac for mac in chosen if mac]).update(mac="")
    foundation.host = None
    foundation.save(update_fields=["host", "updated"])
    return foundation
