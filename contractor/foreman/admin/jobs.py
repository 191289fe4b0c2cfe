"""Admin for jobs and job logs."""

import json

from django.contrib import admin
from django.utils.html import format_html

from contractor.foreman.models import Job, JobLog


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs by state; the interpreter's state is shown, never edited, here."""

    list_display = ["id", "target", "script_name", "state", "message", "created", "started_at", "finished_at"]
    list_filter = ["state", "script_name"]
    list_select_related = ["foundation", "structure", "dependency"]
    search_fields = ["script_name", "message", "foundation__locator", "structure__hostname"]
    raw_id_fields = ["foundation", "structure", "dependency", "created_by"]
    # The source is fixed when the job starts and the runner state belongs to the foreman: both only shown.
    readonly_fields = ["source", "runner_state_pretty", "created", "started_at", "finished_at", "updated"]
    exclude = ["runner_state"]
    date_hierarchy = "created"

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
