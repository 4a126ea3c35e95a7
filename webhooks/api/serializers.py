"""What the webhook endpoints take and give."""

from rest_framework import serializers

from webhooks.models import EVENTS, Delivery, Endpoint


class EventNames(serializers.ListField):
    """A list of event names; one error for the field, which the service words."""

    child = serializers.CharField()

    def to_internal_value(self, data) -> list[str]:
        if not isinstance(data, list) or not all(isinstance(name, str) for name in data):
            raise serializers.ValidationError('A list of event names, e.g. ["image.ready"].')
        return data


EVENTS_HELP = "Any of: " + ", ".join(f"`{name}` ({meaning})" for name, meaning in EVENTS.items())


class EndpointSerializer(serializers.ModelSerializer):
    """An endpoint as its owner sees it (never its secret)."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS.items())))
    secret_rotation_ends_at = serializers.DateTimeField(
        source="previous_secret_expires_at",
        read_only=True,
        help_text="Until then deliveries are signed with the previous secret too.",
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "enabled",
            "disabled_reason",
            "failing_since",
            "secret_rotation_ends_at",
            "created_at",
        ]
        read_only_fields = ["disabled_reason", "failing_since", "created_at"]
        extra_kwargs = {"url": {"help_text": "HTTPS URL the events are POSTed to."}}


class EndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, help_text="HTTPS URL the events are POSTed to.")
    # Checked by the service, which names the events it knows.
    events = EventNames(help_text=EVENTS_HELP)


class EndpointUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = EventNames(required=False, help_text=EVENTS_HELP)
    enabled = serializers.BooleanField(required=False)


class CreatedEndpointSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signing secret (whsec_...). Shown only in this answer: store it now.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class RotatedSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new secret, shown only now.")
    previous_secret_valid_until = serializers.DateTimeField()


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "created_at",
        ]
