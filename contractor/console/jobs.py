"""Console pages for jobs: the list, the live job page with its JSON feed, and the operator actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from contractor.console.access import ConsoleAccess, can_steer_jobs
from contractor.console.objects import refusal
from contractor.console.templatetags.console import foundation_url, structure_url
from contractor.foreman import services
from contractor.foreman.choices import ACTIVE_STATES, JobState
from contractor.foreman.filtersets import JobFilterSet
from contractor.foreman.models import Job, JobLog
from contractor.foreman.selectors import job_detail, job_list, job_pending_task_view, job_progress

#: The operator actions and the job states each applies to. The services decide; this only greys out buttons.
ACTIONS = {
    "pause": (JobState.WAITING, JobState.QUEUED, JobState.RUNNING),
    "resume": (JobState.PAUSED,),
    "reset": (JobState.ERROR,),
    "rollback": (JobState.ERROR,),
    "cancel": ACTIVE_STATES,
}
SERVICES = {
    "pause": lambda job, user: services.job_pause(job=job, user=user),
    "resume": lambda job, user: services.job_resume(job=job),
    "reset": lambda job, user: services.job_reset(job=job),
    "rollback": lambda job, user: services.job_rollback(job=job),
    "cancel": lambda job, user: services.job_cancel(job=job, user=user),
}
DONE_PHRASE = {"pause": "paused", "resume": "resumed", "reset": "reset", "rollback": "rolled back",
               "cancel": "cancelled"}  # fmt: skip
JOBS_SHOWN = 100


def target_info(job: Job) -> dict:
    """The job's target as {kind, name, url}."""
    if job.foundation_id:
        return {"kind": "foundation", "name": job.foundation.locator, "url": foundation_url(job.foundation.locator)}
    if job.structure_id:
        return {"kind": "structure", "name": job.structure.hostname, "url": structure_url(job.structure_id)}
    return {"kind": "dependency", "name": str(job.dependency_id), "url": None}


def job_feed(job: Job) -> dict:
    """What the job page shows and refreshes: state, progress, block, line, pending task, steps, live actions."""
    progress = job_progress(job)
    return {
        "id": job.pk,
        "state": job.state,
        "message": job.message,
        "active": job.state in ACTIVE_STATES,
        "progress": round(progress["progress"], 1),
        "block": progress["block"],
        "line": progress["line"] if job.state != JobState.DONE else None,  # a finished script is at no line
        "elapsed": progress["elapsed"],
        "remaining": progress["remaining"],
        "variables": progress["variables"],
        "task": job_pending_task_view(job),
        "steps": job.steps,
        "actions": {name: job.state in states for name, states in ACTIONS.items()},
        "updated": job.updated.isoformat(),
    }


class JobListView(ConsoleAccess, TemplateView):
    template_name = "console/jobs.html"

    def get_context_data(self, **kwargs):
        # The API's filters (?state= repeatable, ?foundation=, ?structure=, ?script_name=); a bad value is ignored.
        found = JobFilterSet(self.request.GET, queryset=job_list().order_by("-created"))
        jobs = found.qs
        wanted = found.form.cleaned_data.get("state") or []
        return {
            **super().get_context_data(**kwargs),
            "jobs": list(jobs[:JOBS_SHOWN]),
            "state": ", ".join(wanted),
            "states": JobState.values,
            "nav": "jobs",
        }


class JobView(ConsoleAccess, TemplateView):
    """A job as it runs; a job that was deleted after it ended is shown from its log."""

    template_name = "console/job.html"

    def get_context_data(self, **kwargs):
        context = {**super().get_context_data(**kwargs), "nav": "jobs", "can_steer": can_steer_jobs(self.request.user)}
        job = job_detail().filter(pk=self.kwargs["pk"]).first()
        if job is None:
            log = JobLog.objects.filter(job_id_ref=self.kwargs["pk"]).first()
            if log is None:
                raise Http404("No such job.")
            self.template_name = "console/joblog.html"
            return {**context, "log": log}
        feed = job_feed(job)
        lines = [(number, text) for number, text in enumerate(job.source.splitlines(), start=1)]
        return {**context, "job": job, "feed": feed, "target": target_info(job), "lines": lines}


class JobFeedView(ConsoleAccess, View):
    """The job page's live feed, polled by its script."""

    def get(self, request, pk):
        job = get_object_or_404(job_detail(), pk=pk)
        return JsonResponse(job_feed(job))


class JobActionView(ConsoleAccess, View):
    """POST: pause, resume, reset, rollback or cancel the job through its service; refusals come back as messages."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in SERVICES:
            raise Http404("No such action.")
        if not can_steer_jobs(request.user):
            raise PermissionDenied("Steering jobs needs the builder role.")
        job = get_object_or_404(Job, pk=pk)
        try:
            SERVICES[action](job, request.user)
        except ValidationError as error:
            messages.error(request, refusal(error))
        else:
            messages.success(request, f"Job {pk} {DONE_PHRASE[action]}.")
        return redirect("console:job", pk)
