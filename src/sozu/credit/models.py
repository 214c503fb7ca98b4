"""Loan products, loans (préstamos), their cuotas and the append-only repayments.

Rates are percent (TNA 60 = 60 % a year). Money columns are MoneyField; what a loan still owes
is never stored: selectors recompute it from the cuotas and the repayments (allocation.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sozu.fields import MoneyField


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Biweekly")
    MONTHLY = "monthly", _("Monthly")


class System(models.TextChoices):
    FRENCH = "french", _("French (equal cuotas)")
    GERMAN = "german", _("German (equal capital)")
    FLAT = "flat", _("Flat interest")


class Prepayment(models.TextChoices):
    """What applying her credit as a prepayment does to the cuotas still to come."""

    REDUCE_TERM = "reduce_term", _("Reduces the term (fewer cuotas)")
    REDUCE_CUOTA = "reduce_cuota", _("Reduces the cuota (same number of cuotas)")


class Currency(models.TextChoices):
    USDC = "USDC", "USDC"
    ARS = "ARS", "ARS"


def rate_field(**kwargs: object) -> models.DecimalField:
    """A rate in percent, e.g. 60.0000 (not money)."""
    return models.DecimalField(max_digits=9, decimal_places=4, **kwargs)  # type: ignore[arg-type]


class LoanProduct(models.Model):
    """What an organization offers: amounts, terms and prices of one kind of credit."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="loan_products"
    )
    name = models.CharField(max_length=120)
    currency = models.CharField(max_length=4, choices=Currency.choices, default=Currency.USDC)
    min_amount = MoneyField()
    max_amount = MoneyField()
    min_cuotas = models.PositiveSmallIntegerField()
    max_cuotas = models.PositiveSmallIntegerField()
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    system = models.CharField(max_length=10, choices=System.choices)
    #: Nominal annual rate (TNA), percent.
    tna = rate_field()
    #: IVA on interest and fees, percent: 21, 10.5 or 0 (exempt).
    iva = rate_field()
    #: Percent of the amount, withheld when the loan is paid out (plus IVA).
    origination_fee = rate_field(default=0)
    #: Percent of the balance per period (seguro sobre saldo deudor), IVA exempt.
    insurance = rate_field(default=0)
    #: Late interest (punitorios), percent a year on overdue capital.
    late_tna = rate_field(default=0)
    #: Days after a due date before late interest starts (then it counts from the due date).
    grace_days = models.PositiveSmallIntegerField(default=0)
    #: What a prepayment (her credit applied early) does to the remaining cuotas.
    prepayment = models.CharField(
        max_length=12, choices=Prepayment.choices, default=Prepayment.REDUCE_TERM
    )
    active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="one_product_name"),
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & Q(max_amount__gte=models.F("min_amount")),
                name="product_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(min_cuotas__gte=1) & Q(max_cuotas__gte=models.F("min_cuotas")),
                name="product_cuotas_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Loan(models.Model):
    """A credit to one beneficiary: prepared, approved by someone else, paid out, repaid."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        DISBURSING = "disbursing", _("Disbursing")
        ACTIVE = "active", _("Active")
        PAID_OFF = "paid_off", _("Paid off")
        WRITTEN_OFF = "written_off", _("Written off")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="loans"
    )
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="loans"
    )
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="loans")
    amount = MoneyField()
    cuotas = models.PositiveSmallIntegerField()
    #: The first due date asked for when it was prepared (else one period after it is paid).
    first_due = models.DateField(null=True, blank=True)
    # The product's terms when the loan was prepared: changing a product never changes a loan.
    currency = models.CharField(max_length=4, choices=Currency.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    system = models.CharField(max_length=10, choices=System.choices)
    tna = rate_field()
    iva = rate_field()
    origination_fee = rate_field()
    insurance = rate_field()
    late_tna = rate_field()
    grace_days = models.PositiveSmallIntegerField()
    prepayment = models.CharField(
        max_length=12, choices=Prepayment.choices, default=Prepayment.REDUCE_TERM
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    prepared_by = models.CharField(max_length=120)
    approved_by = models.CharField(max_length=120, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    #: The payout that disburses it (created on approval through the engine).
    payout = models.OneToOneField(
        "disbursements.Payout",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loan",
    )
    #: USDC sent: the amount less the origination fee and its IVA, converted for ARS loans.
    payout_amount = MoneyField(null=True, blank=True)
    # ARS loans: the rate (ARS per USDC) used for the disbursement, its source and time.
    exchange_rate = MoneyField(null=True, blank=True)
    exchange_rate_source = models.CharField(max_length=120, blank=True)
    exchange_rate_at = models.DateTimeField(null=True, blank=True)
    #: The day the payout was paid, in the organization's time zone: the schedule starts here.
    disbursed_on = models.DateField(null=True, blank=True)
    # Write-off: requested by one person, approved by another (maker-checker).
    write_off_requested_by = models.CharField(max_length=120, blank=True)
    write_off_requested_at = models.DateTimeField(null=True, blank=True)
    write_off_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loan_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"loan {self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def reference(self) -> str:
        """A short reference for memos and receipts."""
        return f"SOZU-{self.pk}"

    @property
    def payment_reference(self) -> str:
        """What she writes as the memo when she pays: ``SZ-`` and a check-digited code."""
        from sozu.credit.references import loan_reference

        return loan_reference(self.pk)


class Cuota(models.Model):
    """One row of a loan's schedule, computed by the simulator when the loan is paid out."""

    class Kind(models.TextChoices):
        CUOTA = "cuota", _("Cuota")
        #: Her credit applied early to capital (a row due the day it was applied).
        PREPAYMENT = "prepayment", _("Prepayment")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="schedule")
    #: The order in which payments cover the rows (a prepayment takes a number too).
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUOTA)
    due_date = models.DateField()
    #: Before moving to a business day (equal to due_date when it did not move).
    nominal_date = models.DateField()
    capital = MoneyField()
    interest = MoneyField()
    iva = MoneyField()
    fees = MoneyField()
    total = MoneyField()
    #: Capital still owed after this cuota, as scheduled.
    balance = MoneyField()

    class Meta:
        ordering = ["loan_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="one_cuota_per_number"),
        ]

    def __str__(self) -> str:
        return f"cuota {self.number} of loan {self.loan_id}"


