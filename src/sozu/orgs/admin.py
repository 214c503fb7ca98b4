"""Admin for organizations: their limits are edited here (audited); keys are only revoked."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from sozu.core.admin import ReadOnlyAdmin
from sozu.orgs.models import ApiKey, Organization
from sozu.orgs.services import LIMIT_FIELDS, apikey_revoke, organization_update_limits


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "wallet_public_key", "ready", "created_at")
    search_fields = ("slug", "name", "wallet_public_key")
    readonly_fields = ("slug", "wallet_public_key", "ready", "created_at")
    fields = ("slug", "wallet_public_key", "ready", "created_at", *LIMIT_FIELDS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an organization needs its wallet on the network: `sozu createorg`

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        organization_update_limits(
            organization_id=obj.pk,
            changes={f: getattr(obj, f) for f in form.changed_data},
            actor=f"user:{request.user.pk}",
        )


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("organization", "prefix", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("organization",)
    exclude = ("key_hash",)
    actions = ("revoke",)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking stops an organization's integration at once: only who may change keys."""
        return bool(request.user.has_perm("orgs.change_apikey"))

    @admin.action(description="Revoke the selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        n = 0
        for key in queryset.filter(revoked_at__isnull=True):
            apikey_revoke(key=key, actor=f"user:{request.user.pk}")
            n += 1
        self.message_user(request, f"{n} API keys revoked.", messages.SUCCESS)
