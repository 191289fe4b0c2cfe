"""Reads behind the boot endpoints: the job a boot token names and the structure it boots, its PXE, the boot files
folder, and the PXE plan of a set of sites."""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils.crypto import constant_time_compare

from contractor.building.models import Structure
from contractor.discovery.choices import RequestState
from contractor.foreman.choices import ACTIVE_STATES, JobState
from contractor.foreman.models import Job
from contractor.site.models import Site
from contractor.tokens import row_token
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, AddressBlock, RealNetworkInterface
from contractor.validators import normal_mac

DYNAMIC_BOOT_QUERY = "?mac=${net0/mac}"  # iPXE fills in the booting NIC's MAC
#: The job states in which a job may be listening for its machine's signal: started, not yet finished.
LISTENING_STATES = [state for state in ACTIVE_STATES if state != JobState.WAITING]


def _host() -> str:
    return settings.CONTRACTOR_HOST.rstrip("/")


BOOT_TOKEN_SALT = "contractor.boot.token"
BOOT_TOKEN_DIGITS = 40  # hex digits of the keyed hash: 160 bits


def boot_script_url(mac: str = "") -> str:
    """Contractor's token-free boot-script URL for a MAC: the discovery image's, for machines nothing is built on."""
    return f"{_host()}/boot/script/" + (f"?mac={quote(mac, safe=':')}" if mac else "")


def boot_token(job: Job) -> str:
    """The job's boot token: its id and a hash of its id and creation time keyed by SECRET_KEY.

    Nothing secret is stored: the token is worked out again whenever it is needed (the PXE plan, the boot
    endpoints), so no API, admin page or database dump shows it, and it names one job only.
    """
    return f"{job.pk}-{row_token(BOOT_TOKEN_SALT, job)[:BOOT_TOKEN_DIGITS]}"


def boot_url(job: Job) -> str:
    """The folder of the job's boot endpoints (`script/`, `template/`, `config/`, `signal/` below it)."""
    return f"{_host()}/boot/{boot_token(job)}/"


def job_by_boot_token(token: str) -> Job | None:
    """The started, unfinished job whose boot token this is; None for any other token or once the job has ended."""
    pk, _, digest = token.partition("-")
    if not pk.isdigit() or len(pk) > 18 or len(digest) != BOOT_TOKEN_DIGITS:
        return None
    job = Job.objects.filter(pk=int(pk), state__in=LISTENING_STATES).first()
    if job is None or job.dependency_id is not None or not constant_time_compare(boot_token(job), token):
        return None
    return job


def booted_structure(job: Job) -> Structure | None:
    """The structure a job boots: its own target, or the structure on the foundation it builds (None: no structure)."""
    structures = Structure.objects.select_related("site", "blueprint", "foundation")
    if job.structure_id is not None:
        return structures.get(pk=job.structure_id)
    return structures.filter(foundation_id=job.foundation_id).first()


def provisioning_interface(foundation, mac: str = "") -> RealNetworkInterface | None:
    """The foundation's provisioning interface (with its PXE), optionally only when it has that MAC."""
    interfaces = RealNetworkInterface.objects.select_related("pxe").filter(foundation=foundation, is_provisioning=True)
    if mac:
        interfaces = interfaces.filter(mac__iexact=mac.strip().replace("-", ":"))
    return interfaces.first()


def _booting_jobs(structures: dict[int, int]) -> dict[int, Job]:
    """structure id -> the job booting it (structure id -> foundation id given): its structure's started job,
    else its foundation's.

    A job still `waiting` for what it stands on has not started, so it boots nothing: with both create jobs
    posted at once, the machine boots (and signals) for the foundation's running job.
    """
    jobs = Job.objects.filter(state__in=LISTENING_STATES).filter(
        Q(structure_id__in=structures) | Q(foundation_id__in=structures.values())
    )
    by_foundation = {foundation: structure for structure, foundation in structures.items()}
    booting: dict[int, Job] = {}
    for job in jobs.order_by("pk"):
        structure = job.structure_id or by_foundation[job.foundation_id]
        if job.structure_id or structure not in booting:
            booting[structure] = job
    return booting


def boot_files_root() -> Path:
    """The folder boot files are served from (CONTRACTOR_BOOT_FILES; relative paths are the project's)."""
    root = Path(settings.CONTRACTOR_BOOT_FILES)
    return root if root.is_absolute() else Path(settings.BASE_DIR) / root


def boot_file_path(relative: str) -> Path | None:
    """The file `relative` names below the root, or None when it is not a safe path to a regular file there.

    Only regular files below that folder: no hidden names, nothing reached through `..` or a symbolic link
    leading out of it.
    """
    parts = relative.split("/")
    if any(not part or part.startswith(".") or "\\" in part or "\0" in part for part in parts):
        return None
    root = boot_files_root().resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


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
    booting = _booting_jobs({pk: interface.foundation_id for pk, interface in by_structure.items()})
    addresses = Address.objects.filter(
        kind=AddressKind.STATIC, structure_id__in=by_structure, alias_index__isnull=True
    ).select_related("address_block", "structure")
    hosts = []
    for address in addresses.order_by("structure_id", "-is_primary"):
        interface = by_structure[address.structure_id]
        if address.interface_name != interface.name or any(h["mac"] == interface.mac for h in hosts):
            continue
        job = booting.get(address.structure_id)
        hosts.append(
            {
                "mac": interface.mac,
                "address": address.ip_address,
                "netmask": address.address_block.netmask,
                "hostname": address.structure.hostname,
                # a host with no job booting it gets the token-free URL: a 404, so it boots from its disk
                "boot": boot_url(job) + "script/" if job else boot_script_url(interface.mac),
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
        "efi_boot_file": getattr(settings, "CONTRACTOR_PXE_EFI_BOOT_FILE", "ipxe.efi"),
        "tftp_server": getattr(settings, "CONTRACTOR_PXE_TFTP_SERVER", ""),
    }


def _normal_mac(mac: str) -> str | None:
    try:
        return normal_mac(mac)
    except ValueError:
        return None


def discovery_requested(mac: str) -> bool:
    """Whether a job waits in foundation.discover() for the foundation with that MAC: it boots discovery, first."""
    mac = _normal_mac(mac)
    interfaces = RealNetworkInterface.objects.filter(mac=mac, foundation__discovery_request__state=RequestState.OPEN)
    return mac is not None and interfaces.exists()


def discovery_script(mac: str) -> str | None:
    """The iPXE script booting the discovery image for `mac` (docs/discovery.md), or None: no MAC, a MAC that a
    foundation being built has (it gets its own script or a 404, never discovery, unless its job waits in
    foundation.discover()), or no image installed."""
    folder = settings.CONTRACTOR_DISCOVERY_IMAGE.strip("/")
    mac = _normal_mac(mac)
    if mac is None or not folder or boot_file_path(f"{folder}/vmlinuz") is None:
        return None
    built = RealNetworkInterface.objects.filter(mac=mac, foundation__structure__isnull=False)
    if built.exists() and not discovery_requested(mac):
        return None
    files = f"{_host()}/boot/files/{folder}"
    args = f"discovery={_host()}/boot/discovery/ mac={mac} {settings.CONTRACTOR_DISCOVERY_KERNEL_ARGS}".strip()
    return f"#!ipxe\nkernel {files}/vmlinuz {args}\ninitrd {files}/initrd.img\nboot\n"
