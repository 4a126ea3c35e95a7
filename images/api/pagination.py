"""Lists as plain arrays (the seed contract), or pages: by offset (``limit``, ``offset``)
or by keyset (``cursor``), the way for large accounts: each page costs the same however
deep it is, and rows added meanwhile never shift a page."""

import re
from base64 import b64decode
from urllib.parse import parse_qs, urlsplit

from django.core import signing
from django.http import QueryDict
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

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
            "description": (
                "A plain array (streamed for long lists); with `limit`, a page of it in an "
                "envelope; with `cursor`, a keyset page whose `next` and `previous` links "
                "carry the cursors (the way through large accounts)."
            ),
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


class KeysetPagination(CursorPagination):
    """DRF's cursor pages in the list's own order; ``limit`` sets the page size.

    Asked for with ``cursor`` (empty for the first page); ``next`` and ``previous`` carry
    the cursors. Cursors are signed (Django's signing, a salt of their own): the position
    in one is a value of the list's first column, which reaches SQL only if we wrote it.
    Any other cursor answers 400. (Described in the list operations' text and the README,
    not as a schema parameter: no schema can say which strings are cursors.)
    """

    signer = signing.Signer(salt="images.api.pagination.cursor")

    page_size = 100
    max_page_size = 100
    page_size_query_param = "limit"

    def __init__(self, ordering: tuple[str, ...]) -> None:
        self.ordering = ordering

    def get_page_size(self, request: Request) -> int:
        limit = _whole_number(request.query_params, self.page_size_query_param, minimum=1)
        return self.page_size if limit is None else min(limit, self.max_page_size)

    def encode_cursor(self, cursor: Cursor) -> str:
        url = super().encode_cursor(cursor)
        token = parse_qs(urlsplit(url).query)[self.cursor_query_param][0]
        return replace_query_param(url, self.cursor_query_param, self.signer.sign(token))

    def decode_cursor(self, request: Request) -> Cursor | None:
        signed = request.query_params.get(self.cursor_query_param)
        if not signed:
            return None  # ?cursor= (empty) asks for the first page
        try:
            token = self.signer.unsign(signed[:1000])
            tokens = parse_qs(b64decode(token.encode("ascii")).decode("ascii"))
            offset = int(tokens.get("o", ["0"])[0])
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens["p"][0]  # every cursor we hand out has one
        except (signing.BadSignature, ValueError, KeyError, UnicodeError, TypeError):
            raise ValidationError(
                {self.cursor_query_param: ["Invalid cursor: use the next or previous link."]},
                code="invalid",
            ) from None
        return Cursor(
            offset=min(max(0, offset), self.offset_cutoff), reverse=reverse, position=position
        )
