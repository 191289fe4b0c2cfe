"""Viewsets of the foreman API: jobs, their operator actions, the job logs, and the `jobs/` route it gives
foundations and structures."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.foreman import selectors, services
from contractor.foreman.api.serializers import (
    JobCreateSerializer,
    JobDetailSerializer,
    JobLogDetailSerializer,
    JobLogSerializer,
    JobSerializer,
)
from contractor.foreman.filtersets import JobFilterSet, JobLogFilterSet


def job_response(job, request, status=200) -> Response:
    """A job as the API shows it, with its progress."""
    job = selectors.job_detail().get(pk=job.pk)
    return Response(JobDetailSerializer(job, context={"request": request}).data, status=status)


OPERATOR_ACTION = {"request": None, "responses": JobDetailSerializer}


@extend_schema(request=JobCreateSerializer, responses={201: JobDetailSerializer})
@action(detail=True, methods=["post"], url_path="jobs", url_name="jobs")
def jobs(viewset, request, *args, **kwargs):
    """`POST <foundation or structure>/jobs/` with `{"script": "create"}` (or destroy, or a utility script): starts a
    job. A route of building's viewsets that the foreman adds (ForemanConfig.ready())."""
    body = JobCreateSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    job = services.job_create(target=viewset.get_object(), script_name=body.validated_data["script"],
                              user=request.user)  # fmt: skip
    return job_response(job, request, status=201)


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Jobs in flight and finished ones not yet cleaned up, newest first; POST pause/resume/reset/rollback/cancel."""

    queryset = selectors.job_list()
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    search_fields = ["script_name", "message", "foundation__locator", "structure__hostname"]
    ordering_fields = ["id", "created", "started_at", "finished_at", "updated", "state"]

    def get_queryset(self):
        return selectors.job_list() if self.action == "list" else selectors.job_detail()

    def get_serializer_class(self):
        return JobSerializer if self.action == "list" else JobDetailSerializer

    @extend_schema(**OPERATOR_ACTION)
    @action(detail=True, methods=["post"])
    def pause(self, request, *args, **kwargs):
        return job_response(services.job_pause(job=self.get_object(), user=request.user), request)

    @extend_schema(**OPERATOR_ACTION)
    @action(detail=True, methods=["post"])
    def resume(self, request, *args, **kwargs):
        return job_response(services.job_resume(job=self.get_object()), request)

    @extend_schema(**OPERATOR_ACTION)
    @action(detail=True, methods=["post"])
    def reset(self, request, *args, **kwargs):
        return job_response(services.job_reset(job=self.get_object()), request)

    @extend_schema(**OPERATOR_ACTION)
    @action(detail=True, methods=["post"])
    def rollback(self, request, *args, **kwargs):
        return job_response(services.job_rollback(job=self.get_object()), request)

    @extend_schema(**OPERATOR_ACTION)
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        return job_response(services.job_cancel(job=self.get_object(), user=request.user), request)


class JobLogViewSet(viewsets.ReadOnlyModelViewSet):
    """The permanent record of every job run, newest first."""

    queryset = selectors.job_log_list()
    serializer_class = JobLogSerializer
    filterset_class = JobLogFilterSet
    search_fields = ["script_name", "target", "message"]
    ordering_fields = ["id", "created", "started_at", "finished_at"]

    def get_queryset(self):
        return selectors.job_log_list() if self.action == "list" else selectors.job_log_detail()

    def get_serializer_class(self):
        return JobLogSerializer if self.action == "list" else JobLogDetailSerializer
