"""Borrowers' models in the admin: read-only, like the rest of credit."""

from __future__ import annotations

from django.contrib import admin

from sozu.core.admin import ReadOnlyAdmin
from sozu.credit.models_borrowers import (
    GroupLoan,
    GroupMembership,
    ReminderMessage,
    ReminderOptOut,
    ReminderPolicy,
    RenewalRule,
    SolidarityGroup,
)


@admin.register(ReminderMessage)
class ReminderMessageAdmin(ReadOnlyAdmin):
    list_display = ("day", "loan", "kind", "offset_days", "status", "attempts", "backend")
    list_filter = ("status", "kind", "organization")


@admin.register(SolidarityGroup)
class SolidarityGroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "organization", "coordinator", "cycle", "active")
    list_filter = ("organization", "active")


for model in (ReminderPolicy, ReminderOptOut, GroupMembership, GroupLoan, RenewalRule):
    admin.site.register(model, ReadOnlyAdmin)
