"""Bad payout lines are refused with a specific message per line, and nothing is saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.translation import override
from stellar_sdk import Keypair, MuxedAccount

from sozu.beneficiaries.models import Beneficiary
from sozu.disbursements.services.lines import (
    MAX_FILE_BYTES,
    rows_from_csv,
    rows_from_json,
    validate_lines,
)
from sozu.errors import SozuError
from sozu.orgs.models import Organization

pytestmark = pytest.mark.django_db

G1 = Keypair.random().public_key
G2 = Keypair.random().public_key


@pytest.fixture
def org() -> Organization:
    return Organization.objects.create(slug="ong", name="ONG", wallet_public_key=G1)


def _errors(org: Organization, rows, max_lines: int = 100):
    with pytest.raises(SozuError) as exc:
        validate_lines(organization_id=org.pk, rows=rows, max_lines=max_lines)
    return exc.value


def test_a_clean_csv_becomes_lines_with_exact_amounts(org):
    muxed = MuxedAccount(G2, 42).account_muxed
    data = f"destination,amount,memo\n{G1},10.50,cuota 1\n{muxed},0.0000001,\n".encode()
    specs = validate_lines(organization_id=org.pk, rows=rows_from_csv(data), max_lines=10)
    assert [(s.line, s.destination, s.amount, s.memo) for s in specs] == [
        (2, G1, Decimal("10.5000000"), "cuota 1"),
        (3, muxed, Decimal("0.0000001"), ""),
    ]


def test_semicolon_csv_from_a_spanish_spreadsheet_is_read(org):
    data = f"destination;amount\n{G1};12.5\n".encode("utf-8-sig")
    specs = validate_lines(organization_id=org.pk, rows=rows_from_csv(data), max_lines=10)
    assert specs[0].amount == Decimal("12.5")


def test_every_bad_line_is_reported_with_its_line_number_and_reason(org):
    data = (
        "destination,amount,memo\n"
        f"{G1},-5,\n"  # 2 negative
        f"{G1},1.00000001,\n"  # 3 over-precise
        "GABC,1,\n"  # 4 wrong address
        f"{G2},abc,\n"  # 5 not a number
        f"{G2},7,\n"  # 6 ok
        f"{G2},7,\n"  # 7 duplicate of 6
        f"{G2},8,{'x' * 29}\n"  # 8 memo too long
        ",9,\n"  # 9 no destination
    ).encode()
    err = _errors(org, rows_from_csv(data))
    assert err.code == "invalid_lines"
    got = [(e["line"], e["code"]) for e in err.errors]
    assert got == [
        (2, "amount_not_positive"),
        (3, "amount_too_precise"),
        (4, "invalid_address"),
        (5, "amount_invalid"),
        (7, "duplicate_line"),
        (8, "memo_too_long"),
        (9, "destination_missing"),
    ]
    with override("en"):
        assert SozuError("duplicate_line", line=7, first_line=6).message == (
            "Line 7 repeats line 6 (same destination, amount and memo)."
        )


def test_messages_are_in_spanish_by_default(org):
    err = _errors(org, [(2, {"destination": "nope", "amount": "1"})])
    assert err.errors[0]["message"] == (
        "La dirección “nope” no es una dirección Stellar válida (G… o M…)."
    )


def test_a_csv_without_the_needed_columns_is_refused(org):
    with pytest.raises(SozuError) as exc:
        rows_from_csv(b"name,value\nana,3\n")
    assert exc.value.code == "csv_missing_column"


def test_a_csv_with_more_fields_than_the_header_is_refused():
    with pytest.raises(SozuError) as exc:
        rows_from_csv(f"destination,amount\n{G1},1,extra\n".encode())
    assert exc.value.code == "csv_malformed"


def test_a_binary_file_is_refused():
    with pytest.raises(SozuError) as exc:
        rows_from_csv(b"\xff\xfe\x00\x01garbage")
    assert exc.value.code == "csv_malformed"


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(SozuError) as exc:
        rows_from_csv(b"destination,amount\n" + b"x" * MAX_FILE_BYTES)
    assert exc.value.code == "file_too_large"
    assert exc.value.status == 413


def test_too_many_lines_and_empty_batches_are_refused(org):
    rows = [(i, {"destination": G1, "amount": str(i)}) for i in range(1, 12)]
    assert _errors(org, rows, max_lines=10).code == "too_many_lines"
    assert _errors(org, []).code == "empty_batch"


def test_float_amounts_from_json_are_refused(org):
    err = _errors(org, rows_from_json([{"destination": G1, "amount": 0.1}]))
    assert err.errors[0]["code"] == "amount_float"


def test_beneficiaries_resolve_to_their_address_only_in_their_own_org(org):
    other = Organization.objects.create(slug="otra", name="Otra", wallet_public_key=G2)
    mine = Beneficiary.objects.create(
        organization=org, full_name="Ana", stellar_address=G1, status=Beneficiary.Status.APPROVED
    )
    theirs = Beneficiary.objects.create(
        organization=other, full_name="Eva", stellar_address=G2, status=Beneficiary.Status.APPROVED
    )
    pending = Beneficiary.objects.create(
        organization=org, full_name="Sol", stellar_address=Keypair.random().public_key
    )
    specs = validate_lines(
        organization_id=org.pk,
        rows=[(2, {"beneficiary_id": str(mine.pk), "amount": "5"})],
        max_lines=10,
    )
    assert (specs[0].destination, specs[0].beneficiary_id) == (G1, mine.pk)
    err = _errors(
        org,
        [
            (2, {"beneficiary_id": theirs.pk, "amount": "5"}),
            (3, {"beneficiary_id": pending.pk, "amount": "5"}),
            (4, {"beneficiary_id": mine.pk, "destination": G1, "amount": "5"}),
        ],
    )
    assert [e["code"] for e in err.errors] == [
        "unknown_beneficiary",
        "beneficiary_not_approved",
        "destination_ambiguous",
    ]
