"""Whole lists as the seed's plain JSON array, in memory bounded whatever their length.

A list of up to ANSWER_ROWS rows is an ordinary answer (and may be cached). A longer one
is streamed: those rows first, then keyset chunks of CHUNK_ROWS, each read with one
query, shaped, encoded and sent before the next is read, so a 50,000-image account costs
one chunk of rows and answers at a time.
"""

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework.response import Response

from imageapi.renderers import dumps
from images import selectors

ANSWER_ROWS = 2000
CHUNK_ROWS = 500


def whole_list(
    rows: QuerySet, ordering: Sequence[str], shape: Callable[[dict], dict]
) -> Response | StreamingHttpResponse:
    """The full list as a JSON array: one answer if it is short, else streamed."""
    first = list(rows.order_by(*ordering)[: ANSWER_ROWS + 1])
    if len(first) <= ANSWER_ROWS:
        return Response([shape(row) for row in first])
    first = first[:ANSWER_ROWS]
    rest = selectors.keyset_chunks(rows, ordering, CHUNK_ROWS, after=first[-1])
    return StreamingHttpResponse(
        _json_array(itertools.chain([first], rest), shape), content_type="application/json"
    )


def _json_array(chunks: Iterable[list[dict]], shape: Callable[[dict], dict]) -> Iterator[bytes]:
    yield b"["
    separator = b""
    for chunk in chunks:
        # One encode per chunk: orjson writes the items, the brackets are dropped.
        body = dumps([shape(row) for row in chunk])[1:-1]
        if body:
            yield separator + body
            separator = b","
    yield b"]"
