"""Pagination for every list endpoint."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`, 50 by default and 1,000 at most; a limit or offset that is not a count is a 400."""

    default_limit = 50
    max_limit = 1000

    def get_limit(self, request):
        limit = _count(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return _count(request, self.offset_query_param, minimum=0) or 0


def _count(request, param: str, *, minimum: int) -> int | None:
    """The integer value of query parameter `param` (None when absent), at least `minimum`."""
    raw = request.query_params.get(param)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValidationError({param: [f"Must be an integer of at least {minimum}, not {raw!r}."]})
    return value
