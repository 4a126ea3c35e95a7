from django.contrib.auth import authenticate
from rest_framework import exceptions, serializers


class CredentialsSerializer(serializers.Serializer):
    """Username and password, checked against the user database."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})

    def validate(self, attrs: dict) -> dict:
        request = self.context.get("request")
        user = authenticate(
            # The Django request: the brute-force policy marks it, its middleware answers.
            request=getattr(request, "_request", request),
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
