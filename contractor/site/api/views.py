"""Viewsets of the site API."""

from rest_framework import viewsets

from contractor.site import services
from contractor.site.api.serializers import SiteSerializer
from contractor.site.filtersets import SiteFilterSet
from contractor.site.selectors import site_list


class SiteViewSet(viewsets.ModelViewSet):
    """Sites, addressed by name; deleting one still in use is a 409."""

    queryset = site_list()
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created", "updated"]
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"

    def perform_destroy(self, instance):
        services.site_delete(site=instance)
