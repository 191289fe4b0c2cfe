"""Admin for jobs and job logs."""

import json

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from contractor.foreman import services
from contractor.foreman.models import Job, JobLog


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


JOB_ACTIONS = [
    _operator_action("pause", services.job_pause, with_user=True),
    _operator_action("resume", services.job_resume),
    _operator_action("reset", services.job_reset),
    _operator_action("rollback", services.job_rollback),
    _operator_action("cancel", services.job_cancel, with_user=True),
]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs by state; the interpreter's state is shown, never edited, here."""

    list_display = ["id", "target", "script_name", "state", "message", "created", "started_at", "finished_at"]
    actions = JOB_ACTIONS
    list_filter = ["state", "script_name"]
    list_select_related = ["foundation", "structure", "dependency"]
    search_fields = ["script_name", "message", "foundation__locator", "structure__hostname"]
    raw_id_fields = ["foundation", "structure", "dependency", "created_by"]
    # The source is fixed when the job starts and the runner state belongs to the foreman: both only shown.
    readonly_fields = [
        "source", "runner_state_pretty", "progress_view", "created", "started_at", "finished_at", "updated",
        "next_run_at", "last_step_at", "step_count", "signalled_at",
    ]  # fmt: skip
    exclude = ["runner_state"]
    date_hierarchy = "created"

    @admin.display(description="progress")
    def progress_view(self, job):
        from contractor.foreman.selectors import job_pending_task_view, job_progress

        view = {**job_progress(job), "pending_task": job_pending_task_view(job)}
        return format_html("<pre>{}</pre>", json.dumps(view, indent=2, sort_keys=True, default=str))

    @admin.display(description="runner state")
    def runner_state_pretty(self, job):
        return format_html("<pre>{}</pre>", json.dumps(job.runner_state, indent=2, sort_keys=True))


@admin.register(JobLog)
class JobLogAdmin(admin.ModelAdmin):
    """The permanent record of job runs: read-only."""

    list_display = ["id", "target_kind", "target", "script_name", "outcome", "created_by", "created", "finished_at"]
    list_filter = ["outcome", "target_kind", "script_name"]
    list_select_related = ["created_by"]
    search_fields = ["target", "script_name", "message"]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
