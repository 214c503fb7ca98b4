"""Admin views of payouts, batches and envelopes: read-only (the engine and services act)."""

from __future__ import annotations

from django.contrib import admin

from sozu.core.admin import ReadOnlyAdmin
from sozu.disbursements.models import Batch, ChannelAccount, PaymentTransaction, Payout


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "organization",
        "name",
        "status",
        "pause_code",
        "line_count",
        "total_amount",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "organization")
    search_fields = ("name",)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "organization",
        "batch",
        "line_number",
        "destination",
        "amount",
        "status",
        "failure_code",
        "tx_hash",
        "ledger",
    )
    list_filter = ("status", "organization")
    search_fields = ("destination", "tx_hash")
    list_select_related = ("organization", "batch")


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "organization",
        "hash",
        "status",
        "op_count",
        "fee",
        "ledger",
        "submit_count",
        "tx_code",
        "created_at",
    )
    list_filter = ("status", "organization")
    search_fields = ("hash", "fee_bump_hash")


@admin.register(ChannelAccount)
class ChannelAccountAdmin(ReadOnlyAdmin):
    list_display = ("public_key", "organization", "next_sequence", "disabled", "created_at")
    list_filter = ("organization", "disabled")
