"""Console pages for the fleet as a whole: the dashboard, the site tree and search."""

from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from contractor.api.permissions import can_see_secrets
from contractor.console import selectors
from contractor.console.access import ConsoleAccess
from contractor.console.graph import NODE_HEIGHT, NODE_WIDTH, site_picture
from contractor.site.models import Site


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("console:dashboard")


class LogoutView(auth_views.LogoutView):
    next_page = "console:login"


def home(request):
    """`/`: the console for someone logged in, the console's login page for anyone else."""
    return redirect("console:dashboard" if request.user.is_authenticated else "console:login")


class DashboardView(ConsoleAccess, TemplateView):
    template_name = "console/dashboard.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **selectors.dashboard(), "nav": "dashboard"}


class SiteTreeView(ConsoleAccess, TemplateView):
    template_name = "console/sites.html"
    permission_required = (*ConsoleAccess.permission_required, "site.view_site")

    def get_context_data(self, **kwargs):
        forest = selectors.site_forest(reveal_secrets=can_see_secrets(self.request.user))
        return {**super().get_context_data(**kwargs), "forest": forest, "nav": "sites"}


class GraphView(ConsoleAccess, TemplateView):
    template_name = "console/graph.html"
    permission_required = (*ConsoleAccess.permission_required, "site.view_site")

    def get_context_data(self, **kwargs):
        site = get_object_or_404(Site, name=self.kwargs["name"])
        picture = site_picture(site)
        return {**super().get_context_data(**kwargs), "site": site, "picture": picture, "nav": "sites",
                "node_width": NODE_WIDTH, "node_height": NODE_HEIGHT}  # fmt: skip


class SearchView(ConsoleAccess, TemplateView):
    template_name = "console/search.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")
        results = selectors.search(query)
        return {**super().get_context_data(**kwargs), "results": results, "query": query, "nav": "search"}
