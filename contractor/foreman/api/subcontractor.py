"""The subcontractor protocol endpoints (docs/subcontractor.md): poll, result, error, batch results (the PXE plan is
the boot app's)."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from contractor.foreman.api.task_serializers import (
    AnswerSerializer,
    BatchAnswersSerializer,
    BatchRequestSerializer,
    ErrorRequestSerializer,
    PollRequestSerializer,
    PollResponseSerializer,
    ResultRequestSerializer,
)
from contractor.foreman.models import Task
from contractor.foreman.tasks import (
    subcontractor_of,
    task_answer_batch,
    task_complete,
    task_fail,
    task_lease_batch,
)


class IsSubcontractor(permissions.BasePermission):
    """Only a user holding `user.act_as_subcontractor` with a registered Subcontractor row."""

    message = "Only a registered subcontractor may use this endpoint."

    def has_permission(self, request, view):
        request.subcontractor = subcontractor_of(request.user)
        return request.subcontractor is not None


class SubcontractorView(APIView):
    permission_classes = [IsSubcontractor]


def task_payload(task: Task) -> dict:
    """One leased task as the daemon reads it."""
    return {
        "id": task.pk,
        "job": task.job_id,
        "module": task.module,
        "function": task.function,
        "parameters": task.parameters,
        "cookie": task.cookie,
        "lease_expires": task.lease_expires.isoformat().replace("+00:00", "Z"),
        "attempt": task.attempts,
    }


class PollView(SubcontractorView):
    """POST {"site": ..., "modules": {name: free slots}} -> the tasks leased to the caller."""

    @extend_schema(request=PollRequestSerializer, responses=PollResponseSerializer)
    def post(self, request):
        tasks = task_lease_batch(
            subcontractor=request.subcontractor,
            modules=request.data.get("modules", {}),
            site_name=request.data.get("site"),
            sites=request.data.get("sites"),
            address=request.META.get("REMOTE_ADDR"),
        )
        return Response({"tasks": [task_payload(task) for task in tasks]})


class AnswerView(SubcontractorView):
    """Base of the result and error endpoints: accepted/duplicate -> 200, stale -> 409."""

    def post(self, request, task_id: int):
        try:
            answer = self.record(request, task_id)
        except Task.DoesNotExist as error:
            return Response({"status": "stale", "detail": str(error)}, status=status.HTTP_409_CONFLICT)
        code = status.HTTP_409_CONFLICT if answer.status == "stale" else status.HTTP_200_OK
        return Response({"status": answer.status, "detail": answer.detail}, status=code)


@extend_schema(request=ResultRequestSerializer, responses={200: AnswerSerializer, 409: AnswerSerializer})
class ResultView(AnswerView):
    """POST {"cookie": ..., "result": <JSON>}."""

    def record(self, request, task_id):
        if "result" not in request.data:
            raise ValidationError({"result": "This field is required."})
        return task_complete(
            task_id=task_id, subcontractor=request.subcontractor, cookie=request.data.get("cookie"),
            result=request.data["result"],
        )  # fmt: skip


@extend_schema(request=ErrorRequestSerializer, responses={200: AnswerSerializer, 409: AnswerSerializer})
class ErrorView(AnswerView):
    """POST {"cookie": ..., "error": "...", "retryable": bool}."""

    def record(self, request, task_id):
        return task_fail(
            task_id=task_id, subcontractor=request.subcontractor, cookie=request.data.get("cookie"),
            error=request.data.get("error", ""), retryable=bool(request.data.get("retryable", False)),
        )  # fmt: skip


class ResultsView(SubcontractorView):
    """POST {"results": [{"task": id, "cookie": ..., "result": <JSON>} or {..., "error": "...", "retryable": bool}]}.

    Answers 200 with one {"task", "status", "detail"} per entry, in order: accepted, duplicate or stale.
    """

    @extend_schema(request=BatchRequestSerializer, responses=BatchAnswersSerializer)
    def post(self, request):
        entries = request.data.get("results")  # the body is an object (contractor.api.parsers); the service checks it
        answers = task_answer_batch(subcontractor=request.subcontractor, answers=entries)
        results = [{"task": entry["task"], "status": answer.status, "detail": answer.detail}
                   for entry, answer in zip(entries, answers, strict=True)]  # fmt: skip
        return Response({"results": results})
