"""The audit log in the admin: read-only, like the log itself."""

from __future__ import annotations

from django.contrib import admin

from sozu.audit.models import AuditEvent
from sozu.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "organization",
        "seq",
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "tx_hash",
    )
    list_filter = ("action", "organization")
    search_fields = ("object_id", "tx_hash", "actor")
