"""Top-level URLs: the web console, the REST API and the admin."""

from django.contrib import admin
from django.urls import include, path

from contractor.console.views import home

admin.site.site_header = "Contractor"
admin.site.site_title = "Contractor"
admin.site.index_title = "Sites, blueprints and what they build"

urlpatterns = [
    path("", home),
    path("console/", include("contractor.console.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("contractor.rest_urls")),
    path("api-auth/", include("rest_framework.urls")),
    path("boot/", include("contractor.boot.urls")),
]

# Paths no URL matches: JSON under /api/ and /boot/, Django's plain pages elsewhere (never the debug ones by default).
handler404 = "contractor.api.exceptions.not_found"
handler500 = "contractor.api.exceptions.server_error"
