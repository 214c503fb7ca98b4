"""Payouts, batches, the signed transactions that pay them, and the attempts that link both."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sozu.fields import MoneyField


class Batch(models.Model):
    """Many payouts created together and executed together."""

    class Status(models.TextChoices):
        VALIDATED = "validated", _("Validated")
        EXECUTING = "executing", _("Executing")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="batches"
    )
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALIDATED)
    line_count = models.PositiveIntegerField(default=0)
    total_amount = MoneyField(default=0)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Why the batch is paused (a stable code, e.g. org_underfunded), empty otherwise.
    pause_code = models.CharField(max_length=60, blank=True)
    # Maker-checker (services/approvals.py): who prepared it, when it was sent for approval,
    # how many approvals it needs (copied from the organization when submitted) and when the
    # worker should execute it once approved (None: an approver executes it by hand).
    prepared_by = models.CharField(max_length=120, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    scheduled_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["status", "scheduled_for"], name="batch_due_idx"),
            # Lotes and Inicio: the organization's batches, newest first / by status.
            models.Index(
                fields=["organization", "-created_at", "-id"], name="batch_org_newest_idx"
            ),
            models.Index(fields=["organization", "status"], name="batch_org_status_idx"),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"


class BatchApproval(models.Model):
    """One person's approval of a batch; voided (kept, never deleted) when the batch changes."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="approvals")
    #: Who approved, as an actor string (user:ID, api:PREFIX).
    approver = models.CharField(max_length=120)
    created_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["batch_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "approver"],
                condition=Q(voided_at__isnull=True),
                name="one_live_approval_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"approval of batch {self.batch_id} by {self.approver}"


class Payout(models.Model):
    """Money to one destination: a line of a batch, or a single payout (batch is null)."""

    class Status(models.TextChoices):
        VALIDATED = "validated", _("Validated")  # in a batch that has not been executed
        QUEUED = "queued", _("Queued")  # waiting for the engine
        IN_FLIGHT = "in_flight", _("In flight")  # inside a signed transaction (live attempt)
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="payouts"
    )
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    line_number = models.PositiveIntegerField(default=1)
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payouts",
    )
    destination = models.CharField(max_length=69)  # G... or M...
    amount = MoneyField()
    memo = models.CharField(max_length=28, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    failure_code = models.CharField(max_length=60, blank=True)
    #: The envelope this payout was paid (or failed) in: the hash Sozu signed.
    tx_hash = models.CharField(max_length=64, blank=True)
    #: The hash the network shows for that payment (the fee bump's when the envelope was
    #: bumped, else the same as tx_hash): what a Horizon payments listing reconciles against.
    outer_tx_hash = models.CharField(max_length=64, blank=True)
    ledger = models.PositiveIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    #: When the payout was released to the engine (counts toward the rolling daily cap).
    queued_at = models.DateTimeField(null=True, blank=True)
    attempts_count = models.PositiveIntegerField(default=0)
    #: Backoff: the engine will not pack this payout before this time.
    not_before = models.DateTimeField(null=True, blank=True)
    #: When the destination was last seen to exist with an authorized USDC trustline.
    destination_checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch_id", "line_number", "id"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["batch", "status"]),
            models.Index(fields=["tx_hash"]),
            # Pagos: newest first, one page read from the index instead of sorting every row.
            models.Index(
                fields=["organization", "-created_at", "-id"], name="payout_org_newest_idx"
            ),
            # Inicio: what was paid in a time range, and what settled in the last 30 days.
            models.Index(fields=["organization", "status", "paid_at"], name="payout_org_paid_idx"),
            models.Index(
                fields=["organization", "updated_at", "status"], name="payout_org_updated_idx"
            ),
            # A batch's page: its lines in order, one page read from the index.
            models.Index(fields=["batch", "line_number", "id"], name="payout_batch_line_idx"),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} {self.amount} → {self.destination} ({self.status})"


