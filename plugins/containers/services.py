"""Writes of the containers plugin: container complexes, placing a container on a host with its host ports,
recording what the engine answered, and releasing the host and ports when the container is gone."""

from django.core.exceptions import ValidationError
from django.db import transaction

from contractor.building import services as building
from contractor.building.models import Structure
from contractor.building.placement import hosted_place
from contractor.utilities.models import RealNetworkInterface
from plugins.containers.models import ContainerComplex, ContainerFoundation, ContainerPort
from plugins.containers.selectors import host_config, host_publish_address, used_host_ports
from plugins.containers.spec import port_range


@transaction.atomic
def container_complex_create(*, name: str, site, max_containers_per_host: int = 0, **fields) -> ContainerComplex:
    """Create a complex of container hosts (`fields` as contractor.building.services.complex_create takes them)."""
    return building.complex_create(name=name, site=site, model=ContainerComplex,
                                   max_containers_per_host=max_containers_per_host, **fields)  # fmt: skip


@transaction.atomic
def container_place(*, foundation: ContainerFoundation, ports: list[tuple[int, str]]):
    """The host the container is (or now will be) on, with a host port for each of `ports` (container port,
    protocol): its recorded host and ports, else the least loaded built host with room, and the lowest free
    ports of the host's range (`container_port_min`..`container_port_max`).

    The complex's and the host's rows are locked while choosing, so two placements at once count each other;
    the (host, host_port) unique constraint stands behind the lock."""
    placed = hosted_place(foundation=foundation, limit_field="max_containers_per_host", hosted="hosted_containers")
    foundation = ContainerFoundation.objects.select_for_update().get(pk=foundation.pk)
    host = Structure.objects.select_for_update().get(pk=placed.pk)
    low, high = port_range(host_config(host))
    wanted = set(ports)
    for port in foundation.ports.all():
        if port.host_id != host.pk or (port.container_port, port.protocol) not in wanted:
            port.delete()
    address = host_publish_address(host)
    foundation.ports.exclude(address=address).update(address=address)
    have = {(port.container_port, port.protocol) for port in foundation.ports.all()}
    taken = used_host_ports(host)
    candidates = (number for number in range(low, high + 1) if number not in taken)
    for container_port, protocol in ports:
        if (container_port, protocol) in have:
            continue
        host_port = next(candidates, None)
        if host_port is None:
            raise ValidationError({"ports": f"Host {host} has no free port in {low}-{high}."})
        ContainerPort.objects.create(foundation=foundation, host=host, container_port=container_port,
                                     protocol=protocol, host_port=host_port, address=address)  # fmt: skip
    return host


@transaction.atomic
def container_record(*, foundation: ContainerFoundation, result: dict) -> ContainerFoundation:
    """What `containers.create` answered: the container's id, its published ports and its NIC on each network
    (as the foundation's interfaces, by network name, with the engine's MAC)."""
    foundation = ContainerFoundation.objects.select_for_update().get(pk=foundation.pk)
    container_id = result.get("id")
    if not isinstance(container_id, str) or not container_id:
        raise ValidationError({"container_id": f"containers.create answered no container id: {result!r}"})
    foundation.container_id = container_id
    for network in result.get("networks") or []:
        if isinstance(network, dict) and isinstance(network.get("network"), str) and network.get("mac"):
            interface, _ = RealNetworkInterface.objects.get_or_create(foundation=foundation, name=network["network"])
            interface.mac = str(network["mac"]).lower()
            interface.save()
    foundation.id_map = {
        "container_id": container_id,
        "host": foundation.host.hostname if foundation.host_id else "",
        "image": result.get("image"),
        "image_id": result.get("image_id"),
        "ports": result.get("ports") or [],
        "networks": result.get("networks") or [],
    }
    foundation.save(update_fields=["container_id", "id_map", "updated"])
    return foundation


@transaction.atomic
def container_forget(*, foundation: ContainerFoundation) -> ContainerFoundation:
    """The container is gone: release its host ports and its host, clear its id and the engine's MACs."""
    foundation = ContainerFoundation.objects.select_for_update().get(pk=foundation.pk)
    foundation.ports.all().delete()
    networks = [row.get("network") for row in (foundation.id_map or {}).get("networks", []) if isinstance(row, dict)]
    foundation.interfaces.filter(name__in=[name for name in networks if name]).update(mac="")
    foundation.host, foundation.container_id = None, ""
    foundation.save(update_fields=["host", "container_id", "updated"])
    return foundation
