"""The boot app's route in the subcontractor protocol, mounted at /api/v1/subcontractor/ beside the others."""

from django.urls import path

from contractor.boot.api.views import PxePlanView

urlpatterns = [
    path("pxe/", PxePlanView.as_view(), name="subcontractor-pxe"),
]
