"""The /api/v1/ URL tree: every app's router, the schema, and its browsable reference.

It includes every app, so it sits at the top with contractor/urls.py; contractor/api/ below the apps is the base
they build their APIs on.
"""

from django.urls import include, path
from django.utils.module_loading import import_string
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from contractor.audit.api.urls import register as register_audit
from contractor.blueprint.api.urls import register as register_blueprint
from contractor.building.api.urls import register as register_building
from contractor.discovery.api.urls import register as register_discovery
from contractor.dns.api.urls import register as register_dns
from contractor.foreman.api.urls import register as register_foreman
from contractor.plugins import plugin_configs
from contractor.site.api.urls import register as register_site
from contractor.subcontracting.api.urls import register as register_subcontracting
from contractor.user.api.urls import register as register_user
from contractor.utilities.api.urls import register as register_utilities
from contractor.webhooks.api.urls import register as register_webhooks

router = DefaultRouter()
for register in (
    register_site,
    register_blueprint,
    register_building,
    register_utilities,
    register_foreman,
    register_discovery,
    register_subcontracting,
    register_user,
    register_dns,
    register_webhooks,
    register_audit,
):
    register(router)
for config in plugin_configs():
    for prefix, viewset in config.api_routes:
        router.register(prefix, import_string(viewset), basename=prefix)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("subcontractor/", include("contractor.subcontracting.api.urls")),
    path("subcontractor/", include("contractor.boot.api.urls")),
    path("", include("contractor.webhooks.api.urls")),
    path("", include(router.urls)),
]
