"""Admin for jobs and job logs (subcontractors and tasks are in contractor.subcontracting's admin)."""

import json

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from contractor.building.admin import target_action
from contractor.configuration import redact
from contractor.foreman import services
from contractor.foreman.choices import ACTIVE_STATES, CREATE, DESTROY
from contractor.foreman.models import Job, JobLog
from contractor.foreman.selectors import job_log_steps, job_pending_task_view, job_progress


def _operator_action(name: str, service, *, with_user: bool = False):
    """An admin action calling `service` on each selected job, reporting each refusal."""

    def act(modeladmin, request, queryset):
        done = 0
        for job in queryset:
            try:
                service(job=job, **({"user": request.user} if with_user else {}))
                done += 1
            except ValidationError as error:
                modeladmin.message_user(request, f"Job {job.pk}: {'; '.join(error.messages)}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{name.capitalize()}: {done} job(s).", messages.SUCCESS)

    act.__name__ = f"job_{name}"
    return admin.action(description=f"{name.capitalize()} selected jobs", permissions=["change"])(act)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _progress(job: Job) -> dict:
    """The job's progress view, computed once per page (two read-only fields show parts of it)."""
    if not hasattr(job, "_admin_progress"):
        job._admin_progress = job_progress(job)
    return job._admin_progress


def _task_text(task: dict | None) -> str:
    if task is None:
        return "-"
    return f"{task['module']}.{task['function']} (task {task['id']}, {task['state']}, attempt {task['attempts']})"


def _steps_table(steps: list[dict]):
    """A job's story as a table: when, how often, line, status and message of each entry."""
    if not steps:
        return "-"
    rows = [
        (step["at"], f"x{step['count']} until {step['last_at']}" if step["count"] > 1 else "", step["line"] or "",
         step["status"], step["message"])
        for step in steps
    ]  # fmt: skip
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    head = mark_safe("<tr><th>at</th><th>repeated</th><th>line</th><th>status</th><th>message</th></tr>")
    return format_html('<table class="job-steps">{}{}</table>', head, body)


TIME_FIELDS = ["created", "started_at", "finished_at", "last_step_at", "next_run_at", "signalled_at", "step_count",
               "updated"]  # fmt: skip

JOB_ACTIONS = [
    _operator_action("pause", services.job_pause, with_user=True),
    _operator_action("resume", services.job_resume),
    _operator_action("reset", services.job_reset),
    _operator_action("rollback", services.job_rollback),
    _operator_action("cancel", services.job_cancel, with_user=True),
]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs by state, watched here and acted on with the actions; the foreman alone changes a job's fields.

    Jobs are created through the services (the foundation and structure admins' build/destroy actions, the API,
    `manage.py job`), which check the job rules, so the admin has no add form and shows every field read-only.
    """

    list_display = ["id", "target", "script_name", "state", "message", "created", "started_at", "finished_at"]
    actions = JOB_ACTIONS
    list_filter = ["state", "script_name"]
    list_select_related = ["foundation", "structure", "dependency"]
    search_fields = ["script_name", "message", "foundation__locator", "structure__hostname"]
    fieldsets = [
        (None, {"fields": ["target", "script_name", "state", "message", "created_by"]}),
        ("Progress", {"fields": ["progress_view", "source_view"]}),
        ("Steps", {"fields": ["steps_view"]}),
        ("Times", {"fields": TIME_FIELDS}),
        ("Interpreter state", {"classes": ["collapse"], "fields": ["runner_state_pretty"]}),
    ]
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A job still running (or waiting, paused, in error) is cancelled first, which records its end.
        if obj is not None and obj.state in ACTIVE_STATES:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.job_delete(job=obj)

    def delete_queryset(self, request, queryset):
        # The delete action refuses the whole selection when it holds an active job (has_delete_permission).
        for job in queryset:
            services.job_delete(job=job)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on the page is editable: no save buttons (the actions on the list act on jobs).
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="progress")
    def progress_view(self, job):
        """What an operator watches: percent, current block, line, times, the pending task and the variables."""
        view = _progress(job)
        task = job_pending_task_view(job)
        rows = [
            ("Done", format_html('<progress max="100" value="{0}"></progress> {0}%', round(view["progress"], 1))),
            ("Block", view["block"] or "-"),
            ("Line", view["line"] or "-"),
            ("Elapsed", _duration(view["elapsed"])),
            ("Remaining", _duration(view["remaining"])),
            ("Pending task", _task_text(task)),
        ]
        table = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        variables = json.dumps(view["variables"], indent=2, sort_keys=True, default=str)
        return format_html(
            '<table class="job-progress">{}</table><p><strong>Variables</strong></p><pre>{}</pre>', table, variables
        )

    @admin.display(description="script")
    def source_view(self, job):
        """The job's script with line numbers; the line it is at is marked."""
        current = _progress(job)["line"]
        lines = [
            (format_html('<mark class="current-line">{:>4}</mark>', number) if number == current else f"{number:>4}",
             text)
            for number, text in enumerate(job.source.splitlines(), start=1)
        ]  # fmt: skip
        return format_html("<pre>{}</pre>", format_html_join("\n", "{} {}", lines))

    @admin.display(description="steps")
    def steps_view(self, job):
        """Each step's outcome and operator action, oldest first."""
        return _steps_table(job.steps)

    @admin.display(description="runner state")
    def runner_state_pretty(self, job):
        # the state holds the pending task's parameters, which may carry a BMC password
        return format_html("<pre>{}</pre>", json.dumps(redact(job.runner_state), indent=2, sort_keys=True))


@admin.register(JobLog)
class JobLogAdmin(admin.ModelAdmin):
    """The permanent record of job runs: read-only."""

    list_display = ["id", "target_kind", "target", "script_name", "outcome", "created_by", "created", "finished_at"]
    list_filter = ["outcome", "target_kind", "script_name"]
    list_select_related = ["created_by"]
    search_fields = ["target", "script_name", "message"]
    date_hierarchy = "created"
    fields = ["job_id_ref", "target_kind", "target", "script_name", "created_by", "created", "started_at",
              "finished_at", "outcome", "message", "steps_view"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="steps")
    def steps_view(self, log):
        """The job's story (its own while it is still active)."""
        return _steps_table(job_log_steps(log))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _job_started(target, job) -> str:
    url = reverse("admin:foreman_job_change", args=[job.pk])
    return format_html('{}: <a href="{}">job {}</a> ({})', target, url, job.pk, job.state)


def _job_action(kind: str, script_name: str, description: str):
    """An action of the `kind` (foundation, structure) admin starting a `script_name` job on each selected row."""

    def call(target, user):
        return services.job_create(target=target, script_name=script_name, user=user)

    return target_action(f"{kind}_{script_name}_job", description, call, said=_job_started)


#: The build and destroy actions of the foundation and structure admins (ForemanConfig.ready() adds them there).
FOUNDATION_JOB_ACTIONS = [
    _job_action("foundation", CREATE, "Build selected foundations (create job)"),
    _job_action("foundation", DESTROY, "Destroy selected foundations (destroy job)"),
]
STRUCTURE_JOB_ACTIONS = [
    _job_action("structure", CREATE, "Build selected structures (create job)"),
    _job_action("structure", DESTROY, "Destroy selected structures (destroy job)"),
]
