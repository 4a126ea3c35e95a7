from django.contrib.auth import authenticate
from rest_framework import exceptions, serializers


class CredentialsSerializer(serializers.Serializer):
    """Username and password, checked against the user database."""

    # Taken as sent: a password's spaces are part of it, and a username of spaces is
    # a wrong username (401), not a blank field.
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            # The Django request: the brute-force policy marks it, its middleware answers.
            request=self.context.get("http_request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid username or password.")
        attrs["user"] = user
        return attrs


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class LoginFailedSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    detail = serializers.CharField()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# A refused input, as the schema describes it: each offending field with its reasons,
# ``{"image": ["…"]}`` (an object of string lists; DRF's validation error shape).
FIELD_ERRORS = {
    "type": "object",
    "description": "Each refused field with the reasons.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


class ExpiringRangeSerializer(serializers.Serializer):
    min_seconds = serializers.IntegerField()
    max_seconds = serializers.IntegerField()


class IncludesSerializer(serializers.Serializer):
    thumbnail_heights = serializers.ListField(child=serializers.IntegerField())
    original_link = serializers.BooleanField()
    expiring_links = ExpiringRangeSerializer(
        allow_null=True, help_text="The `time` range expiring links accept; null: none."
    )


class QuotaSerializer(serializers.Serializer):
    limit = serializers.IntegerField(allow_null=True, help_text="Null: unlimited.")
    used = serializers.IntegerField()


class RateSerializer(QuotaSerializer):
    window_seconds = serializers.IntegerField()
    frees_in = serializers.IntegerField(
        allow_null=True,
        help_text="Seconds until the oldest upload in the window stops counting.",
    )


class LimitsSerializer(serializers.Serializer):
    images = QuotaSerializer(help_text="Images stored.")
    bytes = QuotaSerializer(help_text="Bytes of originals stored.")
    uploads_per_hour = RateSerializer(help_text="Uploads in the last 60 minutes.")
    max_megapixels = serializers.FloatField(
        help_text="Largest upload: the tier's limit, or the server-wide one."
    )


class UploadsSerializer(serializers.Serializer):
    max_bytes = serializers.IntegerField(
        help_text="Largest file accepted (MAX_UPLOAD_BYTES); larger ones answer 413."
    )
    accepted_types = serializers.ListField(
        child=serializers.CharField(),
        help_text="MIME types an upload may be (judged from its bytes), for <input accept>.",
    )
    field = serializers.CharField(help_text="The multipart field that carries the file.")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    tier = serializers.CharField(help_text="Tier name.")
    includes = IncludesSerializer()
    limits = LimitsSerializer()
    uploads = UploadsSerializer(help_text="What an upload may be, whatever the tier.")
