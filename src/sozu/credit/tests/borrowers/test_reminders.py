"""Reminders: rules fill the outbox once per cuota, kind and day; delivery and its outcomes."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models_borrowers import ReminderMessage, ReminderOptOut
from sozu.credit.notify.base import DeliveryFailed, DeliveryRetry, Notifier, OutgoingMessage
from sozu.credit.notify.console import ConsoleNotifier
from sozu.credit.services.reminders import (
    LEASE,
    MAX_ATTEMPTS,
    parse_days,
    reminder_opt_in,
    reminder_opt_out,
    reminder_policy_set,
    reminder_reply_handle,
    reminders_deliver,
    reminders_enqueue,
    reminders_run,
)
from sozu.credit.tests.borrowers.helpers import active_loan, at, cuotas, pay
from sozu.credit.tests.factories import LoanProductFactory

pytestmark = pytest.mark.django_db
R = ReminderMessage


class Recording(Notifier):
    """A backend of the test itself: records what it is asked to send, answers as told."""

    name = "recording"

    def __init__(self, outcome: Exception | None = None) -> None:
        self.sent: list[OutgoingMessage] = []
        self.outcome = outcome

    def send(self, message: OutgoingMessage) -> str:
        self.sent.append(message)
        if self.outcome is not None:
            raise self.outcome
        return f"id-{message.id}"


def test_days_are_parsed_and_bad_ones_refused() -> None:
    assert parse_days("3, 0") == (3, 0)
    assert parse_days("0,3,3") == (3, 0)
    assert parse_days("") == ()
    for bad in ("-1", "tres", "91", "1.5"):
        with pytest.raises(SozuError) as err:
            parse_days(bad)
        assert err.value.code == "reminder_days_invalid"


def test_default_rules_three_days_before_on_the_day_and_late() -> None:
    loan = active_loan()
    first = cuotas(loan)[0]
    due = first.due_date
    sent_days = []
    for offset in range(-5, 20):
        day = due + dt.timedelta(days=offset)
        if reminders_enqueue(now=at(day)).created:
            sent_days.append(offset)
    assert sent_days == [-3, 0, 1, 7, 15]
    kinds = list(R.objects.filter(cuota=first).order_by("day").values_list("kind", "offset_days"))
    assert kinds == [
        ("before_due", 3),
        ("before_due", 0),
        ("overdue", 1),
        ("overdue", 7),
        ("overdue", 15),
    ]


def test_a_second_pass_the_same_day_writes_nothing() -> None:
    loan = active_loan()
    day = cuotas(loan)[0].due_date - dt.timedelta(days=3)
    assert reminders_enqueue(now=at(day, 8)).created == 1
    again = reminders_enqueue(now=at(day, 20))
    assert (again.created, again.already) == (0, 1)
    assert R.objects.count() == 1


def test_the_spanish_text_has_name_amount_date_and_reference() -> None:
    beneficiary = BeneficiaryFactory.create(full_name="María Pérez")
    product = LoanProductFactory.create(organization=beneficiary.organization)
    loan = active_loan(beneficiary=beneficiary, product=product)
    first = cuotas(loan)[0]
    reminders_enqueue(now=at(first.due_date - dt.timedelta(days=3)))
    message = R.objects.get()
    amount = f"{first.total:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert message.body == (
        f"Hola María, la cuota 1 de tu préstamo vence en 3 días, el "
        f"{first.due_date:%d/%m/%Y}: {amount} USDC. Referencia de pago: {loan.payment_reference}. "
        "Respondé BAJA para dejar de recibir estos avisos."
    )
    assert message.to == "+5491112345678"
    reminders_enqueue(now=at(first.due_date + dt.timedelta(days=7)))
    late = R.objects.get(kind="overdue")
    assert "venció el " + first.due_date.strftime("%d/%m/%Y") in late.body
    assert "7 días de atraso" in late.body and "Si ya pagaste" in late.body


def test_paid_cuotas_get_no_reminder_and_late_ones_show_what_is_owed() -> None:
    loan = active_loan()
    first, second = cuotas(loan)
    pay(loan, first.total, first.due_date - dt.timedelta(days=5))
    # Paid early: kept as credit, it covers cuota 1 on its due date: no reminder for it.
    assert reminders_enqueue(now=at(first.due_date - dt.timedelta(days=3))).created == 0
    assert reminders_enqueue(now=at(first.due_date)).created == 0
    created = reminders_enqueue(now=at(second.due_date + dt.timedelta(days=1))).created
    assert created == 1
    message = R.objects.get()
    assert message.cuota == second and message.kind == "overdue"


def test_policies_per_organization_and_per_product() -> None:
    loan = active_loan()
    product = loan.product
    organization = product.organization
    reminder_policy_set(
        organization=organization, before_days="5", overdue_days="2", actor="user:1"
    )
    due = cuotas(loan)[0].due_date
    assert reminders_enqueue(now=at(due - dt.timedelta(days=3))).created == 0
    assert reminders_enqueue(now=at(due - dt.timedelta(days=5))).created == 1
    reminder_policy_set(
        organization=organization,
        product=product,
        before_days="1",
        overdue_days="",
        actor="user:1",
    )
    assert reminders_enqueue(now=at(due - dt.timedelta(days=1))).created == 1
    assert reminders_enqueue(now=at(due + dt.timedelta(days=2))).created == 0
    reminder_policy_set(
        organization=organization,
        product=product,
        before_days="0",
        overdue_days="",
        enabled=False,
        actor="user:1",
    )
    assert reminders_enqueue(now=at(due)).created == 0
    assert AuditEvent.objects.filter(action="reminders.policy_set").count() == 3
    with pytest.raises(SozuError):
        reminder_policy_set(
            organization=organization, before_days="x", overdue_days="", actor="user:1"
        )


def test_opted_out_borrowers_get_nothing_and_queued_messages_are_skipped() -> None:
    loan = active_loan()
    due = cuotas(loan)[0].due_date
    reminders_enqueue(now=at(due - dt.timedelta(days=3)))
    reminder_opt_out(beneficiary=loan.beneficiary, actor="user:1", reason="pidió la baja")
    backend = Recording()
    report = reminders_deliver(now=at(due - dt.timedelta(days=3)), notifier=backend)
    assert (report.sent, report.skipped) == (0, 1)
    assert backend.sent == [] and R.objects.get().status == "skipped"
    report2 = reminders_enqueue(now=at(due))
    assert (report2.created, report2.opted_out) == (0, 1)
    reminder_opt_in(beneficiary=loan.beneficiary, actor="user:1")
    # Back in: the same day's pass now writes her reminder.
    assert reminders_enqueue(now=at(due)).created == 1


def test_a_baja_reply_opts_out_that_number() -> None:
    loan = active_loan()
    organization = loan.organization
    assert (
        reminder_reply_handle(organization=organization, phone="+5491112345678", text="hola") == 0
    )
    n = reminder_reply_handle(
        organization=organization, phone="whatsapp:+5491112345678", text=" baja "
    )
    assert n == 1
    assert ReminderOptOut.objects.filter(beneficiary=loan.beneficiary).exists()


def test_delivery_outcomes_sent_failed_and_retry_with_backoff() -> None:
    loan = active_loan()
    due = cuotas(loan)[0].due_date
    now = at(due - dt.timedelta(days=3))
    reminders_enqueue(now=now)
    message = R.objects.get()

    retry = reminders_deliver(now=now, notifier=Recording(DeliveryRetry("HTTP 503")))
    assert retry.retry == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("queued", 1, "HTTP 503")
    assert message.next_attempt_at == now + dt.timedelta(minutes=5)
    # Not due again before its retry time.
    assert reminders_deliver(now=now + dt.timedelta(minutes=4), notifier=Recording()).ids == []

    later = now + dt.timedelta(minutes=5)
    ok = Recording()
    assert reminders_deliver(now=later, notifier=ok).sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == (
        "sent",
        2,
        f"id-{message.pk}",
    )
    assert message.sent_at == later and message.backend == "recording"
    assert [m.body for m in ok.sent] == [message.body]
    # Sent is final: a new pass sends nothing.
    assert reminders_deliver(now=later + dt.timedelta(days=1), notifier=Recording()).ids == []


def test_a_terminal_failure_is_not_retried_and_transient_ones_give_up() -> None:
    first_loan = active_loan()
    due = cuotas(first_loan)[0].due_date
    now = at(due - dt.timedelta(days=3))
    reminders_enqueue(now=now)
    reminders_deliver(now=now, notifier=Recording(DeliveryFailed("HTTP 400 21211: bad To")))
    message = R.objects.get()
    assert (message.status, message.last_error) == ("failed", "HTTP 400 21211: bad To")
    assert reminders_deliver(now=now + dt.timedelta(days=1), notifier=Recording()).ids == []

    R.objects.filter(pk=message.pk).update(status="queued", attempts=0, next_attempt_at=now)
    moment = now
    for _ in range(MAX_ATTEMPTS):
        reminders_deliver(now=moment, notifier=Recording(DeliveryRetry("timeout")))
        moment += dt.timedelta(days=1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", MAX_ATTEMPTS)


def test_an_abandoned_claim_is_taken_over_after_the_lease() -> None:
    loan = active_loan()
    now = at(cuotas(loan)[0].due_date)
    reminders_enqueue(now=now)
    # A worker claimed it and died before recording the outcome.
    R.objects.update(status="sending", claimed_at=now, attempts=1)
    assert reminders_deliver(now=now + LEASE / 2, notifier=Recording()).ids == []
    assert reminders_deliver(now=now + LEASE * 2, notifier=Recording()).sent == 1
    assert R.objects.get().attempts == 2


def test_console_backend_logs_and_run_does_both_steps(caplog) -> None:
    loan = active_loan()
    due = cuotas(loan)[0].due_date
    with caplog.at_level(logging.INFO, logger="sozu.credit.reminders"):
        enqueued, delivered = reminders_run(now=at(due), notifier=ConsoleNotifier())
    assert (enqueued.created, delivered.sent) == (1, 1)
    assert "vence hoy" in caplog.text
    assert R.objects.get().status == "sent"


def test_loans_are_read_in_chunks(monkeypatch) -> None:
    from sozu.credit.services import reminders

    monkeypatch.setattr(reminders, "CHUNK", 2)
    loans = [active_loan() for _ in range(5)]
    due = cuotas(loans[0])[0].due_date
    assert reminders_enqueue(now=at(due)).created == 5
    assert set(R.objects.values_list("loan_id", flat=True)) == {loan.pk for loan in loans}
