"""Writes for jobs: create (with the rules operators rely on), operator actions, signals and deletion."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contractor.auditing import operator_action
from contractor.building.choices import FoundationState
from contractor.building.models import Dependency, Foundation, Structure
from contractor.db import validated_save
from contractor.foreman.choices import ACTIVE_STATES, CREATE, DESTROY, JobState
from contractor.foreman.lifecycle import BUILT, job_event, job_finish, job_line, job_step_record, job_tasks_cancel
from contractor.foreman.models import Job, JobLog
from contractor.foreman.runner import runner_for
from contractor.foreman.selectors import (
    STEPPABLE_STATES,
    hosting_complex,
    hosting_guests,
    job_active,
    job_blocker,
    target_kind,
    target_text,
)
from contractor.webhooks.services import ack_requests_expire_for_job
from tscript import NotAllowedError, Runner, StateError, TScriptError


def _describe(target) -> str:
    return f"{target_kind(target)} {target if not isinstance(target, Dependency) else target.pk}"


def _rule(rule: str, text: str, field: str = "script"):
    return ValidationError({field: f"Rule '{rule}': {text}"})


def _script_source(target, script_name: str) -> str:
    if isinstance(target, Dependency):
        name = {CREATE: target.create_script_name, DESTROY: target.destroy_script_name}.get(script_name)
        if name is None:
            raise _rule("dependency scripts", f"a dependency runs only create or destroy, not '{script_name}'.")
        if not name:
            return "pass\n"
        target, script_name = target.script_structure, name
    script = target.blueprint.get_script(script_name)
    if script is None:
        where = f"blueprint {target.blueprint} of {_describe(target)}"
        names = target.blueprint.script_names()
        has = f" (it has {', '.join(names)})" if names else " (it has none)"
        raise _rule("script exists", f"{where} has no script '{script_name}'{has}.")
    return script.script


def _check_built_state(target, script_name: str):
    built = target.state == BUILT
    if script_name == CREATE and built:
        raise _rule("create only what is not built", f"{_describe(target)} is already built.")
    if script_name != CREATE and not built:
        raise _rule(f"{script_name} only what is built", f"{_describe(target)} is {target.state}.")


def _check_no_active_job(target):
    active = Job.objects.filter(**{target_kind(target): target}, state__in=ACTIVE_STATES).first()
    if active is not None:
        running = f"job {active.pk} ({active.script_name}, {active.state})"
        raise _rule("one job per target", f"{_describe(target)} already has {running}.")


def _check_compatible(target, script_name: str):
    """The jobs below or above the target must allow this one to wait for them (see job_blocker)."""
    # Where no job is found, the state is read again before refusing: a job that ended after the target was read
    # (and before the job was looked for) has changed that state in the transaction that ended it.
    if isinstance(target, Structure) and script_name == CREATE:
        foundation = target.foundation
        if foundation.state != FoundationState.BUILT and job_active(CREATE, foundation=foundation) is None:
            foundation.refresh_from_db(fields=["state"])
            if foundation.state != FoundationState.BUILT:
                raise _rule(
                    "a structure is created on a built foundation",
                    f"foundation {foundation} of structure {target} is {foundation.state} and has no create job.",
                )
    if isinstance(target, Foundation) and script_name == DESTROY:
        structure = Structure.objects.filter(foundation=target).first()
        if structure is not None and structure.state == BUILT and job_active(DESTROY, structure=structure) is None:
            structure.refresh_from_db(fields=["state"])
            if structure.state == BUILT:
                raise _rule(
                    "destroy goes top down",
                    f"structure {structure} on foundation {target} is built and has no destroy job; destroy it first.",
                )
    _check_hosting_compatible(target, script_name)


def _check_hosting_compatible(target, script_name: str):
    """A hosted foundation (a VM) is created on a complex that is built or being built; its host is destroyed
    only when each foundation placed there (built, being built, or planned but still placed) is leaving it."""
    if isinstance(target, Foundation) and script_name == CREATE:
        complex_ = hosting_complex(target)
        if complex_ is not None and complex_.state != BUILT and not _member_creating(complex_):
            raise _rule(
                "a hosted foundation is created on a built complex",
                f"complex {complex_} of foundation {target} is {complex_.state} and no member has a create job.",
            )
    if isinstance(target, Structure) and script_name == DESTROY:
        for hosted in hosting_guests(target):
            if job_active(DESTROY, foundation_id=hosted.foundation_id) is not None:
                continue
            if hosted.state == BUILT:
                raise _rule(
                    "destroy goes top down",
                    f"foundation {hosted.locator} on structure {target} is built and has no destroy job; "
                    "destroy it first.",
                )
            if job_active(CREATE, foundation_id=hosted.foundation_id) is None:
                raise _rule(
                    "destroy goes top down",
                    f"foundation {hosted.locator} is {hosted.state} but still placed on structure {target} (a create "
                    "that did not finish may have left it there); create it again and destroy it first.",
                )


def _member_creating(complex_) -> bool:
    return Job.objects.filter(structure__complex_memberships__complex=complex_, script_name=CREATE,
                              state__in=ACTIVE_STATES).exists()  # fmt: skip


def _lock(target):
    return type(target).objects.select_for_update().get(pk=target.pk)


@transaction.atomic
def job_create(*, target, script_name: str, user=None) -> Job:
    """A job running `script_name` (create, destroy or a utility script) on a foundation, structure or dependency."""
    target = _lock(target)
    if isinstance(target, Foundation):
        target = target.subclass
    # The script must exist before the rules about the target's state can say anything useful about it.
    source = _script_source(target, script_name)
    _check_built_state(target, script_name)
    _check_no_active_job(target)
    _check_compatible(target, script_name)
    try:
        Runner(source)
    except TScriptError as error:
        raise _rule("the script parses", f"script '{script_name}' of {_describe(target)}: {error}") from None
    job = Job(**{target_kind(target): target}, script_name=script_name, source=source, created_by=user)
    job.state = JobState.QUEUED
    blocker = job_blocker(job)
    who = f" by {user}" if user else ""
    job_step_record(job, status="created", message=f"Created{who}")
    if blocker:
        job.state, job.message = JobState.WAITING, blocker
        job_step_record(job, status=JobState.WAITING, message=blocker)
    validated_save(job)
    JobLog.objects.create(
        job_id_ref=job.pk, target_kind=target_kind(target), target=target_text(target), script_name=script_name,
        created_by=user, message=f"Created{who}",
    )  # fmt: skip
    return job


def _locked_job(job: Job, *allowed: str, action: str) -> Job:
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state not in allowed:
        raise ValidationError(
            {"state": f"Job {job.pk} is {_state_phrase(job.state)}; only {_jobs_in(allowed)} can be {action}."}
        )
    return job


def _state_phrase(state: str) -> str:
    return "in error" if state == JobState.ERROR else state


def _jobs_in(states) -> str:
    """'a waiting, queued or running job', 'a job in error', 'a paused job, or one in error'..."""
    plain = [str(state) for state in states if state != JobState.ERROR]
    listed = ", ".join(plain[:-1]) + f" or {plain[-1]}" if len(plain) > 1 else "".join(plain)
    if JobState.ERROR not in states:
        return f"a {listed} job"
    return f"a {listed} job, or one in error," if plain else "a job in error"


def _runner_action(job: Job, act) -> None:
    """Restore the job's runner, apply `act(runner)` and store the state back."""
    if not job.runner_state:
        return
    try:
        runner = runner_for(job)
    except StateError as error:
        raise ValidationError(
            {"state": f"Job {job.pk}: its saved script state cannot be restored ({error}); cancel it and start anew."}
        ) from None
    try:
        act(runner)
    except NotAllowedError as error:
        raise ValidationError({"state": f"Job {job.pk}: {error}."}) from None
    job.runner_state = runner.state()


