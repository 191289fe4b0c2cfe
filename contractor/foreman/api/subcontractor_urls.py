"""Routes of the subcontractor protocol, mounted at /api/v1/subcontractor/."""

from django.urls import path

from contractor.foreman.api.subcontractor import ErrorView, PollView, ResultsView, ResultView

urlpatterns = [
    path("poll/", PollView.as_view(), name="subcontractor-poll"),
    path("tasks/<int:task_id>/result/", ResultView.as_view(), name="subcontractor-result"),
    path("tasks/<int:task_id>/error/", ErrorView.as_view(), name="subcontractor-error"),
    path("results/", ResultsView.as_view(), name="subcontractor-results"),
]
