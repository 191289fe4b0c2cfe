"""Console pages for foundations and structures: the lists, one object's page, and starting its jobs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from contractor.api.permissions import can_see_secrets
from contractor.building.choices import FoundationState, StructureState
from contractor.building.filtersets import FoundationFilterSet, StructureFilterSet
from contractor.building.models import Foundation, Structure
from contractor.console import details
from contractor.console.access import ConsoleAccess, can_start_jobs, can_steer_jobs
from contractor.foreman.services import job_create
from contractor.site.models import Site


def refusal(error: ValidationError) -> str:
    """A service's refusal as one sentence (its messages without the field names)."""
    return " ".join(error.messages)


class ObjectList(ConsoleAccess, TemplateView):
    """Foundations or structures, filtered as the API filters them (its FilterSet), 50 to a page."""

    per_page = 50

    def get_context_data(self, **kwargs):
        found = self.filterset_class(self.request.GET, queryset=self.queryset())
        rows = found.qs if found.is_valid() else self.queryset().none()
        page = Paginator(rows, self.per_page).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "filters": found.form.cleaned_data if found.is_valid() else {},
            "errors": found.errors,
            "states": self.states.choices,
            "sites": list(Site.objects.order_by("name").values_list("name", flat=True)),
            "query": "",
            "params": query.urlencode(),
            "nav": self.nav,
        }


class FoundationListView(ObjectList):
    template_name = "console/foundations.html"
    nav = "foundations"
    filterset_class = FoundationFilterSet
    states = FoundationState

    def queryset(self):
        return Foundation.objects.select_related("site", "blueprint", "structure").order_by("locator")


class StructureListView(ObjectList):
    template_name = "console/structures.html"
    nav = "structures"
    filterset_class = StructureFilterSet
    states = StructureState

    def queryset(self):
        return Structure.objects.select_related("site", "blueprint", "foundation").order_by("hostname", "pk")


class ObjectPage(ConsoleAccess, TemplateView):
    """What the foundation and structure pages share: who may press which button."""

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            **self.page(reveal_secrets=can_see_secrets(user)),
            "can_start": can_start_jobs(user),
            "can_steer": can_steer_jobs(user),
            "nav": self.nav,
        }


class FoundationView(ObjectPage):
    template_name = "console/foundation.html"
    nav = "foundations"

    def page(self, *, reveal_secrets: bool) -> dict:
        return details.foundation_page(self.kwargs["locator"], reveal_secrets=reveal_secrets)


class StructureView(ObjectPage):
    template_name = "console/structure.html"
    nav = "structures"

    def page(self, *, reveal_secrets: bool) -> dict:
        return details.structure_page(self.kwargs["pk"], reveal_secrets=reveal_secrets)


class JobStartView(ConsoleAccess, View):
    """POST script=<name>: start a job running that script on the target, as `POST <object>/jobs/` does."""

    http_method_names = ["post"]

    def target(self):
        if "locator" in self.kwargs:
            return details.foundation_get(self.kwargs["locator"])
        return details.structure_get(self.kwargs["pk"])

    def post(self, request, **kwargs):
        if not can_start_jobs(request.user):
            raise PermissionDenied("Starting jobs needs the builder role.")
        target = self.target()
        back = request.path.rsplit("jobs/", 1)[0]  # the object's page
        script = request.POST.get("script", "").strip()
        if not script:
            messages.error(request, "Choose a script to run.")
            return redirect(back)
        try:
            job = job_create(target=target, script_name=script, user=request.user)
        except ValidationError as error:
            messages.error(request, refusal(error))
            return redirect(back)
        messages.success(request, f"Started job {job.pk}: {script} of {target}.")
        return redirect("console:job", job.pk)
