"""Subcontractor and Task moved from the foreman app to contractor.subcontracting: a database that holds them at
the old schema keeps every row, relation and granted permission when it migrates forward."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from contractor.foreman import services
from contractor.subcontracting.models import Subcontractor, Task
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("foreman", "0006_subcontractor_lost_at")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def _old_rows(old_apps, job, site, user) -> tuple[int, int]:
    """A subcontractor serving `site` and a task of `job` it leased, written with the old (foreman) models."""
    OldSubcontractor = old_apps.get_model("foreman", "Subcontractor")
    OldTask = old_apps.get_model("foreman", "Task")
    subcontractor = OldSubcontractor.objects.create(name="lab-sc", user_id=user.pk, modules=["ipmi"])
    subcontractor.sites.add(site.pk)
    task = OldTask.objects.create(job_id=job.pk, site_id=site.pk, module="ipmi", function="power_on",
                                  parameters={"port": 4}, cookie="c-1", state="leased", attempts=1,
                                  leased_by=subcontractor)  # fmt: skip
    return subcontractor.pk, task.pk


def _job(site):
    blueprint = FoundationBluePrintFactory()
    ScriptFactory(blueprint=blueprint, name="create", script="pass\n")
    return services.job_create(target=ManualFoundationFactory(blueprint=blueprint, site=site), script_name="create")


def test_rows_at_the_old_schema_are_there_after_migrating(django_user_model):
    """Rows written at foreman 0006 are the subcontracting app's after migrating: the same ids, fields, sites, job
    and lessee, in tables named after the new app; a group granted foreman's view_task holds subcontracting's."""
    site = SiteFactory(name="lab")
    job = _job(site)
    user = django_user_model.objects.create_user(username="lab-sc")
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old_apps = _migrate(BEFORE).loader.project_state(BEFORE).apps
        assert "foreman_task" in connection.introspection.table_names()
        subcontractor_id, task_id = _old_rows(old_apps, job, site, user)
        view_task = Permission.objects.get(content_type__app_label="foreman", codename="view_task")
        Group.objects.create(name="task-watchers").permissions.add(view_task)
    finally:
        _migrate(leaves)
    tables = connection.introspection.table_names()
    assert {"subcontracting_subcontractor", "subcontracting_subcontractor_sites", "subcontracting_task"} <= set(tables)
    assert not {"foreman_subcontractor", "foreman_subcontractor_sites", "foreman_task"} & set(tables)
    subcontractor = Subcontractor.objects.get(pk=subcontractor_id)
    assert (subcontractor.name, subcontractor.user_id, subcontractor.modules) == ("lab-sc", user.pk, ["ipmi"])
    assert [s.name for s in subcontractor.sites.all()] == ["lab"]
    task = Task.objects.get(pk=task_id)
    assert (task.job_id, task.site_id, task.leased_by_id, task.cookie) == (job.pk, site.pk, subcontractor_id, "c-1")
    assert (task.module, task.function, task.parameters, task.state) == ("ipmi", "power_on", {"port": 4}, "leased")
    assert list(job.tasks.values_list("pk", flat=True)) == [task_id]
    granted = Group.objects.get(name="task-watchers").permissions.get()
    assert (granted.pk, granted.content_type.app_label, granted.codename) == (view_task.pk, "subcontracting",
                                                                              "view_task")  # fmt: skip
    # New rows get ids after the moved ones (the table's sequence came along).
    newer = Task.objects.create(job=job, site=site, module="ipmi", function="power_off", cookie="c-2")
    assert newer.pk > task_id
