"""The subcontractor protocol endpoints (docs/subcontractor.md): poll, result, error, batch results and lease
renewal; and the read-only views of subcontractors (with liveness) and of the tasks handed to them."""

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from contractor.subcontracting.api import serializers
from contractor.subcontracting.filtersets import SubcontractorFilterSet, TaskFilterSet
from contractor.subcontracting.models import Task
from contractor.subcontracting.selectors import subcontractor_list, subcontractor_of, subcontractor_polling, task_list
from contractor.subcontracting.services import (
    Answer,
    Report,
    lease_seconds,
    task_answer_batch,
    task_complete,
    task_fail,
    task_lease_batch,
    task_lease_poll,
    task_leases_renew,
)


class IsSubcontractor(permissions.BasePermission):
    """Only a user holding `user.act_as_subcontractor` with a registered Subcontractor row."""

    message = "Only a registered subcontractor may use this endpoint."

    def has_permission(self, request, view):
        request.subcontractor = subcontractor_of(request.user)
        return request.subcontractor is not None


class IsPollingSubcontractor(IsSubcontractor):
    """IsSubcontractor for the protocol's hot endpoints (poll, results): on PostgreSQL one query reads the
    subcontractor with the sites it serves (`request.poller`; `request.subcontractor` is its slim row), so that a
    poll costs three queries (token, registration, lease)."""

    def has_permission(self, request, view):
        if connection.vendor != "postgresql":
            request.poller = None
            return super().has_permission(request, view)
        request.poller = subcontractor_polling(request.user)
        request.subcontractor = request.poller and request.poller.subcontractor
        return request.poller is not None


class SubcontractorView(APIView):
    """Base of the protocol's endpoints: the caller is a registered subcontractor (`request.subcontractor`)."""

    permission_classes = [IsSubcontractor]

    def body(self, serializer_class) -> dict:
        """The request body, validated by `serializer_class` (a 400 naming each bad field)."""
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data


class PollView(SubcontractorView):
    """POST {"site": ..., "modules": {name: free slots}} -> the tasks leased to the caller."""

    permission_classes = [IsPollingSubcontractor]

    @extend_schema(request=serializers.PollRequestSerializer, responses=serializers.PollResponseSerializer)
    def post(self, request):
        body = self.body(serializers.PollRequestSerializer)
        where = {"modules": body["modules"], "site_name": body.get("site"), "sites": body.get("sites"),
                 "address": request.META.get("REMOTE_ADDR")}  # fmt: skip
        if request.poller is None:
            tasks = task_lease_batch(subcontractor=request.subcontractor, **where)
        else:
            tasks = task_lease_poll(poller=request.poller, **where)
        answer = {"tasks": tasks, "lease_seconds": lease_seconds()}
        return Response(serializers.PollResponseSerializer(answer).data)


class AnswerView(SubcontractorView):
    """Base of the result and error endpoints: accepted/duplicate -> 200, stale -> 409."""

    def post(self, request, task_id: int):
        try:
            answer = self.record(request, task_id)
        except Task.DoesNotExist as error:
            answer = Answer("stale", str(error))
        code = status.HTTP_409_CONFLICT if answer.status == "stale" else status.HTTP_200_OK
        return Response(serializers.AnswerSerializer(answer).data, status=code)


@extend_schema(
    request=serializers.ResultRequestSerializer,
    responses={200: serializers.AnswerSerializer, 409: serializers.AnswerSerializer},
)
class ResultView(AnswerView):
    """POST {"cookie": ..., "result": <JSON>}."""

    def record(self, request, task_id):
        body = self.body(serializers.ResultRequestSerializer)
        return task_complete(
            task_id=task_id, subcontractor=request.subcontractor, cookie=body["cookie"], result=body["result"]
        )


@extend_schema(
    request=serializers.ErrorRequestSerializer,
    responses={200: serializers.AnswerSerializer, 409: serializers.AnswerSerializer},
)
class ErrorView(AnswerView):
    """POST {"cookie": ..., "error": "...", "retryable": bool}."""

    def record(self, request, task_id):
        body = self.body(serializers.ErrorRequestSerializer)
        return task_fail(
            task_id=task_id, subcontractor=request.subcontractor, cookie=body["cookie"], error=body["error"],
            retryable=body["retryable"],
        )  # fmt: skip


class ResultsView(SubcontractorView):
    """POST {"results": [{"task": id, "cookie": ..., "result": <JSON>} or {..., "error": "...", "retryable": bool}]}.

    Answers 200 with one {"task", "status", "detail"} per entry, in order: accepted, duplicate or stale.
    """

    permission_classes = [IsPollingSubcontractor]

    @extend_schema(request=serializers.BatchRequestSerializer, responses=serializers.BatchAnswersSerializer)
    def post(self, request):
        reports = [Report(**entry) for entry in self.body(serializers.BatchRequestSerializer)["results"]]
        sites = request.poller.sites_pick(None) if request.poller else None
        answers = task_answer_batch(subcontractor=request.subcontractor, reports=reports, site_ids=sites)
        results = [{"task": report.task, "status": answer.status, "detail": answer.detail}
                   for report, answer in zip(reports, answers, strict=True)]  # fmt: skip
        return Response(serializers.BatchAnswersSerializer({"results": results}).data)


class LeasesView(SubcontractorView):
    """POST {"tasks": [{"task": id, "cookie": ...}]}: the caller still runs these tasks; extend their leases.

    Answers 200 with the lease length and the new `lease_expires` of each task renewed; a task the caller no
    longer holds (answered, cancelled, or leased to another after its lease ran out) is left out.
    """

    @extend_schema(request=serializers.LeaseRequestSerializer, responses=serializers.LeaseAnswerSerializer)
    def post(self, request):
        entries = self.body(serializers.LeaseRequestSerializer)["tasks"]
        renewed = task_leases_renew(
            subcontractor=request.subcontractor, tasks=[(entry["task"], entry["cookie"]) for entry in entries]
        )
        tasks = [{"task": pk, "lease_expires": expires} for pk, expires in sorted(renewed.items())]
        return Response(serializers.LeaseAnswerSerializer({"lease_seconds": lease_seconds(), "tasks": tasks}).data)


class SubcontractorViewSet(viewsets.ReadOnlyModelViewSet):
    """Registered subcontractor daemons: sites, modules, last poll and whether they are alive."""

    queryset = subcontractor_list()
    serializer_class = serializers.SubcontractorSerializer
    filterset_class = SubcontractorFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "last_poll_at"]


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """Remote calls of jobs' scripts and where they stand."""

    queryset = task_list()
    serializer_class = serializers.TaskSerializer
    filterset_class = TaskFilterSet
    search_fields = ["module", "function", "error"]
    ordering_fields = ["id", "created", "updated", "state"]
