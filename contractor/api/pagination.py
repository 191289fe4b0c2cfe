"""Pagination for every list endpoint."""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`, 50 by default and 1,000 at most."""

    default_limit = 50
    max_limit = 1000
