"""`manage.py foreman --once` steps jobs; `manage.py job <id> <action>` acts on one."""

import io

import pytest
from django.core.management import CommandError, call_command

from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job

pytestmark = pytest.mark.django_db


def test_foreman_once_steps_runnable_jobs(foundation_with):
    """One pass steps every runnable job once and says how many."""
    jobs = [services.job_create(target=foundation_with(create="pass\n"), script_name="create") for _ in range(3)]
    out = io.StringIO()
    call_command("foreman", "--once", stdout=out)
    assert "Stepped 3 job(s)" in out.getvalue()
    assert {Job.objects.get(pk=job.pk).state for job in jobs} == {JobState.DONE}


def test_job_command_actions(foundation_with):
    """`job <id> pause` then `resume` change the state; a wrong one fails with the service's message."""
    job = services.job_create(target=foundation_with(create="pass\n"), script_name="create")
    out = io.StringIO()
    call_command("job", str(job.pk), "pause", stdout=out)
    assert f"Job {job.pk}: paused" in out.getvalue()
    call_command("job", str(job.pk), "resume", stdout=out)
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    with pytest.raises(CommandError, match="only a job in error can be rolled back"):
        call_command("job", str(job.pk), "rollback")
    with pytest.raises(CommandError, match="No job 999999"):
        call_command("job", "999999", "cancel")
