"""Reads of the subcontractor protocol: who is asking, which sites a subcontractor serves, whether it is alive."""

import functools
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from contractor.db import execute_prepared
from contractor.site.models import Site
from contractor.site.selectors import SiteTree, site_tree
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Subcontractor, Task
from contractor.user.models import User
from contractor.user.roles import SUBCONTRACTOR_PERMISSION

DEFAULT_ALIVE_SECONDS = 60


def alive_seconds() -> float:
    """How recently a subcontractor must have polled to count as alive (CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS)."""
    return float(getattr(settings, "CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS", DEFAULT_ALIVE_SECONDS))


def subcontractor_of(user) -> Subcontractor | None:
    """The Subcontractor row of a user holding `user.act_as_subcontractor`, or None."""
    if not (user and user.is_authenticated and user.has_perm("user.act_as_subcontractor")):
        return None
    return Subcontractor.objects.filter(user=user).prefetch_related("sites").first()


@dataclass(frozen=True)
class Poller:
    """A polling subcontractor (its row's name, modules and id only) and the sites it serves, read in one query."""

    subcontractor: Subcontractor
    tree: SiteTree

    def sites_pick(self, site_names: str | list[str] | None) -> set[int]:
        """subcontractor_sites_pick from what the poll's query read; a name it does not serve is looked up the
        long way, which refuses it (400 or 403)."""
        names = [site_names] if isinstance(site_names, str) else site_names or []
        names = [name for name in names if name]
        if not names:
            return set(self.tree.parents)
        if not set(names) <= set(self.tree.names):
            return subcontractor_sites_pick(Subcontractor.objects.get(pk=self.subcontractor.pk), names)
        return {pk for name in names for pk in self.tree.descendants(self.tree.names[name])}


#: The subcontractor of a user who may act as one, with the sites it serves (each site it is registered for and every
#: site below it, walked by the recursive half), in one query. `may` is true when the user holds the permission
#: directly or through a group (Django's ModelBackend; the caller checks is_active and is_superuser).
POLLER_SQL = """
WITH RECURSIVE served(id, parent_id, name) AS (
    SELECT s."id", s."parent_id", s."name" FROM {site} s
    JOIN {sc_sites} r ON r."site_id" = s."id" JOIN {sc} c ON c."id" = r."subcontractor_id"
    WHERE c."user_id" = %(user)s
  UNION
    SELECT s."id", s."parent_id", s."name" FROM {site} s JOIN served ON s."parent_id" = served.id
), perm AS (
    SELECT p."id" FROM {perm} p JOIN {ctype} t ON t."id" = p."content_type_id"
    WHERE t."app_label" = %(app)s AND p."codename" = %(codename)s
)
SELECT c."id", c."name", c."modules"::text,
       (SELECT coalesce(json_agg(json_build_array(id, parent_id, name)), '[]'::json) FROM served)::text,
       %(superuser)s
       OR EXISTS (SELECT 1 FROM {user_perms} u
                  WHERE u."user_id" = %(user)s AND u."permission_id" IN (SELECT id FROM perm))
       OR EXISTS (SELECT 1 FROM {user_groups} g JOIN {group_perms} gp ON gp."group_id" = g."group_id"
                  WHERE g."user_id" = %(user)s AND gp."permission_id" IN (SELECT id FROM perm))
FROM {sc} c WHERE c."user_id" = %(user)s
"""


@functools.cache
def _poller_sql() -> str:
    """POLLER_SQL with its tables named, built once (a poll is the protocol's hot path)."""
    quote = connection.ops.quote_name
    tables = {"site": Site, "sc": Subcontractor, "perm": Permission, "ctype": ContentType,
              "sc_sites": Subcontractor.sites.through, "user_perms": User.user_permissions.through,
              "user_groups": User.groups.through, "group_perms": Permission.group_set.through}  # fmt: skip
    return POLLER_SQL.format(**{key: quote(model._meta.db_table) for key, model in tables.items()})


def subcontractor_polling(user) -> Poller | None:
    """What subcontractor_of answers, with the sites it serves, in one query (PostgreSQL): None unless the user is
    active, holds `user.act_as_subcontractor` and has a Subcontractor row."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    app, codename = SUBCONTRACTOR_PERMISSION
    with connection.cursor() as cursor:
        params = {"user": user.pk, "app": app, "codename": codename, "superuser": bool(user.is_superuser)}
        execute_prepared(cursor, _poller_sql(), params)
        row = cursor.fetchone()
    if row is None or not row[4]:
        return None
    pk, name, modules, served = row[:4]
    sites = json.loads(served)
    tree = SiteTree(parents={site: parent for site, parent, _ in sites}, zones={},
                    names={site_name: site for site, _, site_name in sites})  # fmt: skip
    return Poller(Subcontractor(pk=pk, name=name, modules=json.loads(modules), user_id=user.pk), tree)


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
