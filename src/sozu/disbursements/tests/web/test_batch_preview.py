"""A CSV is previewed row by row (each error in Spanish) and nothing is saved until confirmed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.translation import override
from stellar_sdk import Keypair

from sozu.beneficiaries.services import beneficiary_create
from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services.batches import batch_create
from sozu.disbursements.services.lines import rows_from_csv
from sozu.disbursements.services.preview import batch_preview, rows_as_csv

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_bad_row_shows_its_own_spanish_error_and_nothing_is_saved(org, recipient):
    good, other = recipient(), recipient()
    unfunded = Keypair.random().public_key
    data = (
        "destination,amount,memo\n"
        f"{good},10,marzo\n"  # 2 ok
        "GNOTANADDRESS,5,\n"  # 3 bad address
        f"{other},-1,\n"  # 4 negative
        f"{unfunded},3,\n"  # 5 the account does not exist on the network
        f"{other},7.5,\n"  # 6 ok
    ).encode()
    with override("es"):
        preview = batch_preview(organization=org, rows=rows_from_csv(data))
    assert [(r.line, r.ok) for r in preview.rows] == [
        (2, True),
        (3, False),
        (4, False),
        (5, False),
        (6, True),
    ]
    errors = {r.line: r.errors for r in preview.rows if not r.ok}
    assert errors[3] == [
        "La dirección “GNOTANADDRESS” no es una dirección Stellar válida (G… o M…)."
    ]
    assert errors[4] == ["El monto debe ser mayor que cero."]
    assert errors[5] == ["La cuenta de destino no existe en la red."]
    assert preview.total == Decimal("17.5")
    assert not preview.ok and preview.error_count == 3 and preview.valid_count == 2
    assert Batch.objects.count() == 0 and Payout.objects.count() == 0


def test_a_fixed_file_previews_clean_and_confirming_creates_the_same_lines(org, recipient):
    a, b = recipient(), recipient()
    ben = beneficiary_create(
        organization_id=org.pk, full_name="Rosa Quispe", stellar_address=b, actor="test"
    )
    text = rows_as_csv(
        [
            {"destination": a, "amount": "10", "memo": "marzo"},
            {"beneficiary_id": ben.pk, "amount": "2.5", "memo": ""},
        ]
    )
    preview = batch_preview(organization=org, rows=rows_from_csv(text.encode()))
    assert preview.ok, [(r.line, r.errors) for r in preview.rows] + [preview.problems]
    assert preview.total == Decimal("12.5")

    batch = batch_create(organization=org, rows=rows_from_csv(text.encode()), actor="user:1")
    lines = list(batch.lines.order_by("line_number"))
    assert [(p.destination, p.amount, p.beneficiary_id) for p in lines] == [
        (a, Decimal("10"), None),
        (b, Decimal("2.5"), ben.pk),
    ]


def test_limits_and_funds_are_reported_for_the_whole_batch(org, recipient):
    org.max_payout_amount = Decimal("100")
    org.save()
    a, b = recipient(), recipient()
    data = f"destination,amount\n{a},150\n{b},999\n".encode()
    with override("es"):
        preview = batch_preview(organization=org, rows=rows_from_csv(data))
    assert [r.errors for r in preview.rows] == [
        ["El monto 150.0000000 supera el máximo por pago (100)."],
        ["El monto 999.0000000 supera el máximo por pago (100)."],
    ]
    assert preview.total == 0
    org.max_payout_amount = Decimal("5000")
    org.save()
    with override("es"):
        preview = batch_preview(
            organization=org, rows=rows_from_csv(f"destination,amount\n{a},1500\n".encode())
        )
    # The org has 1000 USDC: the batch as a whole cannot be paid, the row itself is fine.
    assert preview.rows[0].ok
    assert len(preview.problems) == 1 and "USDC" in preview.problems[0]
    assert not preview.ok
