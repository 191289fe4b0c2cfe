"""Boot endpoints for the machine being built (iPXE script, installer template, config, signal) and the PXE plan."""

import ipaddress
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from jinja2 import TemplateError

from contractor.building.models import Structure
from contractor.configuration import ConfigError
from contractor.configuration.installer import installer_config
from contractor.configuration.templating import environment
from contractor.foreman.bootfiles import boot_file
from contractor.foreman.choices import ACTIVE_STATES, JobState
from contractor.site.models import Site
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, AddressBlock, RealNetworkInterface

DYNAMIC_BOOT_QUERY = "?mac=${net0/mac}"  # iPXE fills in the booting NIC's MAC


def _host() -> str:
    return settings.CONTRACTOR_HOST.rstrip("/")


def boot_script_url(mac: str = "") -> str:
    """Contractor's boot-script URL for a MAC (an iPXE chain target)."""
    return f"{_host()}/boot/script/" + (f"?mac={quote(mac, safe=':')}" if mac else "")


# --- selectors -------------------------------------------------------------------------------------------------


def _structures():
    return Structure.objects.select_related("site", "blueprint", "foundation")


def structure_by_uuid(config_uuid) -> Structure | None:
    """The structure with that config UUID."""
    return _structures().filter(config_uuid=config_uuid).first()


def structure_by_address(address: str | None, mac: str = "") -> Structure | None:
    """The structure one of whose static addresses is `address` (and, if given, whose provisioning NIC is `mac`)."""
    if not address:
        return None
    candidates = Address.objects.filter(kind=AddressKind.STATIC, structure__isnull=False).select_related(
        "address_block"
    )
    try:
        wanted = ipaddress.ip_address(address)
    except ValueError:
        return None
    for candidate in candidates.filter(address_block__in=_blocks_holding(wanted)):
        if ipaddress.ip_address(candidate.ip_address) == wanted:
            structure = _structures().get(pk=candidate.structure_id)
            if not mac or provisioning_interface(structure.foundation, mac=mac) is not None:
                return structure
    return None


def _blocks_holding(address) -> list[int]:
    return [block.pk for block in AddressBlock.objects.all() if address in block.ip_network]


def provisioning_interface(foundation, mac: str = "") -> RealNetworkInterface | None:
    """The foundation's provisioning interface (with its PXE), optionally only when it has that MAC."""
    interfaces = RealNetworkInterface.objects.select_related("pxe").filter(foundation=foundation, is_provisioning=True)
    if mac:
        interfaces = interfaces.filter(mac__iexact=mac.strip().replace("-", ":"))
    return interfaces.first()


def _pools(site_ids) -> list[dict]:
    """Runs of consecutive dynamic addresses in the sites' blocks, one pool per run."""
    pools = []
    blocks = AddressBlock.objects.filter(site_id__in=site_ids).prefetch_related(
        Prefetch("addresses", Address.objects.filter(kind=AddressKind.DYNAMIC).order_by("offset"), to_attr="dynamic")
    )
    for block in blocks.order_by("pk"):
        runs = []
        for address in block.dynamic:
            if runs and address.offset == runs[-1][1] + 1:
                runs[-1][1] = address.offset
            else:
                runs.append([address.offset, address.offset])
        boot = boot_script_url() + DYNAMIC_BOOT_QUERY
        pools += [
            {"start": block.address_at(a), "end": block.address_at(b), "netmask": block.netmask, "boot": boot}
            for a, b in runs
        ]
    return pools


def _static_hosts(site_ids) -> list[dict]:
    interfaces = (
        RealNetworkInterface.objects.filter(foundation__structure__site_id__in=site_ids, is_provisioning=True)
        .exclude(mac="")
        .select_related("foundation__structure")
    )
    by_structure = {i.foundation.structure.pk: i for i in interfaces}
    addresses = Address.objects.filter(
        kind=AddressKind.STATIC, structure_id__in=by_structure, alias_index__isnull=True
    ).select_related("address_block", "structure")
    hosts = []
    for address in addresses.order_by("structure_id", "-is_primary"):
        interface = by_structure[address.structure_id]
        if address.interface_name != interface.name or any(h["mac"] == interface.mac for h in hosts):
            continue
        hosts.append(
            {
                "mac": interface.mac,
                "address": address.ip_address,
                "netmask": address.address_block.netmask,
                "hostname": address.structure.hostname,
                "boot": boot_script_url(interface.mac),
            }
        )
    return hosts