class ScheduleChange(models.Model):
    """A re-scheduling (a prepayment): the rows replaced and their replacement, as they were."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="schedule_changes"
    )
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="schedule_changes")
    applied_on = models.DateField()
    #: Capital prepaid from her credit.
    amount = MoneyField()
    mode = models.CharField(max_length=12, choices=Prepayment.choices)
    #: The cuotas that were still to come, before and after (ScheduleRow.as_dict-like rows).
    old_rows = models.JSONField()
    new_rows = models.JSONField()
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="prepayment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"prepayment {self.amount} on loan {self.loan_id}"


class Repayment(models.Model):
    """Money she paid, append-only: a correction is a reversal row pointing at the original."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        TRANSFER = "transfer", _("Bank transfer")
        STELLAR = "stellar", _("On chain (Stellar)")

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REVERSAL = "reversal", _("Reversal")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="repayments"
    )
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    #: Always positive; a reversal cancels the whole repayment it points at.
    amount = MoneyField()
    received_on = models.DateField()
    method = models.CharField(max_length=10, choices=Method.choices)
    #: The receipt number, bank transfer id or Stellar transaction hash.
    reference = models.CharField(max_length=120)
    #: On-chain repayments: the operation id, applied exactly once.
    operation_id = models.CharField(max_length=40, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    reason = models.TextField(blank=True)
    # ARS loans: the rate used, its source and time (never a silent conversion).
    exchange_rate = MoneyField(null=True, blank=True)
    exchange_rate_source = models.CharField(max_length=120, blank=True)
    exchange_rate_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive"),
            models.UniqueConstraint(
                fields=["organization", "operation_id"],
                condition=~Q(operation_id=""),
                name="one_repayment_per_operation",
            ),
            models.CheckConstraint(
                condition=(Q(kind="payment") & Q(reverses__isnull=True))
                | (Q(kind="reversal") & Q(reverses__isnull=False)),
                name="reversal_points_at_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on loan {self.loan_id}"


# Borrowers (reminders, solidarity groups, renewal): their own module, registered here.
from sozu.credit.models_borrowers import (  # noqa: E402
    GroupLoan,
    GroupMembership,
    ReminderMessage,
    ReminderOptOut,
    ReminderPolicy,
    RenewalRule,
    SolidarityGroup,
)

# The portfolio's derived state and the follow-up log live in their own module.
from sozu.credit.models_portfolio import LoanFollowUp, LoanState, PortfolioFlow  # noqa: E402

__all__ = [
    "Cuota",
    "Currency",
    "Frequency",
    "GroupLoan",
    "GroupMembership",
    "Loan",
    "LoanFollowUp",
    "LoanProduct",
    "LoanState",
    "PaymentFollower",
    "PaymentReview",
    "PortfolioFlow",
    "ReminderMessage",
    "ReminderOptOut",
    "ReminderPolicy",
    "RenewalRule",
    "Repayment",
    "ScheduleChange",
    "SolidarityGroup",
    "System",
]


class PaymentFollower(models.Model):
    """Where the follower of one organization's incoming payments stands: the Horizon cursor.

    The cursor moves only in the transaction that applies the payments before it, so what was
    applied and where to go on can never disagree. The lease keeps two followers from reading
    the same pages; exactly-once does not depend on it (the cursor is checked under the row lock).
    """

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.PROTECT, related_name="payment_follower"
    )
    #: The paging token of the last payment handled; empty = from the wallet's first payment.
    cursor = models.CharField(max_length=40, blank=True)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    #: Counters for the page and the metrics: repayments recorded, payments sent to review.
    applied = models.PositiveBigIntegerField(default=0)
    queued = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"follower of org {self.organization_id} at {self.cursor or 'start'}"


class PaymentReview(models.Model):
    """An incoming payment the follower could not apply: staff assign, return or dismiss it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        ASSIGNED = "assigned", _("Assigned to a loan")
        RETURNED = "returned", _("Returned")
        DISMISSED = "dismissed", _("Not a repayment")

    class Reason(models.TextChoices):
        NO_REFERENCE = "no_reference", _("No memo and no loan address")
        UNKNOWN_REFERENCE = "unknown_reference", _("The memo names no loan of ours")
        UNKNOWN_MUXED_ID = "unknown_muxed_id", _("Paid to a loan address that is not ours")
        AMBIGUOUS = "ambiguous", _("The address and the memo name different loans")
        WRONG_ASSET = "wrong_asset", _("Not USDC of the configured issuer")
        LOAN_NOT_ACTIVE = "loan_not_active", _("The loan is not active")
        AMOUNT_PRECISION = "amount_precision", _("The amount has more than 2 decimals")
        EXCHANGE_RATE_NEEDED = "exchange_rate_needed", _("The loan is in ARS: a rate is needed")
        REFUSED = "refused", _("The repayment was refused")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="payment_reviews"
    )
    #: Horizon's operation id (also its paging token).
    operation_id = models.CharField(max_length=40)
    tx_hash = models.CharField(max_length=64)
    #: Who paid (the G address; a refund goes back there).
    source = models.CharField(max_length=56)
    to_muxed_id = models.CharField(max_length=20, blank=True)
    memo = models.CharField(max_length=64, blank=True)
    memo_type = models.CharField(max_length=10, blank=True)
    #: "XLM" for lumens.
    asset_code = models.CharField(max_length=12)
    asset_issuer = models.CharField(max_length=56, blank=True)
    amount = MoneyField()
    received_at = models.DateTimeField()
    reason = models.CharField(max_length=24, choices=Reason.choices)
    #: What the refusal said (an error code) when reason is "refused".
    detail = models.CharField(max_length=200, blank=True)
    #: The loan the payment seemed to name, if any (e.g. one that is not active).
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_reviews"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    repayment = models.OneToOneField(
        Repayment, null=True, blank=True, on_delete=models.PROTECT, related_name="review"
    )
    refund_payout = models.OneToOneField(
        "disbursements.Payout",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_review",
    )
    resolved_by = models.CharField(max_length=120, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "operation_id"], name="one_review_per_operation"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="review_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"payment {self.operation_id} to review ({self.status})"
