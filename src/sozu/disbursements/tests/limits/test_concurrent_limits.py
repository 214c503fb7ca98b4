"""The daily cap and the funds check hold when requests race, and retry counts toward the cap.

Each thread has its own database connection (Django's are per thread), as parallel web
requests or CLI commands would. On PostgreSQL the organization's row lock serializes them;
on SQLite every transaction begins IMMEDIATE, which serializes writers the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum
from stellar_sdk import Keypair

from sozu.audit.services import Entry, audit_record
from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services import checks
from sozu.disbursements.services.batches import batch_create, batch_execute, batch_retry_failed
from sozu.disbursements.services.payouts import payout_create
from sozu.disbursements.tests.api.test_batch_lifecycle import close_trustline, run_worker
from sozu.errors import SozuError
from sozu.orgs.models import Organization

pytestmark = pytest.mark.django_db(transaction=True)

P = Payout.Status
B = Batch.Status
T = TypeVar("T")
COUNTED = (P.QUEUED, P.IN_FLIGHT, P.PAID)  # what the cap and the funds count as spent


def all_at_once(calls: list[Callable[[], T]]) -> list[T | str]:
    """Run the calls in parallel threads released together; a refusal becomes its code."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | str:
        try:
            start.wait()
            return call()
        except SozuError as exc:
            return exc.code
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def committed(org: Any) -> Decimal:
    total = Payout.objects.filter(organization=org, status__in=COUNTED).aggregate(s=Sum("amount"))[
        "s"
    ]
    return total or Decimal(0)


@pytest.mark.parametrize(
    ("usdc", "limits", "refusal"),
    [
        ("1000", {"daily_cap": Decimal("100")}, "daily_cap_exceeded"),
        ("100", {}, "org_underfunded"),
    ],
    ids=["daily-cap", "funds"],
)
def test_twenty_payouts_at_once_never_pass_the_limit(
    make_org, make_recipient, usdc, limits, refusal
) -> None:
    org = make_org(usdc=usdc, channels=1, **limits)
    dest = make_recipient()

    outcomes = all_at_once(
        [
            lambda: payout_create(
                organization=org, data={"destination": dest, "amount": "10"}, actor="test"
            )
        ]
        * 20
    )

    made = [o for o in outcomes if isinstance(o, Payout)]
    assert len(made) == 10  # 100 USDC is room for exactly ten payouts of 10
    assert [o for o in outcomes if not isinstance(o, Payout)] == [refusal] * 10
    assert committed(org) == Decimal("100")
    assert Payout.objects.filter(organization=org).count() == 10


@pytest.mark.parametrize(
    ("usdc", "limits", "refusal"),
    [
        ("1000", {"daily_cap": Decimal("100")}, "daily_cap_exceeded"),
        ("100", {}, "org_underfunded"),
    ],
    ids=["daily-cap", "funds"],
)
def test_two_batches_executed_at_once_never_pass_the_limit(
    make_org, make_recipient, usdc, limits, refusal
) -> None:
    org = make_org(usdc=usdc, channels=1, **limits)
    dest = make_recipient()
    batches = [
        batch_create(
            organization=org,
            rows=[
                (1, {"destination": dest, "amount": "35"}),
                (2, {"destination": dest, "amount": "25"}),
            ],
            actor="test",
        )
        for _ in range(2)
    ]  # 60 each: either fits alone, not both

    outcomes = all_at_once(
        [partial(batch_execute, organization=org, batch_id=b.pk, actor="test") for b in batches]
    )

    assert sorted(o if isinstance(o, str) else "executed" for o in outcomes) == sorted(
        ["executed", refusal]
    )
    assert committed(org) == Decimal("60")
    refused = next(b for b, o in zip(batches, outcomes, strict=True) if isinstance(o, str))
    refused.refresh_from_db()
    assert refused.status == B.VALIDATED
    assert set(refused.lines.values_list("status", flat=True)) == {P.VALIDATED}


def test_retrying_failed_lines_respects_the_daily_cap(make_org, make_recipient, localnet) -> None:
    org = make_org(usdc="1000", channels=1, daily_cap=Decimal("100"))
    kp = Keypair.random()
    localnet.fund(kp.public_key, xlm="10", usdc="1")
    batch = batch_create(
        organization=org, rows=[(1, {"destination": kp.public_key, "amount": "30"})], actor="t"
    )
    close_trustline(localnet, kp)
    batch_execute(organization=org, batch_id=batch.pk, actor="t")
    run_worker()
    line = batch.lines.get()
    assert line.status == P.FAILED  # failed lines do not count toward the cap
    payout_create(
        organization=org, data={"destination": make_recipient(), "amount": "80"}, actor="t"
    )

    with pytest.raises(SozuError) as refused:
        batch_retry_failed(organization=org, batch_id=batch.pk, actor="t")

    assert refused.value.code == "daily_cap_exceeded"
    assert refused.value.params == {"total": Decimal("110"), "cap": Decimal("100")}
    line.refresh_from_db()
    assert line.status == P.FAILED
    batch.refresh_from_db()
    assert batch.status == B.FAILED
    assert committed(org) == Decimal("80")


def test_the_money_lock_does_not_block_rows_that_reference_the_organization() -> None:
    """Audit events, payouts and transactions are still inserted while the lock is held."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: one writer at a time")
    org = Organization.objects.create(
        slug="ong-lock", name="ONG", wallet_public_key=Keypair.random().public_key
    )
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                checks.lock_for_money(org)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # blocked would fail, not hang
            audit_record(organization_id=org.pk, entry=Entry("t", "test.event", "org", org.pk, {}))
            Payout.objects.create(
                organization=org, destination=org.wallet_public_key, amount=1, created_by="t"
            )
    finally:
        release.set()
        holder.join()
    assert Payout.objects.filter(organization=org).count() == 1
