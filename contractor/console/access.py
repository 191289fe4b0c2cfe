"""Who may do what in the console: the operator roles' permissions, the same ones the API checks."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

LOGIN_URL = "console:login"
#: Every page reads foundations and structures; every role but the subcontractor's holds these.
VIEW_PERMISSIONS = ("building.view_foundation", "building.view_structure", "foreman.view_job")
START_PERMISSION = "foreman.add_job"  # build, destroy, utility scripts (the builder role)
STEER_PERMISSION = "foreman.change_job"  # pause, resume, reset, rollback, cancel (the builder role)


def can_start_jobs(user) -> bool:
    return user.has_perm(START_PERMISSION)


def can_steer_jobs(user) -> bool:
    return user.has_perm(STEER_PERMISSION)


class ConsoleAccess(LoginRequiredMixin, PermissionRequiredMixin):
    """A logged-in user holding the read permissions; a user without them gets a 403 page saying what it needs
    (not the login page again)."""

    login_url = LOGIN_URL
    permission_required = VIEW_PERMISSIONS

    def handle_no_permission(self):
        self.raise_exception = self.request.user.is_authenticated
        return super().handle_no_permission()

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as refusal:
            return forbidden(request, str(refusal))


def forbidden(request, reason: str):
    """The console's 403 page: who is logged in, with which roles, and what the page needs."""
    roles = sorted(request.user.groups.values_list("name", flat=True)) if request.user.is_authenticated else []
    context = {"reason": reason or "Your roles do not include reading this page.", "roles": roles}
    return render(request, "console/forbidden.html", context, status=403)
