"""Writes of discovered machines: a report recorded, its automatic match, an operator's assignment or new foundation.

A match locates the foundation through building's foundation_locate, which checks the blueprint's hardware
requirements against the facts; a refusal is kept on the machine (state `refused`, `message` naming each unmet
requirement and what was found) and never locates the foundation.
"""

import ipaddress

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contractor.building.choices import FoundationState
from contractor.building.models import Foundation
from contractor.building.services import foundation_create, foundation_locate
from contractor.db import validated_save
from contractor.discovery.choices import DiscoveredAction, DiscoveredState, RequestState
from contractor.discovery.facts import checked_facts, fact_macs, id_map
from contractor.discovery.models import DiscoveredMachine, DiscoveryRequest
from contractor.events import event_emit
from contractor.plugins import foundation_types
from contractor.utilities.models import AddressBlock, RealNetworkInterface
from contractor.utilities.services import interface_create
from contractor.validators import normal_mac


def _site_of(address: str | None):
    """The site of the address block holding `address` (a dynamic pool's block), if one does."""
    if not address:
        return None
    try:
        wanted = ipaddress.ip_address(address)
    except ValueError:
        return None
    for block in AddressBlock.objects.select_related("site").order_by("pk"):
        if wanted.version == block.ip_network.version and wanted in block.ip_network:
            return block.site
    return None


def matching_foundation(facts: dict, mac: str) -> tuple[Foundation | None, str]:
    """The foundation the facts belong to and what matched it: a provisioning MAC (then any interface's MAC), the
    DMI serial, the DMI UUID, or a BMC address (of any foundation type with a `bmc_address`)."""
    macs = [mac, *[m for m in fact_macs(facts) if m != mac]]
    interfaces = RealNetworkInterface.objects.filter(mac__in=macs).select_related("foundation")
    for interface in sorted(interfaces, key=lambda i: (not i.is_provisioning, macs.index(i.mac))):
        return interface.foundation, "mac"
    dmi = facts.get("dmi") or {}
    for key in ("serial", "uuid"):
        value = (dmi.get(key) or "").strip()
        if value and value.lower() not in {"none", "not specified", "to be filled by o.e.m.", "0"}:
            found = Foundation.objects.filter(**{f"id_map__dmi__{key}__iexact": value}).first()
            if found is not None:
                return found, f"dmi_{key}"
    bmc = (facts.get("bmc_address") or "").strip()
    if bmc:
        for model in foundation_types().values():
            if any(field.name == "bmc_address" for field in model._meta.get_fields()):
                found = model.objects.filter(bmc_address=bmc).first()
                if found is not None:
                    return found, "bmc_address"
    return None, ""


def _open_request(foundation_id: int | None) -> DiscoveryRequest | None:
    """The open foundation.discover() request of that foundation, if its create job waits in one."""
    if foundation_id is None:
        return None
    return DiscoveryRequest.objects.filter(foundation_id=foundation_id, state=RequestState.OPEN).first()


def _close_request(request: DiscoveryRequest | None, state: str, message: str = "") -> None:
    if request is not None:
        request.state, request.message = state, message
        validated_save(request)


def _locate(machine: DiscoveredMachine, foundation: Foundation, state: str, matched_by: str) -> DiscoveredMachine:
    """Locate `foundation` with the machine's facts; a refusal is recorded on the machine, not raised. A create job
    waiting in foundation.discover() hears the outcome, and a machine it waits for reboots into its build."""
    machine.foundation, machine.matched_by = foundation, matched_by
    request = _open_request(foundation.pk)
    done = DiscoveredAction.REBOOT if request is not None else DiscoveredAction.POWEROFF
    if foundation.state != FoundationState.PLANNED:
        # A located or built foundation's machine booting discovery again: it stays as it is.
        machine.state, machine.message = state, f"{foundation} is already {foundation.state}."
        machine.action = done
        _close_request(request, RequestState.DONE)
        return validated_save(machine)
    try:
        with transaction.atomic():
            located = foundation_locate(foundation=foundation, id_map={**foundation.id_map, **id_map(machine.facts)})
    except ValidationError as error:
        machine.state, machine.action = DiscoveredState.REFUSED, DiscoveredAction.WAIT
        machine.message = f"{foundation} refused it: " + "; ".join(error.messages)
        validated_save(machine)
        _close_request(request, RequestState.REFUSED, machine.message)
        event_emit(event="discovery.refused", obj=foundation, data={"mac": machine.mac, "message": machine.message})
        return machine
    machine.foundation, machine.state, machine.message = located, state, ""
    machine.action = done
    validated_save(machine)
    _close_request(request, RequestState.DONE)
    event_emit(event=f"discovery.{state}", obj=foundation, data={"mac": machine.mac, "matched_by": matched_by})
    return machine


