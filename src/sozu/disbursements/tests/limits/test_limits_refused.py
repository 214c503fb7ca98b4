"""Every limit refuses with its own code and a Spanish message, and nothing is saved or queued."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services.batches import batch_create
from sozu.disbursements.tests.api.helpers import post_json


def row_counts() -> tuple[int, int]:
    """(batches, payouts): a refusal saves neither. (A refused keyed request does keep its
    Idempotency-Key record: a retry with that key gets the same refusal back.)"""
    return Batch.objects.count(), Payout.objects.count()


def new_key() -> dict[str, str]:
    """Payouts need an Idempotency-Key by default; each request here is a new one."""
    return {"Idempotency-Key": uuid.uuid4().hex}


pytestmark = pytest.mark.django_db(transaction=True)
P = Payout.Status


def test_a_payout_over_the_rolling_daily_cap_is_refused(make_org, client_for, make_recipient):
    org = make_org(usdc="1000", channels=1, daily_cap=Decimal("100"))
    client = client_for(org)
    first = post_json(
        client, "/api/v1/payouts", {"destination": make_recipient(), "amount": "60"}, **new_key()
    )
    assert (first.status_code, first.json()["status"]) == (200, "paid")  # paid counts too
    before = row_counts()

    r = post_json(
        client, "/api/v1/payouts", {"destination": make_recipient(), "amount": "40.5"}, **new_key()
    )

    assert r.status_code == 400
    assert r.json()["code"] == "daily_cap_exceeded"
    assert r.json()["detail"] == (
        "Así se pagarían 100.5000000 en 24 horas; el tope diario es 100.0000000."
    )
    assert row_counts() == before
    # What still fits in the cap is paid.
    fits = post_json(
        client, "/api/v1/payouts", {"destination": make_recipient(), "amount": "40"}, **new_key()
    )
    assert (fits.status_code, fits.json()["status"]) == (200, "paid")


def test_executing_a_batch_over_the_rolling_daily_cap_queues_nothing(
    make_org, client_for, make_recipient
):
    org = make_org(usdc="1000", channels=1, daily_cap=Decimal("100"))
    client = client_for(org)
    dest = make_recipient()
    batch = batch_create(
        organization=org,
        rows=[
            (1, {"destination": dest, "amount": "30"}),
            (2, {"destination": dest, "amount": "21"}),
        ],
        actor="test",
    )  # saved while nothing counted yet; the cap is checked again when it is executed
    paid = post_json(client, "/api/v1/payouts", {"destination": dest, "amount": "50"}, **new_key())
    assert paid.status_code == 200, paid.content

    r = client.post(f"/api/v1/batches/{batch.pk}/execute")

    assert r.status_code == 400
    assert r.json()["code"] == "daily_cap_exceeded"
    assert r.json()["detail"] == (
        "Así se pagarían 101.0000000 en 24 horas; el tope diario es 100.0000000."
    )
    batch.refresh_from_db()
    assert batch.status == Batch.Status.VALIDATED
    assert list(batch.lines.values_list("status", "queued_at")) == [(P.VALIDATED, None)] * 2


def test_a_batch_over_the_maximum_total_is_refused(make_org, client_for, make_recipient):
    org = make_org(usdc="1000", channels=1, max_batch_total=Decimal("100"))
    client = client_for(org)
    dest = make_recipient()
    before = row_counts()

    r = post_json(
        client,
        "/api/v1/batches",
        {
            "lines": [
                {"destination": dest, "amount": "60"},
                {"destination": dest, "amount": "40.01"},
            ]
        },
    )

    assert r.status_code == 400
    assert r.json()["code"] == "batch_over_max"
    assert r.json()["detail"] == (
        "El total del lote (100.0100000) supera el máximo por lote (100.0000000)."
    )
    assert row_counts() == before


def test_a_line_over_the_maximum_per_payout_is_refused(make_org, client_for, make_recipient):
    org = make_org(usdc="1000", channels=1, max_payout_amount=Decimal("50"))
    client = client_for(org)
    dest = make_recipient()
    before = row_counts()

    in_batch = post_json(
        client,
        "/api/v1/batches",
        {
            "lines": [
                {"destination": dest, "amount": "50"},
                {"destination": dest, "amount": "50.0000001"},
            ]
        },
    )
    single = post_json(
        client, "/api/v1/payouts", {"destination": dest, "amount": "51"}, **new_key()
    )

    assert in_batch.status_code == 400
    assert in_batch.json()["code"] == "invalid_lines"
    assert in_batch.json()["errors"] == [
        {
            "line": 2,
            "code": "line_over_max",
            "message": "El monto 50.0000001 supera el máximo por pago (50.0000000).",
        }
    ]
    assert single.status_code == 400
    assert single.json()["code"] == "line_over_max"
    assert single.json()["detail"] == "El monto 51.0000000 supera el máximo por pago (50.0000000)."
    assert row_counts() == before
