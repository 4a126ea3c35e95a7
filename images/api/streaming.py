"""Whole lists as the seed's plain JSON array, in memory bounded whatever their length.

A list that fits in one keyset chunk is an ordinary answer (and may be cached). A longer
one is streamed: each chunk is read with one query, shaped, encoded and sent before the
next is read, so a 50,000-image account costs one chunk of rows and answers at a time.
"""

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework.response import Response

from imageapi.renderers import dumps
from images import selectors

CHUNK_ROWS = 1000


def whole_list(
    rows: QuerySet, ordering: Sequence[str], shape: Callable[[dict], dict]
) -> Response | StreamingHttpResponse:
    """The full list as a JSON array: one answer if it is short, else streamed."""
    chunks = selectors.keyset_chunks(rows, ordering, CHUNK_ROWS)
    first = next(chunks, [])
    if len(first) < CHUNK_ROWS:
        return Response([shape(row) for row in first])
    return StreamingHttpResponse(
        _json_array(itertools.chain([first], chunks), shape), content_type="application/json"
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
