"""Routes of the foreman API."""

from contractor.foreman.api.views import JobLogViewSet, JobViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("jobs", JobViewSet, basename="job")
    router.register("job-logs", JobLogViewSet, basename="joblog")
