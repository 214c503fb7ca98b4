"""The portfolio's derived state and the arrears follow-up log (issue 12, mora and indicators).

`LoanState` is a cache, never the truth: one row per disbursed loan with what the allocation
(allocation.allocate over the append-only repayments) says as of a date. The repayment services
refresh it in the same transaction as every change, and `sozu credit refresh` recomputes, once
a day, the rows whose figures depend on the date (late interest, cuotas falling due). It can be
rebuilt from scratch at any time (`sozu credit refresh --all`); tests prove that every stored
row equals a recomputation. Indicators and the arrears report read it with a handful of SQL
aggregates instead of replaying 2 million repayments.

`LoanFollowUp` is the log of what staff did about a late loan: calls, visits, messages and
promises to pay (with a date and an amount).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sozu.fields import MoneyField

#: Aging buckets (days past due, inclusive); the last one is open-ended.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


class LoanState(models.Model):
    """A disbursed loan's position as of `as_of`, recomputed from its repayments."""

    loan = models.OneToOneField(
        "credit.Loan", primary_key=True, on_delete=models.CASCADE, related_name="state"
    )
    #: Copied from the loan so that every portfolio query filters on this table alone.
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # Copied from the loan (kept by the same services) so that no query needs a join.
    status = models.CharField(max_length=20)
    product = models.ForeignKey("credit.LoanProduct", on_delete=models.CASCADE, related_name="+")
    #: The loan officer: whoever prepared the loan (Loan.prepared_by).
    officer = models.CharField(max_length=120)
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField()
    #: Capital not yet paid (every cuota, due or not).
    outstanding_capital = MoneyField()
    #: Everything still owed: capital, interest, IVA, fees and late interest accrued to as_of.
    outstanding = MoneyField()
    #: What is owed of the cuotas due before as_of (late interest included).
    overdue = MoneyField()
    #: Late interest and its IVA accrued and not paid, as of as_of.
    late_interest = MoneyField()
    #: Her credit (saldo a favor) not yet applied.
    credit = MoneyField()
    #: The due date of the oldest cuota not fully paid (None once every cuota is paid).
    oldest_unpaid_due = models.DateField(null=True, blank=True)
    #: Days since the oldest unpaid cuota fell due, as of as_of (0 if none is late).
    days_past_due = models.PositiveIntegerField(default=0)
    paid_off = models.BooleanField(default=False)
    #: Sum of the payments that count (not reversed) and the last day one was received.
    paid_total = MoneyField()
    last_repayment_on = models.DateField(null=True, blank=True)
    #: The first day on which the figures change without a new repayment (a cuota falls due,
    #: late interest accrues); the daily refresh recomputes rows whose day has come.
    next_change_on = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "status", "oldest_unpaid_due"], name="loanstate_aging"
            ),
            models.Index(fields=["next_change_on"], name="loanstate_next_change"),
        ]

    def __str__(self) -> str:
        return f"state of loan {self.loan_id} as of {self.as_of}"


class PortfolioFlow(models.Model):
    """What moved on one day, per product and loan officer: disbursed, cuotas due, collected.

    Derived like LoanState: the services add each event as it happens (a loan paid out adds
    its amount and every cuota's total on its due date; a payment adds to its day; a reversal
    takes the payment back from the payment's day) and `portfolio_flows_rebuild` recomputes
    the whole table from loans, cuotas and repayments. The indicators of any period add up a
    few thousand of these rows instead of millions of cuotas and repayments.
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    product = models.ForeignKey("credit.LoanProduct", on_delete=models.CASCADE, related_name="+")
    officer = models.CharField(max_length=120)
    disbursed = MoneyField(default=0)
    disbursed_count = models.IntegerField(default=0)
    due = MoneyField(default=0)
    collected = MoneyField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "product", "officer"], name="one_flow_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"flows of {self.day} ({self.product_id}, {self.officer})"


class LoanFollowUp(models.Model):
    """One thing staff did about a late loan (append-only)."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        VISIT = "visit", _("Visit")
        MESSAGE = "message", _("Message")
        PROMISE = "promise", _("Promise to pay")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+"
    )
    loan = models.ForeignKey("credit.Loan", on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = models.TextField(blank=True)
    promised_on = models.DateField(null=True, blank=True)
    promised_amount = MoneyField(null=True, blank=True)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["loan", "-created_at"], name="followup_loan_recent")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="promise")
                | (Q(promised_on__isnull=False) & Q(promised_amount__gt=0)),
                name="promise_has_date_and_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on loan {self.loan_id}"
