"""Amounts are exact on every backend: stored as integer stroops, summed as integers.

A float sum (what SQLite did with a DecimalField, stored as REAL) keeps about 15 significant
digits; these amounts have 17, so a float sum would move each decision below by a stroop.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone, translation
from stellar_sdk import Keypair

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.selectors import batch_export_csv, batch_stats, payout_as_dict
from sozu.disbursements.services import checks
from sozu.errors import SozuError
from sozu.fields import decimal_to_stroops, stroops_to_decimal
from sozu.observability.collectors import DatabaseCollector
from sozu.orgs.models import Organization

P = Payout.Status
BILLION_AND_A_STROOP = Decimal("1000000000.0000001")  # 17 significant digits


def an_org(**limits: object) -> Organization:
    return Organization.objects.create(
        slug=f"ong-{Keypair.random().public_key[-8:].lower()}",
        name="Cooperativa de Prueba",
        wallet_public_key=Keypair.random().public_key,
        **limits,
    )


def queued(org: Organization, amount: Decimal, batch: Batch | None = None) -> Payout:
    return Payout.objects.create(
        organization=org,
        batch=batch,
        destination=Keypair.random().public_key,
        amount=amount,
        status=P.QUEUED,
        queued_at=timezone.now(),
        created_by="test",
    )


@pytest.mark.django_db
def test_an_amount_is_an_integer_of_stroops_in_the_database_and_exact_in_python() -> None:
    org = an_org()
    payout = queued(org, Decimal("922337203685.4775807"))  # the largest Stellar amount

    with connection.cursor() as cursor:
        cursor.execute("SELECT amount FROM disbursements_payout WHERE id = %s", [payout.pk])
        (raw,) = cursor.fetchone()
    assert raw == 9223372036854775807 and isinstance(raw, int)
    again = Payout.objects.get(pk=payout.pk)
    assert again.amount == Decimal("922337203685.4775807")
    assert str(again.amount) == "922337203685.4775807"
    # Limits read back with their 7 decimals too, and filters compare exactly.
    assert str(Organization.objects.get(pk=org.pk).daily_cap) == "20000000.0000000"
    assert Payout.objects.filter(amount__gt=Decimal("922337203685.4775806")).count() == 1
    assert Payout.objects.filter(amount__gt=Decimal("922337203685.4775807")).count() == 0


@pytest.mark.django_db
def test_sums_of_seventeen_digit_amounts_are_exact() -> None:
    org = an_org()
    batch = Batch.objects.create(
        organization=org, created_by="test", total_amount=3 * BILLION_AND_A_STROOP
    )
    for _ in range(3):
        queued(org, BILLION_AND_A_STROOP, batch=batch)

    total = Payout.objects.filter(organization=org).aggregate(s=Sum("amount"))["s"]
    assert total == Decimal("3000000000.0000003") and isinstance(total, Decimal)
    assert checks.reserved_amount(org) == Decimal("3000000000.0000003")
    stats = batch_stats(batch)
    assert stats["by_status"][P.QUEUED]["amount"] == "3000000000.0000003"
    assert stats["total_amount"] == "3000000000.0000003"


@pytest.mark.django_db
def test_the_daily_cap_decides_to_the_stroop() -> None:
    org = an_org(daily_cap=Decimal("3000000001.0000003"))
    for _ in range(3):
        queued(org, BILLION_AND_A_STROOP)  # 3000000000.0000003 used in the last 24 hours

    # Exactly up to the cap: allowed.
    checks.check_daily_cap(org, Decimal("0.9999999"))
    checks.check_daily_cap(org, Decimal("1"))
    # One stroop over: refused (a float sum reads the used amount as 3000000000.0000000).
    with pytest.raises(SozuError) as refused:
        checks.check_daily_cap(org, Decimal("1.0000001"))
    assert refused.value.code == "daily_cap_exceeded"
    assert refused.value.params == {
        "total": Decimal("3000000001.0000004"),
        "cap": Decimal("3000000001.0000003"),
    }


@pytest.mark.django_db(transaction=True)
def test_the_funds_check_decides_to_the_stroop(make_org) -> None:
    org = make_org(usdc="900000001.0000003", channels=1)
    for _ in range(3):
        queued(org, Decimal("300000000.0000001"))  # 16 significant digits, 900000000.0000003
    assert checks.wallet_usdc_balance(org) == Decimal("900000001.0000003")

    checks.check_funds(org, Decimal("1"))  # exactly what is left: allowed
    with pytest.raises(SozuError) as refused:
        checks.check_funds(org, Decimal("1.0000001"))
    assert refused.value.code == "org_underfunded"
    assert refused.value.params == {"available": Decimal("1"), "needed": Decimal("1.0000001")}


def test_conversions_are_exact_and_refuse_what_stroops_cannot_hold() -> None:
    assert decimal_to_stroops(Decimal("0.0000001")) == 1
    assert decimal_to_stroops(Decimal("12.50")) == 125_000_000
    assert decimal_to_stroops(Decimal("1E+3")) == 10_000_000_000
    assert decimal_to_stroops(Decimal("-2.5")) == -25_000_000
    assert f"{stroops_to_decimal(1):f}" == "0.0000001"
    assert f"{stroops_to_decimal(-25_000_000):f}" == "-2.5000000"
    assert f"{stroops_to_decimal(2**63 - 1):f}" == "922337203685.4775807"
    assert f"{stroops_to_decimal(10**30):f}" == "100000000000000000000000.0000000"
    with pytest.raises(ValueError):
        decimal_to_stroops(Decimal("0.00000001"))
    with pytest.raises(ValueError):
        decimal_to_stroops(Decimal("NaN"))


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["1.00000001", "922337203685.4775808", "NaN"])
def test_a_limit_stroops_cannot_hold_is_refused_before_it_is_saved(bad: str) -> None:
    org = an_org()
    org.daily_cap = Decimal(bad)

    with pytest.raises(ValidationError) as refused, translation.override("es"):
        org.full_clean()

    assert refused.value.message_dict == {
        "daily_cap": [
            f"“{bad}” debe ser un monto con hasta 7 decimales, de hasta 922337203685.4775807."
        ]
    }
    org.refresh_from_db()
    assert org.daily_cap == Decimal("20000000")


@pytest.mark.django_db
def test_the_api_and_the_export_write_every_amount_with_its_seven_decimals() -> None:
    org = an_org()
    batch = Batch.objects.create(organization=org, created_by="test")
    one_stroop = queued(org, Decimal("0.0000001"), batch=batch)
    largest = queued(org, Decimal("922337203685.4775807"), batch=batch)

    assert payout_as_dict(one_stroop)["amount"] == "0.0000001"
    assert payout_as_dict(largest)["amount"] == "922337203685.4775807"
    rows = list(csv.DictReader(io.StringIO("".join(batch_export_csv(batch=batch)))))
    assert [r["amount"] for r in rows] == ["0.0000001", "922337203685.4775807"]


@pytest.mark.django_db
def test_the_metrics_collector_sums_amounts_exactly() -> None:
    org = an_org()
    for _ in range(3):
        queued(org, BILLION_AND_A_STROOP)

    families = {f.name: f for f in DatabaseCollector().collect()}
    (total,) = [
        s.value
        for s in families["sozu_payouts_amount_usdc"].samples
        if s.labels == {"organization": org.slug, "status": P.QUEUED}
    ]
    # Exact up to the exporter, which writes the number of the page at the very edge.
    assert total == Decimal("3000000000.0000003") and isinstance(total, Decimal)
