"""Beneficiaries in the admin: read-only until the dashboard brings their application flow."""

from __future__ import annotations

from django.contrib import admin

from sozu.beneficiaries.models import Beneficiary
from sozu.core.admin import ReadOnlyAdmin


@admin.register(Beneficiary)
class BeneficiaryAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "organization", "stellar_address", "status", "created_at")
    list_filter = ("status", "organization")
    search_fields = ("full_name", "stellar_address", "national_id", "email")
