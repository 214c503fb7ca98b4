"""Inicio: money figures from the database, balances from the local network, alerts, chart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stellar_sdk import Keypair

from sozu.audit.services import Entry, audit_record
from sozu.disbursements.models import Batch, ChannelAccount, Payout
from sozu.web.selectors import home_summary
from sozu.web.tests.helpers import org, staff

pytestmark = pytest.mark.django_db
BA = ZoneInfo("America/Argentina/Buenos_Aires")
NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=BA)  # a Friday; the week began Monday 30/11


def _payout(
    o: Any, amount: str, status: str, paid_at: dt.datetime | None = None, **kw: Any
) -> Payout:
    return Payout.objects.create(
        organization=o,
        destination=Keypair.random().public_key,
        amount=Decimal(amount),
        status=status,
        paid_at=paid_at,
        created_by="test",
        **kw,
    )


def test_home_summary_adds_up_the_week_the_month_failures_alerts_and_the_chart(
    make_org: Any, localnet: Any
) -> None:
    o = make_org(usdc="5000")
    low = Keypair.random().public_key
    localnet.fund(low, xlm="1")
    ChannelAccount.objects.create(organization=o, public_key=low, next_sequence=1)
    with time_machine.travel(NOW, tick=False):
        _payout(o, "10", "paid", dt.datetime(2026, 12, 3, 9, 0, tzinfo=BA))  # week, month
        _payout(o, "20", "paid", dt.datetime(2026, 11, 30, 2, 0, tzinfo=BA))  # week only
        _payout(o, "5", "paid", dt.datetime(2026, 12, 1, 0, 30, tzinfo=BA))  # week, month
        _payout(o, "7", "paid", dt.datetime(2026, 11, 20, 15, 0, tzinfo=BA))  # neither
        _payout(o, "4", "failed", failure_code="destination_missing")
        _payout(o, "3", "queued")  # in flight: counts as spent
        batch = Batch.objects.create(
            organization=o,
            status="paused",
            pause_code="org_underfunded",
            line_count=4,
            total_amount=Decimal("40"),
            created_by="test",
            name="Noviembre",
        )
        for status in ("paid", "paid", "failed", "queued"):
            _payout(o, "10", status, NOW if status == "paid" else None, batch=batch)
        summary = home_summary(o, now=NOW)
    assert summary.network_error == ""
    assert summary.wallet is not None and summary.wallet.usdc == Decimal("5000")
    assert summary.paid_week == Decimal("55")  # 10 + 20 + 5 + the batch's 2 x 10
    assert summary.paid_month == Decimal("35")  # 10 + 5 + 20 (batch, today)
    assert summary.in_flight == Decimal("13")
    assert summary.failure_rate == Decimal(2) / Decimal(8)
    [running] = summary.running
    assert (running.paid, running.failed, running.lines, running.done_percent) == (2, 1, 4, 75)
    [(paused, reason)] = summary.paused
    assert paused == batch
    assert reason == (
        "La billetera de la organización no tiene USDC suficientes para las líneas que "
        "faltan: fondeala y reanudá el lote."
    )
    assert [c.public_key for c in summary.low_channels] == [low]
    chart = summary.chart
    assert len(chart["labels"]) == 90 and chart["labels"][-1] == "04/12"
    by_day = dict(zip(chart["labels"], chart["values"], strict=True))
    assert by_day["03/12"] == "10.00" and by_day["20/11"] == "7.00" and by_day["04/12"] == "20.00"
    assert by_day["30/11"] == "20.00" and by_day["02/12"] == "0.00"


def test_home_page_shows_the_figures_in_spanish_and_the_alerts(make_org: Any) -> None:
    o = make_org(usdc="1234.5")
    Batch.objects.create(
        organization=o,
        status="paused",
        pause_code="org_underfunded",
        line_count=1,
        total_amount=Decimal("1"),
        created_by="test",
    )
    m = staff(o, "viewer")
    client = Client()
    client.force_login(m.user)
    body = client.get(reverse("web:home")).content.decode()
    assert "1.234,50 USDC" in body
    assert "está en pausa" in body
    assert 'data-chart="chart-paid"' in body and 'id="chart-paid"' in body


def test_audit_list_runs_the_same_number_of_queries_for_5_or_60_events() -> None:
    o = org()
    m = staff(o, "viewer")
    client = Client()
    client.force_login(m.user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit:events")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(4):
        audit_record(organization_id=o.pk, entry=Entry("test", "thing.done", "thing", i))
    few = queries()
    for i in range(55):
        audit_record(organization_id=o.pk, entry=Entry("test", "thing.done", "thing", i))
    assert queries() == few


def _scheduled(o: Any, total: str, when: dt.datetime, name: str, **kw: Any) -> Batch:
    return Batch.objects.create(
        organization=o,
        status=kw.pop("status", "validated"),
        line_count=1,
        total_amount=Decimal(total),
        created_by="test",
        name=name,
        submitted_at=kw.pop("submitted_at", NOW),
        scheduled_for=when,
        **kw,
    )


def test_the_first_scheduled_batch_the_wallet_cannot_cover_counting_in_flight_and_earlier_ones(
    make_org: Any,
) -> None:
    o = make_org(usdc="100", channels=0)
    _payout(o, "30", "queued")  # in flight: 30 of the 100 are already promised
    day = dt.timedelta(days=1)
    _scheduled(o, "50", NOW + day, "Primero")  # 30 + 50 = 80: covered
    short = _scheduled(o, "40", NOW + 2 * day, "Segundo")  # 120: 20 short
    _scheduled(o, "5", NOW + 3 * day, "Tercero")  # later, also short
    # Not counted: executed, not yet submitted, without a date.
    _scheduled(o, "999", NOW, "Ya ejecutado", status="completed")
    _scheduled(o, "999", NOW, "Borrador", submitted_at=None)
    Batch.objects.create(
        organization=o, total_amount=Decimal("999"), created_by="t", submitted_at=NOW
    )
    summary = home_summary(o, now=NOW)
    s = summary.shortfall
    assert s is not None
    assert (s.batch, s.needed, s.usdc, s.shortfall, s.later) == (
        short,
        Decimal("120"),
        Decimal("100"),
        Decimal("20"),
        1,
    )
    client = Client()
    client.force_login(staff(o, "viewer").user)
    body = client.get(reverse("web:home")).content.decode()
    alert = body.split('id="alert-shortfall">', 1)[1].split("</p>", 1)[0]
    assert f'href="{reverse("batches:detail", args=[short.pk])}"' in alert
    assert f"lote #{short.pk} Segundo</a>" in alert
    assert "06/12/2026" in alert  # its date, in the organization's time zone
    assert "120,00 USDC" in alert and "100,00 USDC" in alert and "faltan 20,00 USDC" in alert
    assert "1 lote más" in alert
    assert f'<a href="{reverse("orgs:wallet")}">Fondeá esta dirección</a>' in alert


def test_no_shortfall_alert_when_the_wallet_covers_every_scheduled_batch(make_org: Any) -> None:
    o = make_org(usdc="100", channels=0)
    _scheduled(o, "60", NOW + dt.timedelta(days=1), "Uno")
    _scheduled(o, "40", NOW + dt.timedelta(days=2), "Dos")  # exactly 100
    assert home_summary(o, now=NOW).shortfall is None
    client = Client()
    client.force_login(staff(o, "viewer").user)
    assert "alert-shortfall" not in client.get(reverse("web:home")).content.decode()


def test_paused_and_low_channel_alerts_link_to_the_batch_and_the_wallet(
    make_org: Any, localnet: Any
) -> None:
    o = make_org(usdc="100", channels=0)
    low = Keypair.random().public_key
    localnet.fund(low, xlm="1")
    ChannelAccount.objects.create(organization=o, public_key=low, next_sequence=1)
    paused = Batch.objects.create(
        organization=o, status="paused", pause_code="paused_by_user", created_by="t"
    )
    client = Client()
    client.force_login(staff(o, "viewer").user)
    body = client.get(reverse("web:home")).content.decode()
    assert "Alguien del equipo lo pausó." in body
    assert f'<a href="{reverse("batches:detail", args=[paused.pk])}">Abrir el lote</a>' in body
    assert "1 cuenta de canal tiene pocos XLM" in body
    assert f'<a href="{reverse("orgs:wallet")}">Billetera de la organización</a>' in body
