"""gzip for the API's JSON answers: a list of a thousand images is mostly repeated text.

Media are left alone (images are compressed already, and their byte ranges must stay
exact). Django's compressor adds random bytes to each result, its mitigation for
BREACH-style length attacks.
"""

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.text import compress_string

RANDOM_BYTES = GZipMiddleware.max_random_bytes


def accepts_gzip(request: HttpRequest) -> bool:
    return bool(re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def gzip_bytes(body: bytes) -> bytes:
    return compress_string(body, max_random_bytes=RANDOM_BYTES)


class JSONGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, for JSON answers only."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase):
        # Streamed lists (a large account's whole list) are compressed as they stream.
        if not response.get("Content-Type", "").startswith("application/json"):
            return response
        return super().process_response(request, response)