def _requeue(job: Job, message: str, status: str) -> Job:
    job.state, job.message, job.next_run_at = JobState.QUEUED, message, None
    job_step_record(job, status=status, message=message, line=job_line(job))
    job.save()
    return job


@transaction.atomic
@operator_action("pause")
def job_pause(*, job: Job, user=None) -> Job:
    """Stop stepping a waiting, queued or running job until it is resumed."""
    job = _locked_job(job, JobState.WAITING, JobState.QUEUED, JobState.RUNNING, action="paused")
    job.state, job.message = JobState.PAUSED, f"Paused by {user or 'an operator'}"
    job_step_record(job, status=JobState.PAUSED, message=job.message, line=job_line(job))
    job.save()
    job_event(job, "paused")
    return job


@transaction.atomic
@operator_action("resume")
def job_resume(*, job: Job) -> Job:
    """Continue a paused job (a script's pause() call returns none)."""
    job = _locked_job(job, JobState.PAUSED, action="resumed")

    def resume(runner):
        if runner.status == "paused":
            runner.resume()

    _runner_action(job, resume)
    job = _requeue(job, "Resumed", "resumed")
    job_event(job, "resumed")
    return job


@transaction.atomic
@operator_action("reset")
def job_reset(*, job: Job) -> Job:
    """Retry after an error: error() returns none, a failed remote task is sent again under a new cookie."""
    job = _locked_job(job, JobState.ERROR, action="reset")

    def reset(runner):
        if runner.status == "error":
            runner.reset()

    _runner_action(job, reset)
    job_tasks_cancel(job)
    return _requeue(job, "Reset", "reset")


