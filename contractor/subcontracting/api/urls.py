"""Routes of the subcontractor protocol (mounted at /api/v1/subcontractor/) and of its read-only viewsets."""

from django.urls import path

from contractor.subcontracting.api.views import (
    ErrorView,
    LeasesView,
    PollView,
    ResultsView,
    ResultView,
    SubcontractorViewSet,
    TaskViewSet,
)

urlpatterns = [
    path("poll/", PollView.as_view(), name="subcontractor-poll"),
    path("tasks/<int:task_id>/result/", ResultView.as_view(), name="subcontractor-result"),
    path("tasks/<int:task_id>/error/", ErrorView.as_view(), name="subcontractor-error"),
    path("results/", ResultsView.as_view(), name="subcontractor-results"),
    path("leases/", LeasesView.as_view(), name="subcontractor-leases"),
]


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("subcontractors", SubcontractorViewSet, basename="subcontractor")
    router.register("tasks", TaskViewSet, basename="task")
