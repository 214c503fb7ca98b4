"""Webhook endpoints and deliveries in the admin: read-only; secrets are never shown."""

from __future__ import annotations

from django.contrib import admin

from sozu.core.admin import ReadOnlyAdmin
from sozu.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "organization", "active", "created_at")
    list_filter = ("active", "organization")
    exclude = ("secret_ciphertext",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type")
