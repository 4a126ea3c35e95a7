"""Lists as plain arrays (the seed contract), or pages when ``limit`` is given."""

import re

from django.http import QueryDict
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
# Beyond any list here, and inside every database's integer range (an offset past
# PostgreSQL's bigint would be a server error, not an empty page).
MAX_OFFSET = 2**31 - 1


class OptionalLimitOffsetPagination(LimitOffsetPagination):
    """Plain lists as the seed API returns them; an envelope only when ``limit`` is given.

    ``limit`` and ``offset`` that are not whole numbers in range answer 400 instead of
    being ignored, so a client's mistake is not silently a different list. A ``limit``
    above ``max_limit`` is served as ``max_limit``; the envelope's ``next`` says where
    the rest is.
    """

    default_limit = None
    max_limit = 100

    def get_limit(self, request: Request) -> int | None:
        limit = _whole_number(request.query_params, self.limit_query_param, minimum=1)
        if limit is None:
            return self.default_limit
        return min(limit, self.max_limit)

    def get_offset(self, request: Request) -> int:
        return _whole_number(request.query_params, self.offset_query_param, minimum=0) or 0

    def paginate_queryset(self, queryset, request: Request, view=None):
        # Checked even without limit: ?offset=-1 is a mistake whether or not it is used.
        self.get_offset(request)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "oneOf": [schema, super().get_paginated_response_schema(schema)],
            "description": "A plain array; with `limit`, a page of it in an envelope.",
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.limit_query_param,
                "in": "query",
                "required": False,
                "description": (
                    f"Page size, a whole number from 1 (at most {self.max_limit} are "
                    "served). Without it the full list is returned as a plain array."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_OFFSET},
            },
            {
                "name": self.offset_query_param,
                "in": "query",
                "required": False,
                "description": "Items to skip (from 0); used with limit.",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
            },
        ]


def _whole_number(params: QueryDict, name: str, *, minimum: int) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    value = int(raw) if WHOLE_NUMBER.fullmatch(raw) else None
    if value is None or value < minimum or value > MAX_OFFSET:
        what = "a positive whole number" if minimum == 1 else "a whole number from 0"
        raise ValidationError(
            {name: [f"{name} must be {what} (at most {MAX_OFFSET:,}); got {raw[:40]!r}."]},
            code="invalid",
        )
    return value