def pxe_plan(sites: Site | set[int]) -> dict:
    """The PXE plan, in the shape docs/subcontractor.md defines (static hosts and dynamic pools), of a site and
    every site below it, or of the sites whose ids are given."""
    site_ids = sites.descendant_ids() if isinstance(sites, Site) else sites
    return {
        "static": _static_hosts(site_ids),
        "dynamic": _pools(site_ids),
        "boot_file": getattr(settings, "CONTRACTOR_PXE_BOOT_FILE", "undionly.kpxe"),
        "tftp_server": getattr(settings, "CONTRACTOR_PXE_TFTP_SERVER", ""),
    }


# --- views -----------------------------------------------------------------------------------------------------


def _requester(request, config_uuid=None) -> Structure:
    """The structure asking: by the config UUID in the URL, else by the requester's address. Otherwise 404."""
    if config_uuid is not None:
        structure = structure_by_uuid(config_uuid)
    else:
        structure = structure_by_address(request.META.get("REMOTE_ADDR"), request.GET.get("mac", ""))
    if structure is None:
        raise Http404("Nothing is being built here.")
    return structure


def _config(structure) -> dict:
    try:
        return installer_config(structure)
    except ConfigError as error:
        raise Http404(str(error)) from error


def _render(structure, field: str) -> HttpResponse:
    interface = provisioning_interface(structure.foundation)
    pxe = interface.pxe if interface else None
    if pxe is None:
        raise Http404("The provisioning interface has no PXE.")
    try:
        text = environment().from_string(getattr(pxe, field)).render(_config(structure))
    except TemplateError as error:
        return HttpResponse(f"#!ipxe\necho Cannot render {pxe.name}: {error}\n", status=500, content_type="text/plain")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_GET
def boot_script(request, config_uuid=None):
    """The rendered iPXE boot script of the PXE on the requester's provisioning interface."""
    return _render(_requester(request, config_uuid), "boot_script")


@require_GET
def boot_template(request, config_uuid=None):
    """The rendered installer template of that PXE."""
    return _render(_requester(request, config_uuid), "template")


@require_GET
def boot_config(request, config_uuid=None):
    """The requester's installer config: no out-of-band keys, no secrets its blueprints do not mark for it."""
    return JsonResponse(_config(_requester(request, config_uuid)))


@csrf_exempt
@require_POST
def boot_signal(request, config_uuid=None):
    """The booted machine reports in: signal its structure's started job, else its foundation's.

    A job still `waiting` for what it stands on has not started, so it cannot be the one listening:
    with both create jobs posted at once, the signal belongs to the foundation's running job.
    """
    from contractor.foreman.services import job_signal

    structure = _requester(request, config_uuid)
    started = [state for state in ACTIVE_STATES if state != JobState.WAITING]
    job = (
        structure.jobs.filter(state__in=started).first() or structure.foundation.jobs.filter(state__in=started).first()
    )
    if job is None:
        raise Http404("No job is waiting for this machine.")
    try:
        job = job_signal(job=job)
    except ValidationError as error:
        return JsonResponse({"job": job.pk, "signalled": False, "detail": " ".join(error.messages)}, status=409)
    return JsonResponse({"job": job.pk, "signalled": True})


urlpatterns = [
    path("files/<path:relative>", boot_file, name="boot-file"),
    path("script/", boot_script, name="boot-script"),
    path("template/", boot_template, name="boot-template"),
    path("config/", boot_config, name="boot-config"),
    path("signal/", boot_signal, name="boot-signal"),
    path("<uuid:config_uuid>/script/", boot_script, name="boot-uuid-script"),
    path("<uuid:config_uuid>/template/", boot_template, name="boot-uuid-template"),
    path("<uuid:config_uuid>/config/", boot_config, name="boot-uuid-config"),
    path("<uuid:config_uuid>/signal/", boot_signal, name="boot-uuid-signal"),
]
