"""Borrowers (issue 12, part E): reminders and their outbox, solidarity groups, renewal rules.

Kept apart from models.py (imported at its end) so that the credit app's parts can grow in
parallel. Nothing here stores what a loan owes: that is always recomputed (allocation.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sozu.credit.models import Cuota, Loan, LoanProduct, rate_field

#: Days before a due date (0 = on the day) and days late that send a reminder, by default.
DEFAULT_BEFORE_DAYS = "3,0"
DEFAULT_OVERDUE_DAYS = "1,7,15"


class ReminderPolicy(models.Model):
    """When reminders go out: for a whole organization (product empty) or one product.

    A product's policy wins over its organization's; without either the defaults apply
    (3 days before and on the due date; 1, 7 and 15 days late). Days are comma-separated.
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="reminder_policies"
    )
    product = models.OneToOneField(
        LoanProduct,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminder_policy",
    )
    before_days = models.CharField(max_length=60, default=DEFAULT_BEFORE_DAYS, blank=True)
    overdue_days = models.CharField(max_length=60, default=DEFAULT_OVERDUE_DAYS, blank=True)
    enabled = models.BooleanField(default=True)
    updated_by = models.CharField(max_length=120)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(product__isnull=True),
                name="one_org_reminder_policy",
            ),
        ]

    def __str__(self) -> str:
        return f"reminder policy {self.before_days} / {self.overdue_days}"


class ReminderOptOut(models.Model):
    """She asked not to receive reminders (staff recorded it, or she answered BAJA)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="reminder_opt_outs"
    )
    beneficiary = models.OneToOneField(
        "beneficiaries.Beneficiary", on_delete=models.CASCADE, related_name="reminder_opt_out"
    )
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"opt-out of beneficiary {self.beneficiary_id}"


class ReminderMessage(models.Model):
    """The outbox: one row per reminder, written before any backend is called.

    Idempotent by a database constraint: one message per loan, cuota, kind and day. Delivery
    claims a row (queued → sending) under a row lock, calls the backend outside any
    transaction, then records sent, failed (terminal) or queued again with a later retry.
    """

    class Kind(models.TextChoices):
        BEFORE_DUE = "before_due", _("Before the due date")
        OVERDUE = "overdue", _("Overdue")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (opted out)")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="reminder_messages"
    )
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="reminders")
    cuota = models.ForeignKey(Cuota, on_delete=models.PROTECT, related_name="reminders")
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    #: The day the reminder is for (in the organization's time zone).
    day = models.DateField()
    #: Days before the due date (before_due) or days late (overdue).
    offset_days = models.PositiveSmallIntegerField()
    to = models.CharField(max_length=40, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    backend = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    #: When a worker claimed it (sending); a claim older than the lease is taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=80, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["organization", "day"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "cuota", "kind", "day"], name="one_reminder_per_cuota_kind_day"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.kind} loan {self.loan_id} cuota {self.cuota_id} ({self.status})"


class SolidarityGroup(models.Model):
    """A grupo solidario: 3 to 10 approved beneficiaries who borrow together, cycle by cycle."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="solidarity_groups"
    )
    name = models.CharField(max_length=120)
    coordinator = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="coordinated_groups"
    )
    #: The cycle of its latest grant (0 before the first one).
    cycle = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="one_group_name"),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """A person in a group; she is in at most one active group (a database constraint)."""

    group = models.ForeignKey(SolidarityGroup, on_delete=models.CASCADE, related_name="members")
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="group_memberships"
    )
    active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group_id", "beneficiary__full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary"], condition=Q(active=True), name="one_active_group"
            ),
        ]

    def __str__(self) -> str:
        return f"beneficiary {self.beneficiary_id} in group {self.group_id}"


class GroupLoan(models.Model):
    """A loan granted to a group member, with the group's cycle it belongs to."""

    group = models.ForeignKey(SolidarityGroup, on_delete=models.PROTECT, related_name="loans")
    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="group_link")
    cycle = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["group_id", "cycle", "loan_id"]

    def __str__(self) -> str:
        return f"loan {self.loan_id} of group {self.group_id}, cycle {self.cycle}"


class RenewalRule(models.Model):
    """When a borrower of a product may renew, and for how much.

    Eligible when every cuota of her last loan is paid and no cuota was ever more than
    `max_days_late` days late; the suggested amount is the last amount plus `increase`
    percent, never above the product's maximum.
    """

    product = models.OneToOneField(
        LoanProduct, on_delete=models.CASCADE, related_name="renewal_rule"
    )
    max_days_late = models.PositiveSmallIntegerField(default=7)
    #: Percent added to the last amount (20 = +20 %).
    increase = rate_field(default=20)
    updated_by = models.CharField(max_length=120)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return (
            f"renewal of product {self.product_id}: {self.max_days_late} days, +{self.increase} %"
        )
