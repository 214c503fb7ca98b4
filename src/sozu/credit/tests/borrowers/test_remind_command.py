"""`sozu credit remind`: one pass with an injected clock; concurrent passes send each once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from sozu.credit.models_borrowers import ReminderMessage
from sozu.credit.notify.base import Notifier, OutgoingMessage
from sozu.credit.services.reminders import reminders_deliver
from sozu.credit.tests.borrowers.helpers import active_loan, at, cuotas


def run(*args: str) -> str:
    out = StringIO()
    call_command("credit", "remind", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_one_pass_with_an_injected_clock() -> None:
    loan = active_loan()
    due = cuotas(loan)[0].due_date
    out = run("--now", (due - dt.timedelta(days=3)).isoformat())
    assert "1 aviso(s) nuevos, 0 ya estaban" in out
    assert "1 enviado(s), 0 a reintentar, 0 fallido(s)" in out
    assert ReminderMessage.objects.get().status == "sent"
    again = run("--now", f"{(due - dt.timedelta(days=3)).isoformat()}T18:00")
    assert "0 aviso(s) nuevos, 1 ya estaban" in again and "0 enviado(s)" in again
    queued = run("--now", due.isoformat(), "--enqueue-only")
    assert "enviado" not in queued
    assert ReminderMessage.objects.filter(status="queued").count() == 1
    delivered = run(
        "--now", due.isoformat(), "--deliver-only", "--organization", loan.organization.slug
    )
    assert "aviso(s)" not in delivered and "1 enviado(s)" in delivered


class Slow(Notifier):
    """Takes a while per message and counts what it sent, by outbox id."""

    name = "slow"

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> str:
        time.sleep(0.02)
        with self.lock:
            self.sent.append(message.id)
        return str(message.id)


@pytest.mark.django_db(transaction=True)
def test_concurrent_passes_send_every_message_exactly_once() -> None:
    loans = [active_loan() for _ in range(12)]
    now = at(cuotas(loans[0])[0].due_date)
    run("--now", now.isoformat(), "--enqueue-only")
    assert ReminderMessage.objects.filter(status="queued").count() == 12
    backend = Slow()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            reminders_deliver(now=now, notifier=backend)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(backend.sent) == sorted(ReminderMessage.objects.values_list("pk", flat=True))
    assert set(ReminderMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.django_db
def test_a_bad_moment_or_organization_is_a_clear_refusal() -> None:
    for args in (("--now", "mañana"), ("--organization", "nadie")):
        err = StringIO()
        with pytest.raises(SystemExit) as exit_:
            call_command("credit", "remind", *args, stdout=StringIO(), stderr=err)
        assert exit_.value.code == 1
        assert err.getvalue().strip()
    assert ReminderMessage.objects.count() == 0
