"""Bounding request bodies before they are read (the bounds are :mod:`imageapi.limits`)."""

from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from imageapi import limits
from imageapi.error_responses import json_error
from imageapi.errors import Rejected, TooLarge


class BoundedUploadHandler(FileUploadHandler):
    """Stops a multipart upload as soon as a file passes ``MAX_UPLOAD_BYTES``.

    Placed before Django's own handlers, it sees every chunk first and only counts.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > limits.max_upload_bytes():
            raise limits.upload_too_large()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _raw_body_bound(request: HttpRequest) -> int:
    """The larger body a view takes as a raw stream (its ``max_request_body()``), else 0.

    Asked only for bodies past the usual bounds, so ordinary requests resolve nothing.
    """
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return 0
    bound = getattr(view, "max_request_body", None)
    return bound() if callable(bound) else 0


class RequestSizeLimitMiddleware:
    """Refuse bodies that announce a size no endpoint accepts, before reading them.

    Views that stream a raw body themselves (a staged upload's ``PUT``) declare a larger
    bound with a ``max_request_body`` function attribute, and enforce their own.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(Rejected("Malformed Content-Length header."))
        multipart = request.content_type == "multipart/form-data"
        limit = limits.max_multipart_body() if multipart else limits.max_other_body()
        if length > limit and length <= _raw_body_bound(request):
            return self.get_response(request)
        if length > limit:
            what = "upload" if multipart else "request body"
            why = " (MAX_UPLOAD_BYTES plus form overhead)." if multipart else "."
            return json_error(
                TooLarge(f"The {what} is {length:,} bytes; the limit is {limit:,} bytes{why}")
            )
        return self.get_response(request)
