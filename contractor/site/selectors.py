"""Reads for sites."""

from django.db.models import QuerySet

from contractor.site.models import Site


def site_list() -> QuerySet[Site]:
    """Every site with its parent and children loaded, for listing in a fixed number of queries."""
    return Site.objects.select_related("parent", "zone").prefetch_related("children")
