"""Reads behind the console's overview pages: the dashboard's figures, the site tree and search."""

import re
from dataclasses import dataclass

from django.db.models import Case, Count, Value, When
from django.db.models.functions import Replace
from django.utils import timezone

from contractor.building.choices import FoundationState, StructureState
from contractor.building.fleet import counts_per_site
from contractor.building.models import Foundation, Structure
from contractor.configuration import redact
from contractor.dns.models import Zone
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.foreman.selectors import job_list
from contractor.redaction import declared_secret_keys
from contractor.site.models import Site
from contractor.site.selectors import site_tree
from contractor.subcontracting.models import Subcontractor
from contractor.subcontracting.selectors import subcontractor_is_alive
from contractor.utilities.models import Address, RealNetworkInterface
from contractor.utilities.selectors import address_ip_q
from contractor.webhooks.models import Event

#: The jobs an operator looks at first: paused ones wait for a person (a manual power switch, a pause()).
ATTENTION_ORDER = (JobState.PAUSED, JobState.ERROR, JobState.RUNNING, JobState.WAITING, JobState.QUEUED)
SEARCH_LIMIT = 50
HEX = re.compile(r"[^0-9a-f]")


def state_counts(model, states) -> list[tuple[str, str, int]]:
    """(state, label, count) for every state of `model`, zeros included, in the choices' order (one query)."""
    counts = dict(model.objects.order_by().values_list("state").annotate(n=Count("pk")))
    return [(value, label, counts.get(value, 0)) for value, label in states.choices]


def jobs_needing_attention(limit: int = 20) -> list[Job]:
    """Active jobs, paused first, then in error, running, waiting and queued; the oldest first within each."""
    rank = Case(*(When(state=state, then=Value(n)) for n, state in enumerate(ATTENTION_ORDER)))
    return list(job_list().filter(state__in=ATTENTION_ORDER).order_by(rank, "created", "pk")[:limit])


def job_state_counts() -> dict[str, int]:
    """Jobs per state, every active state present."""
    counts = dict(Job.objects.order_by().values_list("state").annotate(n=Count("pk")))
    return {state: counts.get(state, 0) for state in JobState.values}


@dataclass
class SubcontractorHealth:
    subcontractor: Subcontractor
    alive: bool
    sites: list[str]


def subcontractor_health() -> list[SubcontractorHealth]:
    """Every subcontractor, the lost ones first, with whether it polled recently."""
    now = timezone.now()
    rows = [
        SubcontractorHealth(sub, subcontractor_is_alive(sub, now=now), sorted(site.name for site in sub.sites.all()))
        for sub in Subcontractor.objects.prefetch_related("sites")
    ]
    return sorted(rows, key=lambda row: (row.alive, row.subcontractor.name))


def recent_events(limit: int = 15) -> list[Event]:
    """The newest events (what webhooks are told about), newest first."""
    return list(Event.objects.select_related("site").order_by("-pk")[:limit])


def dashboard() -> dict:
    """Everything the dashboard shows."""
    jobs = job_state_counts()
    subcontractors = subcontractor_health()
    return {
        "foundation_states": state_counts(Foundation, FoundationState),
        "structure_states": state_counts(Structure, StructureState),
        "job_counts": {
            "running": jobs[JobState.RUNNING] + jobs[JobState.QUEUED] + jobs[JobState.WAITING],
            "paused": jobs[JobState.PAUSED],
            "error": jobs[JobState.ERROR],
        },
        "attention": jobs_needing_attention(),
        "subcontractors": subcontractors,
        "alive": sum(1 for row in subcontractors if row.alive),
        "lost": sum(1 for row in subcontractors if not row.alive),
        "events": recent_events(),
    }


# -- the site tree ------------------------------------------------------------------------------------------------


@dataclass
class SiteNode:
    site: Site
    counts: dict
    config: dict
    children: list["SiteNode"]
    zone: str | None = None  # the DNS zone its structures land in
    zone_inherited: bool = False


def site_forest(*, reveal_secrets: bool) -> list[SiteNode]:
    """The sites as a forest, each with its own and sub-site counts and its own config values."""
    sites = list(Site.objects.order_by("name"))
    counts = {row["site"]: row for row in counts_per_site()}
    tree, zones = site_tree(), dict(Zone.objects.values_list("pk", "name"))
    nodes, names = {}, (frozenset() if reveal_secrets else declared_secret_keys())
    for site in sites:
        config = site.config_values if reveal_secrets else redact(site.config_values, names)
        zone = tree.zone_of(site.pk)
        nodes[site.pk] = SiteNode(site, counts[site.name], config, [], zones.get(zone), zone != site.zone_id)
    roots = []
    for site in sites:
        parent = nodes.get(site.parent_id)
        (parent.children if parent else roots).append(nodes[site.pk])
    return roots


# -- search -------------------------------------------------------------------------------------------------------


def mac_pattern(text: str) -> str | None:
    """`text` as (part of) a MAC in the stored form aa:bb:..., whatever separators it was typed with; None when it
    is not one (fewer than 4 hex digits, or other characters than hex digits and : - .)."""
    lowered = text.strip().lower()
    if not lowered or re.search(r"[^0-9a-f:.\-]", lowered):
        return None
    digits = HEX.sub("", lowered)
    if len(digits) < 4 or len(digits) > 12:
        return None
    if len(digits) == 12 or re.search(r"[:.\-]", lowered):
        # Pairs when the operator typed a full MAC or used separators; a run of digits may start mid-pair.
        return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2)) if len(digits) % 2 == 0 else None
    return digits


@dataclass
class SearchResults:
    query: str
    foundations: list
    structures: list
    interfaces: list
    addresses: list

    @property
    def total(self) -> int:
        return len(self.foundations) + len(self.structures) + len(self.interfaces) + len(self.addresses)


def _interfaces_by_mac(pattern: str | None):
    if pattern is None:
        return []
    rows = RealNetworkInterface.objects.select_related("foundation", "foundation__site")
    if ":" in pattern:
        rows = rows.filter(mac__icontains=pattern)
    else:  # a run of hex digits: compare with the MAC's colons removed
        rows = rows.annotate(bare=Replace("mac", Value(":"), Value(""))).filter(bare__icontains=pattern)
    return list(rows.order_by("mac")[:SEARCH_LIMIT])


def search(query: str) -> SearchResults:
    """Foundations by locator, structures by hostname, interfaces by MAC and addresses by IP matching `query`."""
    text = query.strip()
    if not text:
        return SearchResults(text, [], [], [], [])
    foundations = Foundation.objects.filter(locator__icontains=text).select_related("site", "blueprint")
    structures = Structure.objects.filter(hostname__icontains=text).select_related("site", "blueprint", "foundation")
    ip = address_ip_q(text)
    addresses = []
    if ip is not None:
        addresses = list(
            Address.objects.filter(ip).select_related("address_block", "structure", "structure__foundation")[
                :SEARCH_LIMIT
            ]
        )
    return SearchResults(
        text,
        list(foundations.order_by("locator")[:SEARCH_LIMIT]),
        list(structures.order_by("hostname")[:SEARCH_LIMIT]),
        _interfaces_by_mac(mac_pattern(text)),
        addresses,
    )
