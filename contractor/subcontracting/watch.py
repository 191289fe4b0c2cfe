"""Liveness: tasks no alive subcontractor can take (and those nobody leased in time), and subcontractors that
stopped polling. The foreman worker runs these between passes."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from contractor.site.models import Site
from contractor.site.selectors import SiteTree, site_tree
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Subcontractor, Task
from contractor.subcontracting.selectors import alive_seconds, subcontractor_is_alive, subcontractor_site_ids
from contractor.webhooks.services import event_emit

DEFAULT_UNCLAIMED_SECONDS = 3600


def unclaimed_seconds() -> float:
    """How long a task may wait without being leased before its job errors (CONTRACTOR_TASK_UNCLAIMED_SECONDS)."""
    return float(getattr(settings, "CONTRACTOR_TASK_UNCLAIMED_SECONDS", DEFAULT_UNCLAIMED_SECONDS))


def _taker_problem(task: Task, subcontractors: list[Subcontractor], served: dict[int, set[int]], now) -> str | None:
    """Why no alive subcontractor can take `task` (naming its site and module), or None when one can."""
    able = [sc for sc in subcontractors if task.module in sc.modules and task.site_id in served[sc.pk]]
    where = f"site {task.site.name} with module {task.module}"
    if not able:
        return f"no subcontractor is registered with module {task.module} for site {task.site.name} or a site above it"
    if not any(subcontractor_is_alive(sc, now=now) for sc in able):
        names = ", ".join(sc.name for sc in able)
        return f"{names} serving {where} has not polled in the last {alive_seconds():g} s"
    return None


def _fail_unclaimed(task: Task, problem: str | None, now) -> None:
    task.state, task.finished_at = TaskState.FAILED, now
    task.error = (
        f"No subcontractor took task {task.module}.{task.function} ({task.pk}) for site {task.site.name} within "
        f"{unclaimed_seconds():g} s (CONTRACTOR_TASK_UNCLAIMED_SECONDS)" + (f": {problem}" if problem else "") + "."
    )
    task.save(update_fields=["state", "finished_at", "error", "updated"])


def tasks_unclaimed_review(*, now=None) -> tuple[int, list[tuple[Task, str | None]]]:
    """In the caller's transaction, lock the pending tasks no other worker holds; fail those nobody leased within
    CONTRACTOR_TASK_UNCLAIMED_SECONDS (the foreman then errors their jobs with the reason). Returns how many it
    failed, and each other pending task (its job loaded) with why no alive subcontractor can take it (None when
    one can)."""
    now = now or timezone.now()
    pending = Task.objects.select_for_update(skip_locked=True, of=("self",)).filter(state=TaskState.PENDING)
    pending = list(pending.select_related("site", "job").order_by("pk"))
    if not pending:
        return 0, []
    tree = site_tree()
    subcontractors = list(Subcontractor.objects.prefetch_related("sites"))
    served = {sc.pk: subcontractor_site_ids(sc, tree) for sc in subcontractors}
    too_old = now - timedelta(seconds=unclaimed_seconds())
    failed, waiting = 0, []
    for task in pending:
        problem = _taker_problem(task, subcontractors, served, now)
        if task.created <= too_old:
            _fail_unclaimed(task, problem, now)
            failed += 1
        else:
            waiting.append((task, problem))
    return failed, waiting


def _common_site(sites: list[Site], tree: SiteTree) -> Site | None:
    """The nearest site holding all of `sites` (itself for one site), or None when they are in different trees."""
    chains = [tree.ancestors(site.pk) for site in sites]
    if not chains:
        return None
    shared = set(chains[0]).intersection(*chains[1:])
    pk = next((node for node in chains[0] if node in shared), None)
    return next((site for site in sites if site.pk == pk), None) or Site.objects.filter(pk=pk).first()


@transaction.atomic
def subcontractors_lost_check(*, now=None) -> list[Subcontractor]:
    """Emit `subcontractor.lost` for each subcontractor that polled once but not within the liveness window.

    Once per loss: `lost_at` records it, and only a poll after that (`last_poll_at` > `lost_at`) lets a later
    silence count as a new loss. A subcontractor that never polled has not stopped polling and is left alone.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=alive_seconds())
    lost = Subcontractor.objects.select_for_update(skip_locked=True).filter(last_poll_at__lt=cutoff)
    lost = list(lost.filter(Q(lost_at__isnull=True) | Q(lost_at__lt=F("last_poll_at"))).prefetch_related("sites"))
    tree = site_tree() if lost else None
    for subcontractor in lost:
        subcontractor.lost_at = now
        subcontractor.save(update_fields=["lost_at"])
        sites = list(subcontractor.sites.all())
        data = {
            "name": subcontractor.name,
            "sites": sorted(site.name for site in sites),
            "modules": subcontractor.modules,
            "last_poll_at": subcontractor.last_poll_at.isoformat(),
            "last_address": subcontractor.last_address,
            "alive_seconds": alive_seconds(),
        }
        event_emit(event="subcontractor.lost", obj=subcontractor, site=_common_site(sites, tree), data=data)
    return lost
