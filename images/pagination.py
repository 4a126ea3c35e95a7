from rest_framework.pagination import LimitOffsetPagination


class OptionalLimitOffsetPagination(LimitOffsetPagination):
    """Plain lists as the seed API returns them; an envelope only when ``limit`` is given."""

    default_limit = None
    max_limit = 100

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "oneOf": [schema, super().get_paginated_response_schema(schema)],
            "description": "A plain array; with `limit`, a page of it in an envelope.",
        }
