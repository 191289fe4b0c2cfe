"""Links and small formatting helpers the console's templates share."""

import json

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

register = template.Library()


def foundation_url(locator: str) -> str:
    return reverse("console:foundation", args=[locator])


def structure_url(pk) -> str:
    return reverse("console:structure", args=[pk])


@register.simple_tag
def target_link(job):
    """A link to the foundation or structure a job (or job log) is about; a dependency as plain text."""
    if getattr(job, "foundation_id", None):
        return format_html('<a href="{}">{}</a>', foundation_url(job.foundation.locator), job.foundation.locator)
    if getattr(job, "structure_id", None):
        return format_html('<a href="{}">{}</a>', structure_url(job.structure_id), job.structure.hostname)
    if getattr(job, "dependency_id", None):
        return f"dependency {job.dependency_id}"
    return ""


@register.simple_tag
def event_link(event):
    """What an event is about, linked when it is a foundation, structure or job."""
    kind, ident = event.target_kind, event.target_id
    data = event.payload.get("data", {}) if isinstance(event.payload, dict) else {}
    if kind == "foundation":
        return format_html('<a href="{}">foundation {}</a>', foundation_url(ident), ident)
    if kind == "structure" and ident.isdigit():
        return format_html('<a href="{}">structure {}</a>', structure_url(ident), data.get("hostname", ident))
    if kind == "job" and ident.isdigit():
        about = f"{data.get('target_kind', '')} {data.get('target', '')}".strip()
        return format_html('<a href="{}">job {}</a> {}', reverse("console:job", args=[ident]), ident, about)
    return f"{kind} {ident}".strip()


@register.filter
def pretty_json(value) -> str:
    """A config value as readable JSON (strings without quotes when they stand alone)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@register.filter
def ago(moment) -> str:
    """'just now' within a minute, else '3 minutes ago' (Django's timesince)."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def duration(seconds) -> str:
    """Seconds as h:mm:ss, '-' when unknown."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


@register.filter
def layer_kind(layer: str) -> str:
    """'site' of 'site:lab', 'globals' of 'globals': what kind of layer set a config value."""
    return str(layer).split(":", 1)[0]
