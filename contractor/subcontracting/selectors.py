"""Reads of the subcontractor protocol: who is asking, which sites a subcontractor serves, whether it is alive."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from contractor.site.selectors import SiteTree, site_tree
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Subcontractor, Task

DEFAULT_ALIVE_SECONDS = 60


def alive_seconds() -> float:
    """How recently a subcontractor must have polled to count as alive (CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS)."""
    return float(getattr(settings, "CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS", DEFAULT_ALIVE_SECONDS))


def subcontractor_of(user) -> Subcontractor | None:
    """The Subcontractor row of a user holding `user.act_as_subcontractor`, or None."""
    if not (user and user.is_authenticated and user.has_perm("user.act_as_subcontractor")):
        return None
    return Subcontractor.objects.filter(user=user).prefetch_related("sites").first()


def subcontractor_list() -> QuerySet[Subcontractor]:
    """Every subcontractor with its user and sites loaded."""
    return Subcontractor.objects.select_related("user").prefetch_related("sites")


def subcontractor_is_alive(subcontractor: Subcontractor, *, now=None) -> bool:
    """Whether it polled within CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS."""
    if subcontractor.last_poll_at is None:
        return False
    now = now or timezone.now()
    return now - subcontractor.last_poll_at <= timedelta(seconds=alive_seconds())


def task_list() -> QuerySet[Task]:
    """Every task with its site and lessee loaded."""
    return Task.objects.select_related("site", "leased_by")


def task_leasable(now) -> Q:
    """Tasks a poll may lease: pending ones, and leased ones whose lease ran out."""
    return Q(state=TaskState.PENDING) | Q(state=TaskState.LEASED, lease_expires__lte=now)


def subcontractor_site_ids(subcontractor: Subcontractor, tree: SiteTree | None = None) -> set[int]:
    """The sites a subcontractor serves: each site it is registered for and every site below it."""
    tree = tree or site_tree()
    return {pk for site in subcontractor.sites.all() for pk in tree.descendants(site.pk)}


def subcontractor_sites_pick(subcontractor: Subcontractor, site_names: str | list[str] | None) -> set[int]:
    """The sites a poll or PXE plan asks for (names, and all they hold): all it serves when none is named.

    Each named site must exist (else 400) and be one the subcontractor serves (registered for it or for a site
    above it; else 403).
    """
    tree = site_tree()
    served = subcontractor_site_ids(subcontractor, tree)
    names = [site_names] if isinstance(site_names, str) else site_names or []
    names = [name for name in names if name]
    if not names:
        return served
    if unknown := sorted(set(names) - set(tree.names)):
        raise ValidationError({"site": f"No site named {', '.join(map(repr, unknown))}."})
    found, picked = tree.names, set()
    for name in names:
        if found[name] not in served:
            raise PermissionDenied(f"Subcontractor {subcontractor.name} is not registered for site {name!r}.")
        picked |= tree.descendants(found[name])
    return picked
