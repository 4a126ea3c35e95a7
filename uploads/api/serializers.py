"""What the staged-upload endpoints take and give (answers are plain dicts, described here)."""

from django.utils.functional import lazy
from rest_framework import serializers

from imageapi import limits
from images.api.serializers import ImageSerializer
from uploads.models import Upload


def _size_help() -> str:
    return (
        f"Bytes of the file you will send: at most {limits.max_upload_bytes():,} "
        "(MAX_UPLOAD_BYTES) and what your tier's storage has left. The file sent must "
        "have exactly this size."
    )


class UploadStartSerializer(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, help_text=lazy(_size_help, str)())
    filename = serializers.CharField(
        max_length=255, help_text="The file's name, for your own reference; not trusted."
    )


class UploadTargetSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Where to send the file.")
    method = serializers.ChoiceField(
        choices=["POST", "PUT"],
        help_text=(
            "POST: a multipart form with every entry of `fields`, then the file as `file` "
            "(last). PUT: the raw bytes as the body, with `headers`."
        ),
    )
    fields = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="Form fields (POST)."
    )
    headers = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="Request headers (PUT)."
    )


class UploadStartedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Upload.Status.choices)
    upload = UploadTargetSerializer()
    expires_in = serializers.IntegerField(
        help_text="Seconds the upload URL works; complete the upload before then."
    )


class UploadErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The code a direct upload of the file would get.")
    message = serializers.CharField(help_text="Why, for a person.")


class UploadStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=[c for c in Upload.Status.values if c != Upload.Status.EXPIRED]
    )
    filename = serializers.CharField()
    size = serializers.IntegerField(help_text="Declared bytes.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        help_text="When the upload URL stops working (only pending uploads expire)."
    )
    image = ImageSerializer(required=False, help_text="The stored image (status `ready`).")
    error = UploadErrorSerializer(required=False, help_text="Why it was rejected.")


class UploadProcessingSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=[Upload.Status.PROCESSING])
