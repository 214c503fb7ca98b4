"""The Twilio backend against a fake Messages API on 127.0.0.1 (a real HTTP server)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.models_borrowers import ReminderMessage
from sozu.credit.notify.base import (
    DeliveryFailed,
    DeliveryRetry,
    Notifier,
    OutgoingMessage,
    get_notifier,
)
from sozu.credit.notify.console import ConsoleNotifier
from sozu.credit.notify.twilio import TwilioNotifier
from sozu.credit.services.reminders import reminders_run
from sozu.credit.tests.borrowers.helpers import active_loan, at, cuotas

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "secreto-de-prueba"


@dataclass
class FakeTwilio:
    """Answers each POST with the next (status, body) of `answers`, then 201 forever."""

    answers: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    delay: float = 0.0
    requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fake.requests.append((self.path, dict(self.headers), parse_qs(raw.decode())))
                if fake.delay:
                    time.sleep(fake.delay)
                status, body = (
                    fake.answers.pop(0)
                    if fake.answers
                    else (201, {"sid": f"SM{len(fake.requests):032d}", "status": "queued"})
                )
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up first (the timeout test)
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    server = FakeTwilio().start()
    yield server
    server.stop()


def twilio(fake: FakeTwilio, **extra: object) -> TwilioNotifier:
    values = {
        "SOZU_TWILIO_ACCOUNT_SID": SID,
        "SOZU_TWILIO_AUTH_TOKEN": TOKEN,
        "SOZU_TWILIO_FROM": "+15005550006",
        "SOZU_TWILIO_BASE_URL": fake.url,
        "SOZU_TWILIO_TIMEOUT": "0.5",
        **extra,
    }
    with override_settings(**values):
        return TwilioNotifier()


MESSAGE = OutgoingMessage(id=7, to="+5491112345678", body="Hola María, la cuota 1 vence hoy.")


def test_a_message_is_posted_as_twilio_expects(fake) -> None:
    provider_id = twilio(fake).send(MESSAGE)
    assert provider_id == "SM" + "1".zfill(32)
    ((path, headers, form),) = fake.requests
    assert path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert form == {
        "To": ["+5491112345678"],
        "From": ["+15005550006"],
        "Body": ["Hola María, la cuota 1 vence hoy."],
    }
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert headers["Authorization"] == f"Basic {expected}"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["I-Twilio-Idempotency-Token"] == "sozu-reminder-7"


def test_whatsapp_prefixes_both_numbers(fake) -> None:
    twilio(fake, SOZU_TWILIO_CHANNEL="whatsapp").send(MESSAGE)
    form = fake.requests[0][2]
    assert form["To"] == ["whatsapp:+5491112345678"]
    assert form["From"] == ["whatsapp:+15005550006"]


def test_a_4xx_is_a_terminal_failure_with_twilio_s_reason(fake) -> None:
    fake.answers.append((400, {"code": 21211, "message": "The 'To' number is not valid."}))
    with pytest.raises(DeliveryFailed) as err:
        twilio(fake).send(MESSAGE)
    assert str(err.value) == "HTTP 400 21211: The 'To' number is not valid."
    fake.answers.append((401, {"code": 20003, "message": "Authenticate"}))
    with pytest.raises(DeliveryFailed):
        twilio(fake).send(MESSAGE)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_5xx_and_429_are_retried(fake, status) -> None:
    fake.answers.append((status, {"message": "busy"}))
    with pytest.raises(DeliveryRetry) as err:
        twilio(fake).send(MESSAGE)
    assert str(err.value).startswith(f"HTTP {status}")


def test_a_timeout_and_a_refused_connection_are_retried(fake) -> None:
    fake.delay = 2.0
    with pytest.raises(DeliveryRetry, match="timeout"):
        twilio(fake).send(MESSAGE)
    backend = twilio(fake)
    fake.stop()
    with pytest.raises(DeliveryRetry, match="connection error"):
        backend.send(MESSAGE)


def test_missing_credentials_are_refused_at_start() -> None:
    with override_settings(
        SOZU_TWILIO_ACCOUNT_SID="", SOZU_TWILIO_AUTH_TOKEN="", SOZU_TWILIO_FROM=""
    ):
        with pytest.raises(ImproperlyConfigured):
            TwilioNotifier()


def test_the_backend_is_chosen_by_setting() -> None:
    assert isinstance(get_notifier(), ConsoleNotifier)
    with override_settings(SOZU_NOTIFIER="sozu.credit.notify.base.OutgoingMessage"):
        with pytest.raises(ImproperlyConfigured, match="not a Notifier"):
            get_notifier()
    with override_settings(SOZU_NOTIFIER="sozu.credit.notify.nada.Nada"):
        with pytest.raises(ImproperlyConfigured, match="cannot import"):
            get_notifier()
    assert issubclass(TwilioNotifier, Notifier)


@pytest.mark.django_db
def test_the_outbox_through_twilio_sent_failed_and_retried(fake) -> None:
    ok, bad, busy = (active_loan() for _ in range(3))
    Beneficiary.objects.filter(pk=bad.beneficiary_id).update(phone="+54 9 no")
    due = cuotas(ok)[0].due_date
    backend = twilio(fake)
    # The outbox is sent in id order: ok, bad (400), busy (503).
    fake.answers += [
        (201, {"sid": "SM-ok"}),
        (400, {"code": 21211, "message": "invalid To"}),
        (503, {"message": "down"}),
    ]
    now = at(due)
    enqueued, delivered = reminders_run(now=now, notifier=backend)
    assert (enqueued.created, delivered.sent, delivered.failed, delivered.retry) == (3, 1, 1, 1)
    rows = {m.loan_id: m for m in ReminderMessage.objects.all()}
    assert (rows[ok.pk].status, rows[ok.pk].provider_id) == ("sent", "SM-ok")
    assert (rows[bad.pk].status, rows[bad.pk].last_error) == (
        "failed",
        "HTTP 400 21211: invalid To",
    )
    assert (rows[busy.pk].status, rows[busy.pk].attempts) == ("queued", 1)
    assert [r[2]["To"] for r in fake.requests] == [
        ["+5491112345678"],
        ["+54 9 no"],
        ["+5491112345678"],
    ]
    # The retry goes out on a later pass; nothing else is sent twice.
    _e, again = reminders_run(now=now + dt.timedelta(minutes=6), notifier=backend)
    assert (again.sent, again.ids) == (1, [rows[busy.pk].pk])
    assert len(fake.requests) == 4
