from rest_framework.pagination import LimitOffsetPagination


class OptionalLimitOffsetPagination(LimitOffsetPagination):
    """Plain lists as the seed API returns them; an envelope only when ``limit`` is given."""

    default_limit = None
    max_limit = 100
