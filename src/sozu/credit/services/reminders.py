"""Reminders to borrowers: rules that fill an outbox, and a delivery pass that empties it.

1. `reminders_enqueue(now=…)` looks at every active loan's position on that day (the
   organization's time zone) and writes one outbox row per cuota that a rule matches: N days
   before its due date (0 = on the day; default 3 and 0) while it is not paid, and N days late
   (default 1, 7 and 15). A product's ReminderPolicy wins over its organization's. A unique
   constraint (loan, cuota, kind, day) makes a second pass the same day write nothing.
   Beneficiaries who opted out get no row.
2. `reminders_deliver(now=…)` claims due rows one at a time (a row lock with SKIP LOCKED, then
   a conditional update queued → sending), calls the notifier OUTSIDE any transaction and
   records the outcome on the row it still holds: sent; failed (terminal answer, no phone, or
   too many attempts); or queued again with a back-off. A claim older than LEASE is taken over
   (a worker killed mid-send). Several passes may run at once; each row is sent by one.
The clock is always injected (`now`): nothing here reads today's date by itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models import Cuota, Currency, Loan, LoanProduct
from sozu.credit.models_borrowers import (
    DEFAULT_BEFORE_DAYS,
    DEFAULT_OVERDUE_DAYS,
    ReminderMessage,
    ReminderOptOut,
    ReminderPolicy,
)
from sozu.credit.notify.base import (
    DeliveryFailed,
    DeliveryRetry,
    Notifier,
    OutgoingMessage,
    get_notifier,
)
from sozu.credit.payment_request import loan_payment_memo
from sozu.credit.selectors_borrowers import positions_for
from sozu.formatting import format_ars, format_usdc
from sozu.orgs.models import Organization

R = ReminderMessage
MAX_DAYS = 90
#: Attempts before a message that keeps failing transiently is given up (failed).
MAX_ATTEMPTS = 6
#: Wait after the n-th failed attempt (then the last value).
BACKOFF = (
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=4),
    dt.timedelta(hours=12),
)
#: A sending claim older than this is considered abandoned (its worker died).
LEASE = dt.timedelta(minutes=10)
#: Loans read (with their cuotas and repayments) at a time when writing reminders.
CHUNK = 1000
#: Words a borrower can answer to stop reminders.
STOP_WORDS = frozenset({"BAJA", "STOP", "NO"})


# --- rules ------------------------------------------------------------------------------------


def parse_days(text: str) -> tuple[int, ...]:
    """ "3, 0" → (3, 0). Refuses anything but whole numbers 0..90 (empty = no reminders)."""
    days: list[int] = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > MAX_DAYS:
            raise SozuError("reminder_days_invalid", value=text)
        if int(part) not in days:
            days.append(int(part))
    return tuple(sorted(days, reverse=True))


@dataclass(frozen=True)
class Rules:
    before: tuple[int, ...]
    overdue: tuple[int, ...]
    enabled: bool = True


DEFAULT_RULES = Rules(parse_days(DEFAULT_BEFORE_DAYS), parse_days(DEFAULT_OVERDUE_DAYS))


def _rules(policy: ReminderPolicy | None) -> Rules | None:
    if policy is None:
        return None
    return Rules(parse_days(policy.before_days), parse_days(policy.overdue_days), policy.enabled)


def rules_by_product(organization_ids: set[int]) -> tuple[dict[int, Rules], dict[int, Rules]]:
    """(organization id → rules, product id → rules) of the policies that exist."""
    by_org: dict[int, Rules] = {}
    by_product: dict[int, Rules] = {}
    for policy in ReminderPolicy.objects.filter(organization_id__in=organization_ids):
        rules = _rules(policy)
        assert rules is not None
        if policy.product_id is None:
            by_org[policy.organization_id] = rules
        else:
            by_product[policy.product_id] = rules
    return by_org, by_product


def reminder_policy_set(
    *,
    organization: Organization,
    actor: str,
    before_days: str,
    overdue_days: str,
    enabled: bool = True,
    product: LoanProduct | None = None,
) -> ReminderPolicy:
    """Set when reminders go out for the organization, or for one of its products."""
    if product is not None and product.organization_id != organization.pk:
        raise SozuError("not_found")
    before = ",".join(str(d) for d in parse_days(before_days))
    overdue = ",".join(str(d) for d in parse_days(overdue_days))
    with transaction.atomic():
        policy, _created = ReminderPolicy.objects.select_for_update().get_or_create(
            organization=organization,
            product=product,
            defaults={"updated_by": actor},
        )
        policy.before_days, policy.overdue_days = before, overdue
        policy.enabled, policy.updated_by = enabled, actor
        policy.save()
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "reminders.policy_set",
                "reminder_policy",
                policy.pk,
                {
                    "product": product.pk if product else None,
                    "before_days": before,
                    "overdue_days": overdue,
                    "enabled": enabled,
                },
            ),
        )
    return policy


# --- opt-out ----------------------------------------------------------------------------------


def reminder_opt_out(*, beneficiary: Beneficiary, actor: str, reason: str = "") -> ReminderOptOut:
    """She receives no more reminders (queued ones are skipped). Idempotent."""
    with transaction.atomic():
        opt_out, created = ReminderOptOut.objects.get_or_create(
            beneficiary=beneficiary,
            defaults={
                "organization_id": beneficiary.organization_id,
                "reason": reason[:200],
                "created_by": actor,
            },
        )
        if created:
            audit_record(
                organization_id=beneficiary.organization_id,
                entry=Entry(
                    actor, "reminders.opt_out", "beneficiary", beneficiary.pk, {"reason": reason}
                ),
            )
    return opt_out


def reminder_opt_in(*, beneficiary: Beneficiary, actor: str) -> None:
    with transaction.atomic():
        deleted, _rows = ReminderOptOut.objects.filter(beneficiary=beneficiary).delete()
        if deleted:
            audit_record(
                organization_id=beneficiary.organization_id,
                entry=Entry(actor, "reminders.opt_in", "beneficiary", beneficiary.pk),
            )


def reminder_reply_handle(*, organization: Organization, phone: str, text: str) -> int:
    """An answer from a phone: BAJA (or STOP) opts out every beneficiary with that number.

    Returns how many were opted out (0 for any other text or an unknown number).
    """
    if text.strip().upper().strip(".! ") not in STOP_WORDS or not phone.strip():
        return 0
    number = phone.strip().removeprefix("whatsapp:")
    count = 0
    for beneficiary in Beneficiary.objects.filter(organization=organization, phone=number):
        reminder_opt_out(beneficiary=beneficiary, actor=f"sms:{number}", reason=text.strip())
        count += 1
    return count


# --- the texts --------------------------------------------------------------------------------


def _amount(value: Decimal, currency: str) -> str:
    return (
        format_ars(value, language="es")
        if currency == Currency.ARS
        else format_usdc(value, language="es")
    )


def reminder_text(
    *, kind: str, name: str, number: int, due: dt.date, offset: int, amount: str, reference: str
) -> str:
    """The Spanish message (argentine date format dd/mm/aaaa)."""
    with translation.override("es"):
        first = name.split()[0] if name.split() else name
        params = {
            "name": first,
            "number": number,
            "date": due.strftime("%d/%m/%Y"),
            "amount": amount,
            "reference": reference,
            "days": offset,
        }
        if kind == R.Kind.BEFORE_DUE and offset == 0:
            text = _(
                "Hi %(name)s, your loan's cuota %(number)s is due today, %(date)s: %(amount)s."
            )
        elif kind == R.Kind.BEFORE_DUE:
            text = ngettext(
                "Hi %(name)s, your loan's cuota %(number)s is due tomorrow, %(date)s: %(amount)s.",
                "Hi %(name)s, your loan's cuota %(number)s is due in %(days)s days, on "
                "%(date)s: %(amount)s.",
                offset,
            )
        else:
            text = ngettext(
                "Hi %(name)s, your loan's cuota %(number)s was due on %(date)s and is "
                "%(days)s day late. You owe %(amount)s.",
                "Hi %(name)s, your loan's cuota %(number)s was due on %(date)s and is "
                "%(days)s days late. You owe %(amount)s.",
                offset,
            )
        parts = [text % params]
        if reference:
            parts.append(_("Payment reference: %(reference)s.") % params)
        if kind == R.Kind.OVERDUE:
            parts.append(_("If you already paid, please ignore this message."))
        parts.append(_("Reply BAJA to stop these reminders."))
        return " ".join(parts)


# --- enqueue ----------------------------------------------------------------------------------


def _payment_reference(loan: Loan) -> str:
    """What she writes as the memo when she pays a USDC loan on chain (SZ-…, the one the
    follower matches; SOZU-<id> would go to the review queue); a loan in pesos is paid at the
    organization, where staff name it by its number (SOZU-<id>)."""
    return loan_payment_memo(loan) if loan.currency == Currency.USDC else loan.reference


@dataclass
class EnqueueReport:
    created: int = 0
    already: int = 0
    opted_out: int = 0


def reminders_enqueue(*, now: dt.datetime, organization_id: int | None = None) -> EnqueueReport:
    """Write the reminders due on `now`'s day (organization's time zone). Idempotent."""
    day = timezone.localdate(now)
    report = EnqueueReport()
    loans_qs = (
        Loan.objects.filter(status=Loan.Status.ACTIVE).select_related("beneficiary").order_by("pk")
    )
    if organization_id is not None:
        loans_qs = loans_qs.filter(organization_id=organization_id)
    last_pk = 0
    while True:  # in chunks of CHUNK loans: memory stays flat with any portfolio
        loans = list(loans_qs.filter(pk__gt=last_pk)[:CHUNK])
        if not loans:
            return report
        _enqueue_chunk(loans, day, now, report)
        last_pk = loans[-1].pk


def _enqueue_chunk(
    loans: list[Loan], day: dt.date, now: dt.datetime, report: EnqueueReport
) -> None:
    by_org, by_product = rules_by_product({loan.organization_id for loan in loans})
    opted_out = set(
        ReminderOptOut.objects.filter(
            beneficiary_id__in={loan.beneficiary_id for loan in loans}
        ).values_list("beneficiary_id", flat=True)
    )
    positions = positions_for(loans, day)
    cuota_ids = dict(
        ((loan_id, number), pk)
        for pk, loan_id, number in Cuota.objects.filter(loan_id__in=positions).values_list(
            "pk", "loan_id", "number"
        )
    )
    for loan in loans:
        position = positions.get(loan.pk)
        if position is None:
            continue
        rules = by_product.get(loan.product_id) or by_org.get(loan.organization_id)
        rules = rules or DEFAULT_RULES
        if not rules.enabled:
            continue
        credit = position.credit
        for state in position.cuotas:
            owed = state.outstanding
            covered = min(credit, owed)
            credit -= covered
            owed -= covered
            if owed <= 0:
                continue
            due = state.due.due_date
            if due >= day and (due - day).days in rules.before:
                kind, offset = R.Kind.BEFORE_DUE, (due - day).days
            elif due < day and (day - due).days in rules.overdue:
                kind, offset = R.Kind.OVERDUE, (day - due).days
            else:
                continue
            if loan.beneficiary_id in opted_out:
                report.opted_out += 1
                continue
            body = reminder_text(
                kind=kind,
                name=loan.beneficiary.full_name,
                number=state.due.number,
                due=due,
                offset=offset,
                amount=_amount(owed, loan.currency),
                reference=_payment_reference(loan),
            )
            try:
                with transaction.atomic():
                    R.objects.create(
                        organization_id=loan.organization_id,
                        loan=loan,
                        cuota_id=cuota_ids[(loan.pk, state.due.number)],
                        beneficiary_id=loan.beneficiary_id,
                        kind=kind,
                        day=day,
                        offset_days=offset,
                        to=loan.beneficiary.phone.strip(),
                        body=body,
                        next_attempt_at=now,
                        created_at=now,
                    )
                report.created += 1
            except IntegrityError:
                report.already += 1  # this pass already ran today (or runs next door)


# --- deliver ----------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retry: int = 0
    skipped: int = 0
    ids: list[int] = field(default_factory=list)


def _claimable(now: dt.datetime) -> Q:
    return Q(status=R.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=R.Status.SENDING, claimed_at__lt=now - LEASE
    )


def _claim_one(now: dt.datetime, organization_id: int | None) -> ReminderMessage | None:
    """Take one due message: locked (others skip it) and marked sending, or None."""
    with transaction.atomic():
        rows = R.objects.select_for_update(skip_locked=True).filter(_claimable(now))
        if organization_id is not None:
            rows = rows.filter(organization_id=organization_id)
        message = rows.order_by("next_attempt_at", "id").first()
        if message is None:
            return None
        # Conditional: on databases without row locks the loser of a race updates nothing.
        won = (
            R.objects.filter(pk=message.pk)
            .filter(_claimable(now))
            .update(status=R.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )
        if not won:
            return None
    message.refresh_from_db()
    return message


def _finish(message: ReminderMessage, **fields: object) -> None:
    """Record the outcome, only if the claim is still ours (not taken over after LEASE)."""
    R.objects.filter(pk=message.pk, status=R.Status.SENDING, claimed_at=message.claimed_at).update(
        claimed_at=None, **fields
    )


def reminder_deliver_one(message: ReminderMessage, *, notifier: Notifier, now: dt.datetime) -> str:
    """Send a claimed message and record the outcome; returns the new status."""
    if ReminderOptOut.objects.filter(beneficiary_id=message.beneficiary_id).exists():
        _finish(message, status=R.Status.SKIPPED, last_error="opted out")
        return R.Status.SKIPPED
    if notifier.needs_address and not message.to:
        _finish(message, status=R.Status.FAILED, backend=notifier.name, last_error="no phone")
        return R.Status.FAILED
    try:
        provider_id = notifier.send(
            OutgoingMessage(id=message.pk, to=message.to, body=message.body)
        )
    except DeliveryFailed as exc:
        _finish(message, status=R.Status.FAILED, backend=notifier.name, last_error=str(exc)[:500])
        return R.Status.FAILED
    except Exception as exc:  # DeliveryRetry, or a backend bug: try again later
        error = str(exc) if isinstance(exc, DeliveryRetry) else f"{type(exc).__name__}: {exc}"
        if message.attempts >= MAX_ATTEMPTS:
            _finish(message, status=R.Status.FAILED, backend=notifier.name, last_error=error[:500])
            return R.Status.FAILED
        wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
        _finish(
            message,
            status=R.Status.QUEUED,
            backend=notifier.name,
            last_error=error[:500],
            next_attempt_at=now + wait,
        )
        return R.Status.QUEUED
    _finish(
        message,
        status=R.Status.SENT,
        backend=notifier.name,
        provider_id=provider_id[:80],
        sent_at=now,
        last_error="",
    )
    return R.Status.SENT


def reminders_deliver(
    *,
    now: dt.datetime,
    notifier: Notifier | None = None,
    limit: int = 500,
    organization_id: int | None = None,
) -> DeliveryReport:
    """Send up to `limit` due messages of the outbox, one claimed row at a time."""
    backend = notifier or get_notifier()
    report = DeliveryReport()
    for _i in range(limit):
        message = _claim_one(now, organization_id)
        if message is None:
            break
        report.ids.append(message.pk)
        outcome = reminder_deliver_one(message, notifier=backend, now=now)
        if outcome == R.Status.SENT:
            report.sent += 1
        elif outcome == R.Status.FAILED:
            report.failed += 1
        elif outcome == R.Status.SKIPPED:
            report.skipped += 1
        else:
            report.retry += 1
    return report


def reminders_run(
    *, now: dt.datetime, notifier: Notifier | None = None, organization_id: int | None = None
) -> tuple[EnqueueReport, DeliveryReport]:
    """One pass: write today's reminders, then deliver the outbox."""
    enqueued = reminders_enqueue(now=now, organization_id=organization_id)
    delivered = reminders_deliver(now=now, notifier=notifier, organization_id=organization_id)
    return enqueued, delivered