def discovery_report(
    *, mac: str, facts, address: str | None = None, site=None, subcontractor=None
) -> DiscoveredMachine:
    """Record a report from the discovery image (a new machine, or the next report of one known by its MAC) and
    match it to a foundation if it is not matched or assigned yet."""
    try:
        mac = normal_mac(mac)
    except ValueError as error:
        raise ValidationError({"mac": str(error)}) from error
    facts = checked_facts(facts)
    with transaction.atomic():
        machine = DiscoveredMachine.objects.select_for_update().filter(mac=mac).first()
        if machine is None:
            machine = DiscoveredMachine(mac=mac, reports=0)
        machine.facts, machine.address, machine.last_report_at = facts, address, timezone.now()
        machine.site = site or _site_of(address) or machine.site
        machine.subcontractor = subcontractor or machine.subcontractor
        machine.reports += 1
        if machine.action == DiscoveredAction.REBOOT:  # it did reboot (into discovery again): it is not told twice
            bound = machine.state in (DiscoveredState.MATCHED, DiscoveredState.ASSIGNED)
            machine.action = DiscoveredAction.POWEROFF if bound else DiscoveredAction.WAIT
        validated_save(machine)
        if machine.reports == 1:
            event_emit(event="discovery.reported", obj=machine, site=machine.site, data={"mac": mac})
    return discovered_match(machine=machine)


def discovered_match(*, machine: DiscoveredMachine) -> DiscoveredMachine:
    """Match a machine not matched or assigned yet to its foundation (see matching_foundation) and locate it."""
    bound = machine.state in (DiscoveredState.MATCHED, DiscoveredState.ASSIGNED)
    if bound and _open_request(machine.foundation_id) is None:  # a job's foundation.discover() checks it again
        return machine
    foundation, matched_by = matching_foundation(machine.facts, machine.mac)
    if foundation is None:
        return machine
    return _locate(machine, foundation, DiscoveredState.MATCHED, matched_by)


def _require_unbound(machine: DiscoveredMachine):
    if machine.state in (DiscoveredState.MATCHED, DiscoveredState.ASSIGNED):
        raise ValidationError(
            {"state": f"{machine} is {machine.state} to {machine.foundation}; it cannot be given again."}
        )


def discovered_assign(*, machine: DiscoveredMachine, foundation: Foundation) -> DiscoveredMachine:
    """An operator gives an unmatched (or refused) machine to a planned foundation, which is located with its facts.
    A fingerprint refusal is a ValidationError on `foundation` naming each unmet requirement (and kept on the machine).
    """
    _require_unbound(machine)
    if foundation.state != FoundationState.PLANNED:
        raise ValidationError(
            {"foundation": f"{foundation} is {foundation.state}; only a planned one can be assigned."}
        )
    machine = _locate(machine, foundation, DiscoveredState.ASSIGNED, "operator")
    if machine.state == DiscoveredState.REFUSED:
        raise ValidationError({"foundation": machine.message})
    return machine


def discovered_create_foundation(
    *, machine: DiscoveredMachine, locator: str, blueprint, site=None, foundation_type: str = "manual", **fields
) -> DiscoveredMachine:
    """Create a foundation for the machine (its interfaces from the facts, the booting one for provisioning) and
    assign the machine to it. Refused by the blueprint's hardware requirements, nothing is created."""
    _require_unbound(machine)
    site = site or machine.site
    if site is None:
        raise ValidationError({"site": f"{machine} booted on no known site; name one."})
    with transaction.atomic():
        foundation = foundation_create(
            foundation_type=foundation_type, locator=locator, site=site, blueprint=blueprint, **fields
        )
        for item in machine.facts.get("interfaces", []):
            if item.get("name") and item.get("mac"):
                interface_create(
                    foundation=foundation,
                    name=item["name"],
                    mac=item["mac"],
                    is_provisioning=item["mac"] == machine.mac,
                )
        machine = _locate(machine, foundation, DiscoveredState.ASSIGNED, "operator")
        if machine.state == DiscoveredState.REFUSED:
            raise ValidationError({"blueprint": machine.message})
    return machine


def discovered_instruct(*, machine: DiscoveredMachine, action: str) -> DiscoveredMachine:
    """Tell a machine what to do at its next poll: power off, or reboot (into its build: its foundation's boot
    script once its structure is being built, else the discovery image again), or keep waiting."""
    if action not in DiscoveredAction.values:
        raise ValidationError({"action": f"{action!r} is not one of {', '.join(DiscoveredAction.values)}."})
    machine.action = action
    return validated_save(machine)


def discovery_request_open(*, foundation: Foundation, job_id: int | None = None) -> DiscoveryRequest:
    """foundation.discover() begins: until its machine reports, the foundation's MACs boot the discovery image."""
    with transaction.atomic():
        request = DiscoveryRequest.objects.select_for_update().filter(foundation=foundation).first()
        request = request or DiscoveryRequest(foundation=foundation)
        request.job_id_ref, request.state, request.message = job_id, RequestState.OPEN, ""
        return validated_save(request)


def discovery_request_close(*, request: DiscoveryRequest) -> None:
    """foundation.discover() is over (the job goes on with the machine located): forget the request."""
    request.delete()


def discovered_forget(*, machine: DiscoveredMachine) -> None:
    """Forget a discovered machine (its next report records it anew)."""
    machine.delete()