class ChannelAccount(models.Model):
    """An account the org funds and controls, used only as transaction source (fees, sequence).

    Several channels let several packed transactions share a ledger: the org wallet has one
    sequence number, each channel has its own.
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="channels"
    )
    public_key = models.CharField(max_length=56, unique=True)
    #: The next sequence number to use, kept here so building never waits for Horizon.
    next_sequence = models.BigIntegerField()
    disabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.public_key


class PaymentTransaction(models.Model):
    """One signed envelope of up to 100 payments, stored before it is ever submitted."""

    class Status(models.TextChoices):
        SIGNED = "signed", _("Signed, not yet submitted")
        SUBMITTED = "submitted", _("Submitted, outcome unknown")
        SUCCEEDED = "succeeded", _("Included, successful")
        FAILED = "failed", _("Included, failed")  # fee and sequence consumed
        DISCARDED = "discarded", _("Never included")  # proven: max ledger passed, not found

    UNSETTLED = (Status.SIGNED, Status.SUBMITTED)

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="payment_transactions"
    )
    channel = models.ForeignKey(
        ChannelAccount, on_delete=models.PROTECT, related_name="transactions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SIGNED)
    hash = models.CharField(max_length=64, unique=True)
    envelope_xdr = models.TextField()
    source_sequence = models.BigIntegerField()
    max_ledger = models.PositiveIntegerField()
    max_time = models.BigIntegerField()
    fee = models.PositiveIntegerField()
    #: When the network asked for more than `fee`, the same envelope wrapped in a fee bump
    #: (stored before it is submitted, like the envelope itself).
    fee_bump_xdr = models.TextField(blank=True)
    fee_bump_hash = models.CharField(max_length=64, blank=True)
    fee_bump_fee = models.PositiveIntegerField(null=True, blank=True)
    op_count = models.PositiveSmallIntegerField()
    memo = models.CharField(max_length=28, blank=True)
    submit_count = models.PositiveIntegerField(default=0)
    #: Whether any answer so far could hide an inclusion (timeouts, 5xx, lost responses).
    outcome_ever_unknown = models.BooleanField(default=False)
    next_check_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    ledger = models.PositiveIntegerField(null=True, blank=True)
    tx_code = models.CharField(max_length=60, blank=True)
    op_codes = models.JSONField(default=list)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    #: A discarded envelope is looked up once more a while later (discarded_verify).
    discard_verified = models.BooleanField(default=False)
    #: ALARM: the ledger in which an envelope recorded as discarded was found included
    #: anyway. Its lines may have been paid twice; a person must look.
    included_after_discard_ledger = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            # A channel has one sequence: at most one envelope of it may be unsettled.
            models.UniqueConstraint(
                fields=["channel"],
                condition=Q(status__in=["signed", "submitted"]),
                name="one_unsettled_tx_per_channel",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_check_at"])]

    def __str__(self) -> str:
        return f"tx {self.hash[:12]} ({self.status})"


class PaymentAttempt(models.Model):
    """One payout inside one transaction (operation `op_index`)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        RELEASED = "released", _("Released (not paid, will be repacked)")

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="attempts")
    transaction = models.ForeignKey(
        PaymentTransaction, on_delete=models.PROTECT, related_name="attempts"
    )
    op_index = models.PositiveSmallIntegerField()
    live = models.BooleanField(default=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    op_code = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payout"], condition=Q(live=True), name="one_live_attempt_per_payout"
            ),
            models.UniqueConstraint(
                fields=["payout"], condition=Q(outcome="paid"), name="one_paid_attempt_per_payout"
            ),
            models.UniqueConstraint(fields=["transaction", "op_index"], name="one_op_per_index"),
        ]

    def __str__(self) -> str:
        return f"attempt payout={self.payout_id} tx={self.transaction_id}#{self.op_index}"


class IdempotencyRecord(models.Model):
    """The stored answer to a request made with an Idempotency-Key, per organization."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=40)  # which endpoint
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scope", "key"], name="unique_idempotency_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
