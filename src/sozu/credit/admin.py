"""Credit in the admin: read-only; every change goes through the services (and the audit log)."""

from __future__ import annotations

from django.contrib import admin

from sozu.core.admin import ReadOnlyAdmin
from sozu.credit.models import (
    Cuota,
    Loan,
    LoanProduct,
    PaymentFollower,
    PaymentReview,
    Repayment,
)


@admin.register(LoanProduct)
class LoanProductAdmin(ReadOnlyAdmin):
    list_display = ("name", "organization", "currency", "frequency", "system", "tna", "active")
    list_filter = ("organization", "currency", "active")


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ("id", "beneficiary", "amount", "currency", "cuotas", "status", "created_at")
    list_filter = ("status", "organization", "currency")
    search_fields = ("beneficiary__full_name", "beneficiary__national_id")


@admin.register(Cuota)
class CuotaAdmin(ReadOnlyAdmin):
    list_display = ("loan", "number", "due_date", "total", "balance")


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin):
    list_display = ("loan", "kind", "amount", "received_on", "method", "reference", "created_by")
    list_filter = ("kind", "method", "organization")


# Borrowers (reminders, solidarity groups, renewal): their own module.
from sozu.credit import admin_borrowers  # noqa: E402,F401


@admin.register(PaymentFollower)
class PaymentFollowerAdmin(ReadOnlyAdmin):
    list_display = ("organization", "cursor", "lease_owner", "lease_until", "applied", "queued")


@admin.register(PaymentReview)
class PaymentReviewAdmin(ReadOnlyAdmin):
    list_display = ("operation_id", "organization", "amount", "asset_code", "reason", "status")
    list_filter = ("status", "reason", "organization")
    search_fields = ("operation_id", "tx_hash", "source", "memo")
