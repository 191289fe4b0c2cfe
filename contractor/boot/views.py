"""The boot endpoints a machine being built calls: its iPXE script, installer template and config (found by config
UUID or by its address), its signal once booted, and the boot files."""

import mimetypes

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe
from jinja2 import TemplateError

from contractor.boot.selectors import (
    boot_file_path,
    job_listening,
    provisioning_interface,
    structure_by_address,
    structure_by_uuid,
)
from contractor.building.models import Structure
from contractor.configuration import ConfigError
from contractor.configuration.installer import installer_config
from contractor.configuration.templating import environment
from contractor.foreman.services import job_signal


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
    """The booted machine reports in: signal the job listening for it (see job_listening)."""
    job = job_listening(_requester(request, config_uuid))
    if job is None:
        raise Http404("No job is waiting for this machine.")
    try:
        job = job_signal(job=job)
    except ValidationError as error:
        return JsonResponse({"job": job.pk, "signalled": False, "detail": " ".join(error.messages)}, status=409)
    return JsonResponse({"job": job.pk, "signalled": True})


@require_safe
def boot_file(request, relative: str):
    """A boot file below CONTRACTOR_BOOT_FILES, streamed; 404 for anything else (folders included)."""
    found = boot_file_path(relative)
    if found is None:
        raise Http404("No such boot file.")
    content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    return FileResponse(found.open("rb"), content_type=content_type)
