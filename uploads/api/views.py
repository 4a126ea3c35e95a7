"""HTTP layer of staged uploads: translate, delegate to :mod:`uploads.services`, answer."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import FIELD_ERRORS, DetailSerializer
from accounts.tiers import entitlements
from imageapi import limits
from images import selectors as image_selectors
from images.api.serializers import Answers
from images.api.views import IMAGE_EXAMPLE
from uploads import services
from uploads.api.idempotency import idempotent
from uploads.api.serializers import (
    UploadProcessingSerializer,
    UploadStartedSerializer,
    UploadStartSerializer,
    UploadStatusSerializer,
)
from uploads.idempotency import KEY_PATTERN
from uploads.models import Upload

POLL_SECONDS = 1
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    pattern=KEY_PATTERN,
    description=(
        "Any unique string (a UUID): a retry with the same key gets the first answer "
        "(kept 24 h), never a second effect. The same key with another body: 422."
    ),
)
NOT_YOURS = OpenApiResponse(DetailSerializer, description="No such upload of yours.")
GONE = OpenApiResponse(
    DetailSerializer,
    description="The upload expired before it was completed; start a new one.",
    examples=[
        OpenApiExample(
            "Expired",
            value={"detail": "This upload expired before it was completed; start a new one."},
        )
    ],
)
CONFLICT = OpenApiResponse(
    DetailSerializer,
    description="Completed already, or no file has arrived yet.",
    examples=[
        OpenApiExample(
            "Nothing sent",
            value={
                "detail": "No file has arrived for this upload yet: send it to the upload URL "
                "first, then complete the upload."
            },
        ),
        OpenApiExample(
            "Twice",
            value={
                "detail": "This upload was already completed (it is processing); start a new "
                "upload to send another file."
            },
        ),
    ],
)
REUSED_KEY = OpenApiResponse(
    DetailSerializer, description="The Idempotency-Key was used for a different request."
)
UPLOAD_ID = "3f1c2a9e-5b7d-4c1e-9a0b-6d2e8f4a7c11"


def status_path(upload: Upload) -> str:
    return reverse("upload-detail", kwargs={"pk": upload.pk})


def upload_answer(request: Request, upload: Upload) -> dict:
    """An upload as its owner sees it: the image once ready, the refusal once rejected."""
    answer: dict = {
        "id": upload.pk,
        "status": upload.status,
        "filename": upload.filename,
        "size": upload.size,
        "created_at": upload.created_at,
        "expires_at": upload.expires_at,
    }
    if upload.status == Upload.Status.READY and upload.image_id is not None:
        rows = image_selectors.image_rows(upload.owner).filter(pk=upload.image_id)
        row = rows.first()
        if row is not None:
            answer["image"] = Answers(request, entitlements(upload.owner)).image(row)
    if upload.status == Upload.Status.REJECTED:
        answer["error"] = {"code": upload.error_code, "message": upload.error_message}
    return answer


class UploadListView(APIView):
    @extend_schema(
        tags=["uploads"],
        summary="Start an upload that goes straight to storage",
        description=(
            "Reserves room in your quota for a file of `size` bytes and answers where to send "
            "it: with S3 storage a presigned POST to the bucket (send `fields`, then the file "
            "as `file`), with local storage a signed URL on this server that takes a `PUT` of "
            "the raw bytes. Then call `complete`. Refused as a direct upload would be (413, "
            "403 over a quota, 429 over the rate), and 429 with too many pending uploads."
        ),
        request=UploadStartSerializer,
        responses={
            201: UploadStartedSerializer,
            400: OpenApiResponse(description="size or filename missing or invalid."),
            413: OpenApiResponse(DetailSerializer, description="size is over MAX_UPLOAD_BYTES."),
            429: OpenApiResponse(
                DetailSerializer,
                description="Too many pending uploads, or over your uploads per hour.",
            ),
        },
        examples=[
            OpenApiExample(
                "Start", request_only=True, value={"size": 2481337, "filename": "holiday.jpg"}
            ),
            OpenApiExample(
                "S3: a presigned POST",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": UPLOAD_ID,
                    "status": "pending",
                    "upload": {
                        "url": "https://s3.example.com/images",
                        "method": "POST",
                        "fields": {
                            "key": f"staging/{UPLOAD_ID.replace('-', '')}",
                            "x-amz-algorithm": "AWS4-HMAC-SHA256",
                            "x-amz-credential": "AKIA…/20261127/us-east-1/s3/aws4_request",
                            "x-amz-date": "20261127T100000Z",
                            "policy": "eyJleHBpcmF0aW9uIjog…",
                            "x-amz-signature": "5d1f…",
                        },
                    },
                    "expires_in": 900,
                },
            ),
            OpenApiExample(
                "Local storage: a signed PUT",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": UPLOAD_ID,
                    "status": "pending",
                    "upload": {
                        "url": f"https://images.example.com/api/user/uploads/{UPLOAD_ID}/content"
                        "?token=eyJpZCI6…",
                        "method": "PUT",
                        "headers": {"Content-Type": "application/octet-stream"},
                    },
                    "expires_in": 900,
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        form = UploadStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        started = services.start_upload(
            request.user,
            size=form.validated_data["size"],
            filename=form.validated_data["filename"],
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        body = {
            "id": started.upload.pk,
            "status": started.upload.status,
            "upload": started.target.as_dict(),
            "expires_in": started.expires_in,
        }
        headers = {"Location": status_path(started.upload)}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class UploadDetailView(APIView):
    @extend_schema(
        tags=["uploads"],
        summary="How an upload stands",
        description=(
            "`pending` (waiting for the file and `complete`), `processing` (poll again "
            "after `Retry-After` seconds), `ready` (with the image as `GET "
            "/api/user/images/{id}/` shows it; `Location` names it) or `rejected` (with the "
            "code and message a direct upload of the file gets; nothing was stored and the "
            "quota is given back). An upload never completed answers 410 once it expired."
        ),
        responses={200: UploadStatusSerializer, 404: NOT_YOURS, 410: GONE},
        examples=[
            OpenApiExample(
                "Processing",
                response_only=True,
                value={
                    "id": UPLOAD_ID,
                    "status": "processing",
                    "filename": "holiday.jpg",
                    "size": 2481337,
                    "created_at": "2026-11-27T10:00:00Z",
                    "expires_at": "2026-11-27T10:15:00Z",
                },
            ),
            OpenApiExample(
                "Ready",
                response_only=True,
                value={
                    "id": UPLOAD_ID,
                    "status": "ready",
                    "filename": "holiday.jpg",
                    "size": 2481337,
                    "created_at": "2026-11-27T10:00:00Z",
                    "expires_at": "2026-11-27T10:15:00Z",
                    "image": IMAGE_EXAMPLE.value,
                },
            ),
            OpenApiExample(
                "Rejected",
                response_only=True,
                value={
                    "id": UPLOAD_ID,
                    "status": "rejected",
                    "filename": "holiday.jpg",
                    "size": 2481337,
                    "created_at": "2026-11-27T10:00:00Z",
                    "expires_at": "2026-11-27T10:15:00Z",
                    "error": {
                        "code": "unsupported_format",
                        "message": "Only JPEG and PNG images are accepted; this is GIF.",
                    },
                },
            ),
        ],
    )
    def get(self, request: Request, pk: str) -> Response:
        upload = services.status_of(request.user, str(pk))
        response = Response(upload_answer(request, upload))
        if upload.status == Upload.Status.PROCESSING:
            response["Retry-After"] = str(POLL_SECONDS)
        elif upload.status == Upload.Status.READY and upload.image_id is not None:
            response["Location"] = reverse("image-detail", kwargs={"pk": upload.image_id})
        return response


class UploadCompleteView(APIView):
    @extend_schema(
        tags=["uploads"],
        summary="Say the file has been sent: validate and store it",
        description=(
            "Answers 202 at once: a worker validates the file exactly as a direct upload is "
            "validated (format, size, pixels, your quotas) and stores it. Poll `Location` "
            "(the upload) after `Retry-After` seconds until it is `ready` or `rejected`."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=None,
        responses={
            202: UploadProcessingSerializer,
            400: OpenApiResponse(FIELD_ERRORS, description="A malformed Idempotency-Key."),
            404: NOT_YOURS,
            409: CONFLICT,
            410: GONE,
            422: REUSED_KEY,
        },
        examples=[
            OpenApiExample(
                "Accepted",
                response_only=True,
                status_codes=["202"],
                value={"id": UPLOAD_ID, "status": "processing"},
            )
        ],
    )
    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        upload = services.complete(request.user, str(pk))
        headers = {"Location": status_path(upload), "Retry-After": str(POLL_SECONDS)}
        return Response(
            {"id": upload.pk, "status": Upload.Status.PROCESSING},
            status=status.HTTP_202_ACCEPTED,
            headers=headers,
        )


@csrf_exempt  # a capability URL: the signed token is the credential, no cookie is used
@require_http_methods(["PUT"])
def upload_content(request: HttpRequest, pk: str) -> HttpResponse:
    """``PUT`` the raw bytes of a staged upload (local storage), bounded as the token says.

    Errors are domain errors, answered as JSON by the error middleware.
    """
    length = request.META.get("CONTENT_LENGTH")
    received = services.receive_content(
        str(pk),
        request.GET.get("token", ""),
        request,  # read in chunks, never whole
        int(length) if length and length.isdigit() else None,
    )
    response = HttpResponse(status=204)
    response["Content-Location"] = status_path(Upload(pk=pk))
    response["X-Bytes-Received"] = str(received)
    return response


# The body-size middleware lets this view's bodies through up to the largest upload
# (the token's own bound is checked by the view).
upload_content.max_request_body = limits.max_upload_bytes