@transaction.atomic
@operator_action("rollback")
def job_rollback(*, job: Job) -> Job:
    """After a failed remote call whose function allows it: send its rollback task, then the task again."""
    job = _locked_job(job, JobState.ERROR, action="rolled back")
    if not job.runner_state:
        raise ValidationError({"state": f"Job {job.pk} has no failed remote call to roll back."})
    _runner_action(job, lambda runner: runner.rollback())
    job_tasks_cancel(job)
    return _requeue(job, "Rolling back", "rollback")


@transaction.atomic
@operator_action("cancel")
def job_cancel(*, job: Job, user=None) -> Job:
    """Abort a job that has not finished; its open tasks are cancelled and its log kept."""
    job = _locked_job(job, *ACTIVE_STATES, action="cancelled")
    job.message = f"Cancelled by {user or 'an operator'}"
    job_finish(job=job, state=JobState.ABORTED)
    ack_requests_expire_for_job(job_id=job.pk)  # a receiver's late answer is refused, not recorded for nobody
    return job


@transaction.atomic
def job_signal(*, job: Job) -> Job:
    """The booted machine reported in: signaling.wait() returns at the job's next step, which is due now."""
    job = _locked_job(job, JobState.QUEUED, JobState.RUNNING, JobState.PAUSED, action="signalled")
    job.signalled_at, job.next_run_at = timezone.now(), None
    job.save(update_fields=["signalled_at", "next_run_at", "updated"])
    return job


@transaction.atomic
def job_note(*, job: Job, status: str, message: str) -> Job:
    """Add an entry to a job's story from outside its script: a boot endpoint that could not render for it, say."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    job_step_record(job, status=status, message=message)
    job.save(update_fields=["steps", "updated"])
    return job


@transaction.atomic
def job_delete(*, job: Job) -> None:
    """Delete a job that has ended (its log entry keeps its story); a job still active must be cancelled first."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state in ACTIVE_STATES:
        raise ValidationError({"state": f"Job {job.pk} is {job.state}; cancel it before deleting it."})
    job.delete()


@transaction.atomic
def job_step_failed(*, job_id: int, error: BaseException, times: int) -> Job | None:
    """Stepping the job raised `times` times in a row (a bug in a module or plugin, not an error of its script, which
    the runner reports itself): the job goes to error saying so, so that workers stop stepping it every pass and an
    operator sees why; `reset` steps it again from where it was. None if it is no longer steppable."""
    job = Job.objects.select_for_update().filter(pk=job_id, state__in=STEPPABLE_STATES).first()
    if job is None:
        return None
    job.state = JobState.ERROR
    job.message = (f"Stepping the job failed {times} times in a row ({type(error).__name__}: {error}); the foreman's "
                   "log has the traceback. Reset the job once the cause is fixed.")  # fmt: skip
    job_step_record(job, status=JobState.ERROR, message=job.message, line=job_line(job))
    job.save()
    job_event(job, JobState.ERROR)
    return job
