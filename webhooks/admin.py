"""Webhook endpoints and their delivery log in django-admin.

A secret is shown once, in the message after the endpoint is added or its secret rotated.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from webhooks import client, services, signing
from webhooks.models import EVENTS, Delivery, Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()), widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = Endpoint
        fields = ["owner", "url", "events", "enabled", "disabled_reason"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            client.validate_url(url)
        except client.UnsafeTarget as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "owner", "events", "enabled", "disabled_reason", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["failing_since", "previous_secret_expires_at", "created_at"]
    actions = ["send_test_event", "rotate_secret"]

    def save_model(self, request: HttpRequest, obj: Endpoint, form, change: bool) -> None:
        if not change:
            obj.secret = signing.new_secret()
            messages.warning(
                request, f"The signing secret of {obj.url} (shown only now): {obj.secret}"
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="Send a test event")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            delivery = services.send_test(endpoint)
            how = delivery.status if delivery.attempts else "queued"
            detail = delivery.last_error or (delivery.response_code or "")
            messages.info(request, f"Test event to {endpoint.url}: {how} {detail}".strip())

    @admin.action(description="Rotate the signing secret")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            secret = services.rotate_secret(endpoint)
            messages.warning(
                request, f"New signing secret of {endpoint.url} (shown only now): {secret}"
            )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "endpoint__url", "endpoint__owner__username"]
    list_select_related = ["endpoint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
