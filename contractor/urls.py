"""Top-level URLs: the REST API and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve

admin.site.site_header = "Contractor"
admin.site.site_title = "Contractor"
admin.site.index_title = "Sites, blueprints and what they build"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("contractor.api.urls")),
    path("api-auth/", include("rest_framework.urls")),
    path("boot/", include("contractor.foreman.boot")),
]

if settings.SERVE_STATIC:
    # gunicorn serves the admin's CSS and JS itself on a first run; production puts a web server in front.
    urlpatterns.append(re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}))
