"""Migrating money columns to integer stroops keeps every amount exactly, both ways."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sozu.disbursements.models import Payout as CurrentPayout
from sozu.money_migrations import stored_to_stroops

BEFORE = [("orgs", "0002_organization_ready"), ("disbursements", "0002_fee_bump")]
AMOUNTS = [
    Decimal("0.0000001"),
    Decimal("12.5"),
    Decimal("150.25"),
    Decimal("1234.5678901"),
    Decimal("123456789.1234567"),  # 16 significant digits: still exact out of SQLite's REAL
    Decimal("20000000"),
    Decimal("268435455.9999999"),  # a stroop below 2**28: up to here a REAL kept every stroop
]
STROOPS = [
    1,
    125_000_000,
    1_502_500_000,
    12_345_678_901,
    1_234_567_891_234_567,
    2 * 10**14,
    2_684_354_559_999_999,
]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def raw(table: str, column: str) -> list[object]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608 (fixed names)
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_existing_amounts_and_limits_become_exact_stroops_and_come_back() -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    org = old.get_model("orgs", "Organization").objects.create(
        slug="ong-antes",
        name="Antes",
        wallet_public_key="G" + "A" * 55,
        daily_cap=Decimal("123456789.1234567"),
        max_payout_amount=Decimal("0.0000001"),
    )
    batch = old.get_model("disbursements", "Batch").objects.create(
        organization_id=org.pk, created_by="t", total_amount=sum(AMOUNTS)
    )
    Payout = old.get_model("disbursements", "Payout")
    for n, amount in enumerate(AMOUNTS, start=1):
        Payout.objects.create(
            organization_id=org.pk,
            batch_id=batch.pk,
            line_number=n,
            destination="G" + "B" * 55,
            amount=amount,
            created_by="t",
        )

    try:
        migrate(latest)

        assert raw("disbursements_payout", "amount") == STROOPS
        assert raw("orgs_organization", "daily_cap") == [1_234_567_891_234_567]
        assert raw("orgs_organization", "max_payout_amount") == [1]
        assert raw("orgs_organization", "max_batch_total") == [100_000_000_000_000]
        assert raw("disbursements_batch", "total_amount") == [sum(AMOUNTS) * 10_000_000]
        assert [p.amount for p in CurrentPayout.objects.order_by("id")] == AMOUNTS

        # And back: the decimal columns hold the same amounts again (read raw: Django reads a
        # SQLite decimal through a 15-digit float conversion, which is what this change ends).
        migrate(BEFORE)
        assert [stored_to_stroops(v) for v in raw("disbursements_payout", "amount")] == STROOPS
        assert [stored_to_stroops(v) for v in raw("orgs_organization", "daily_cap")] == [
            1_234_567_891_234_567
        ]
    finally:
        migrate(latest)
