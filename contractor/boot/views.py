"""The boot endpoints a machine being built calls: its iPXE script, installer template and config, and its signal once
booted, all below the boot token of the job building it (/boot/<token>/...); the boot files; and, for machines
nothing is built on, the discovery image's script and endpoint."""

import io
import mimetypes

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from jinja2 import TemplateError
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError

from contractor.api.parsers import JSONObjectParser
from contractor.boot.selectors import (
    boot_file_path,
    boot_url,
    booted_structure,
    discovery_script,
    job_by_boot_token,
    provisioning_interface,
)
from contractor.building.models import Structure
from contractor.configuration import ConfigError
from contractor.configuration.installer import installer_config
from contractor.configuration.templating import environment
from contractor.discovery.models import DiscoveredMachine
from contractor.discovery.services import discovery_report
from contractor.foreman.models import Job
from contractor.foreman.services import job_note, job_signal
from contractor.site.models import Site
from contractor.subcontracting.models import Subcontractor


def _booting(boot_token: str) -> tuple[Job, Structure]:
    """The job the token names and the structure it boots: 404 for any other token, or once that job has ended."""
    job = job_by_boot_token(boot_token)
    structure = booted_structure(job) if job is not None else None
    if job is None or structure is None:
        raise Http404("Nothing is being built here.")
    return job, structure


class RenderRefused(Exception):
    """What the machine asked for cannot be rendered (a template error, a sandbox bound): its job is told."""


#: What rendering a PXE template can raise besides TemplateError (TemplateBoundError, a sandbox bound, is one).
RENDER_ERRORS = (TemplateError, RecursionError, TypeError, ValueError, ArithmeticError, LookupError)


def _refused(job: Job, what: str, error) -> RenderRefused:
    """Note on the job's story why its machine got nothing, and the error the response carries."""
    message = " ".join(f"The {what} for {job.target} cannot be rendered: {error}".split())
    job_note(job=job, status="boot", message=message)
    return RenderRefused(message)


def _config(job: Job, structure: Structure) -> dict:
    """The installer config, with `_boot_url` (this job's boot folder) for templates to name the other endpoints."""
    try:
        return installer_config(structure, extra={"_boot_url": boot_url(job)})
    except ConfigError as error:
        raise _refused(job, "config", error) from error


def _render(job: Job, structure: Structure, field: str) -> HttpResponse:
    """The PXE's `field` rendered for the machine; 422 with an iPXE script printing why when it cannot be."""
    interface = provisioning_interface(structure.foundation)
    pxe = interface.pxe if interface else None
    if pxe is None:
        raise Http404("The provisioning interface has no PXE.")
    try:
        config = _config(job, structure)
        try:
            text = environment().from_string(getattr(pxe, field)).render(config)
        except RENDER_ERRORS as error:
            raise _refused(job, f"{field.replace('_', ' ')} of PXE {pxe.name}", error) from error
    except RenderRefused as refused:
        script = f"#!ipxe\necho {refused}\nexit 1\n"
        return HttpResponse(script, status=422, content_type="text/plain; charset=utf-8")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_GET
def discovery_boot_script(request):
    """`?mac=`: the discovery image's iPXE script for a MAC nothing is built on (a machine booting from a dynamic
    pool) or whose create job waits in foundation.discover(); 404 for any other, a planned machine's included (its
    own script is below its job's boot token)."""
    script = discovery_script(request.GET.get("mac", ""))
    if script is None:
        raise Http404("Nothing is being built here.")
    return HttpResponse(script, content_type="text/plain; charset=utf-8")


@require_GET
def boot_script(request, boot_token: str):
    """The rendered iPXE boot script of the PXE on the provisioning interface of the machine the job boots; the
    discovery image's while that job waits in foundation.discover()."""
    job, structure = _booting(boot_token)
    interface = provisioning_interface(structure.foundation)
    # A machine something is built on gets the discovery script only while its job waits in foundation.discover().
    script = discovery_script(interface.mac) if interface else None
    if script is not None:
        return HttpResponse(script, content_type="text/plain; charset=utf-8")
    return _render(job, structure, "boot_script")


@require_GET
def boot_template(request, boot_token: str):
    """The rendered installer template of that PXE."""
    return _render(*_booting(boot_token), "template")


@require_GET
def boot_config(request, boot_token: str):
    """The machine's installer config: no out-of-band keys, no secrets its blueprints do not mark for it."""
    try:
        return JsonResponse(_config(*_booting(boot_token)))
    except RenderRefused as refused:
        return JsonResponse({"detail": str(refused)}, status=422)


@csrf_exempt
@require_POST
def boot_signal(request, boot_token: str):
    """The booted machine reports in: signal the job its token names."""
    job, _ = _booting(boot_token)
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


def _instruction(machine: DiscoveredMachine) -> JsonResponse:
    fields = ("id", "mac", "state", "action", "message")
    return JsonResponse({name: getattr(machine, name) for name in fields})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def boot_discovery(request):
    """The discovery image's endpoint. POST its report (`{"mac", "facts", "site"?, "subcontractor"?}`): it is
    recorded and matched; GET `?mac=` polls. Both answer what the machine is to do: wait, poweroff or reboot.
    Like every boot endpoint it takes no credentials: the booting machine has none (docs/discovery.md)."""
    if request.method == "GET":
        machine = DiscoveredMachine.objects.filter(mac__iexact=request.GET.get("mac", "").strip()).first()
        if machine is None:
            raise Http404("No machine with that MAC has reported.")
        return _instruction(machine)
    try:  # the API's own parser: one object, bounded in depth, of storable text (contractor/api/parsers.py)
        body = JSONObjectParser().parse(io.BytesIO(request.body or b"{}"))
    except ParseError as error:
        return JsonResponse({"detail": str(error.detail)}, status=400)
    except DRFValidationError as error:
        return JsonResponse(error.detail, status=400)
    if not isinstance(body.get("mac"), str):
        return JsonResponse({"mac": ["The report names the MAC the machine booted from."]}, status=400)
    named = {"site": (Site, body.get("site")), "subcontractor": (Subcontractor, body.get("subcontractor"))}
    where = {}
    for field, (model, name) in named.items():
        if name:
            where[field] = model.objects.filter(name=name).first()
            if where[field] is None:
                return JsonResponse({field: [f"No {field} is named {name!r}."]}, status=400)
    try:
        machine = discovery_report(
            mac=body["mac"], facts=body.get("facts"), address=request.META.get("REMOTE_ADDR"), **where
        )
    except ValidationError as error:
        return JsonResponse(error.message_dict, status=400)
    return _instruction(machine)
