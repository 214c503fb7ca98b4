"""Hostile or careless input is refused with a specific code, never read as another amount."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.translation import override
from stellar_sdk import Keypair

from sozu.beneficiaries.models import Beneficiary
from sozu.disbursements.services.lines import rows_from_csv, validate_lines
from sozu.errors import SozuError, message_for
from sozu.orgs.models import Organization
from sozu.stellar.amounts import AmountError, parse_amount

G1 = Keypair.random().public_key


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("\u0661\u0662", "amount_invalid"),  # Arabic-Indic digits: Decimal reads them as 12
        ("\uff11\uff12", "amount_invalid"),  # fullwidth digits
        ("1e21", "amount_invalid"),  # exponent: Decimal reads it, and then quantize fails
        ("9" * 40, "amount_too_large"),  # quantize would raise InvalidOperation
        ("9" * 5000 + ".5", "amount_too_large"),
        ("1_000", "amount_invalid"),
        ("+5", "amount_invalid"),
        ("1 000", "amount_invalid"),
        ("1,5", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("0x10", "amount_invalid"),
        (".5", "amount_invalid"),
        ("5.", "amount_invalid"),
        ("-5", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("0.00000001", "amount_too_precise"),
        ("1.000", "amount_ambiguous_thousands"),
        ("12.500", "amount_ambiguous_thousands"),
        ("1.000.000", "amount_ambiguous_thousands"),
        ("1.000,50", "amount_invalid"),
        ("", "amount_missing"),
        (None, "amount_missing"),
        (True, "amount_invalid"),
        ({"a": 1}, "amount_invalid"),
        (["1"], "amount_invalid"),
        (1.5, "amount_float"),
        (10**30, "amount_too_large"),
        (-3, "amount_not_positive"),
    ],
)
def test_amounts_that_are_not_plain_ascii_decimals_are_refused_with_a_code(text, code):
    with pytest.raises(AmountError) as exc:
        parse_amount(text)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12", Decimal("12")),
        (" 12.5 ", Decimal("12.5")),
        ("0.001", Decimal("0.001")),  # a leading 0 is never a thousands group
        ("1000.000", Decimal("1000")),  # four digits before the point: not a thousands group
        ("1.0000", Decimal("1")),
        ("1.10000000", Decimal("1.1")),  # zeros past the 7th decimal change nothing
        ("922337203685.4775807", Decimal("922337203685.4775807")),
        (12, Decimal("12")),
    ],
)
def test_plain_amounts_are_read_exactly(text, amount):
    assert parse_amount(text) == amount


def test_the_largest_amount_stellar_holds_is_the_limit():
    with pytest.raises(AmountError) as exc:
        parse_amount("922337203685.4775808")
    assert exc.value.code == "amount_too_large"


def test_the_thousands_message_tells_how_to_write_the_amount():
    with override("es"):
        text = message_for("amount_ambiguous_thousands", {"value": "1.000"})
    assert "1000" in text and "1.000" in text


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(slug="ong", name="ONG", wallet_public_key=G1)


def refused(org: Organization, rows) -> list[tuple[int, str]]:
    with pytest.raises(SozuError) as exc:
        validate_lines(organization_id=org.pk, rows=rows, max_lines=100)
    assert exc.value.code == "invalid_lines"
    return [(e["line"], e["code"]) for e in exc.value.errors]


def test_a_csv_with_huge_and_exotic_amounts_names_each_line(org):
    data = (
        "destination,amount\n"
        f"{G1},1e21\n"  # 2
        f"{G1},{'9' * 60}\n"  # 3
        f"{G1},\u0661\u0662\n"  # 4: Arabic-Indic 12
        f"{G1},\uff11\uff12\n"  # 5: fullwidth 12
        f"{G1},1.000\n"  # 6
    ).encode()

    assert refused(org, rows_from_csv(data)) == [
        (2, "amount_invalid"),
        (3, "amount_too_large"),
        (4, "amount_invalid"),
        (5, "amount_invalid"),
        (6, "amount_ambiguous_thousands"),
    ]


def test_memos_must_be_printable_text_within_28_bytes(org):
    rows = [
        (1, {"destination": G1, "amount": "1", "memo": "cuota\x00"}),
        (2, {"destination": G1, "amount": "2", "memo": {"a": 1}}),
        (3, {"destination": G1, "amount": "3", "memo": 12}),
        (4, {"destination": G1, "amount": "4", "memo": ["x"]}),
        (5, {"destination": G1, "amount": "5", "memo": "línea\nnueva"}),
        (6, {"destination": G1, "amount": "6", "memo": "ñ" * 15}),  # 30 bytes, 15 characters
        (7, {"destination": G1, "amount": "7", "memo": "ñ" * 14}),  # 28 bytes: fine
    ]
    assert refused(org, rows) == [
        (1, "memo_not_printable"),
        (2, "memo_not_text"),
        (3, "memo_not_text"),
        (4, "memo_not_text"),
        (5, "memo_not_printable"),
        (6, "memo_too_long"),
    ]


def test_beneficiary_ids_are_bounded_ascii_integers(org):
    ben = Beneficiary.objects.create(
        organization=org, full_name="Ana", stellar_address=G1, status=Beneficiary.Status.APPROVED
    )
    rows = [
        (1, {"beneficiary_id": "²", "amount": "1"}),
        (2, {"beneficiary_id": "10000000000000000000", "amount": "1"}),
        (3, {"beneficiary_id": 10**19, "amount": "1"}),
        (4, {"beneficiary_id": True, "amount": "1"}),
        (5, {"beneficiary_id": "-1", "amount": "1"}),
        (6, {"beneficiary_id": 1.0, "amount": "1"}),
        (7, {"beneficiary_id": str(ben.pk + 1000), "amount": "1"}),
        (8, {"beneficiary_id": f" {ben.pk} ", "amount": "2"}),
    ]
    assert refused(org, rows) == [
        (1, "beneficiary_id_invalid"),
        (2, "beneficiary_id_invalid"),
        (3, "beneficiary_id_invalid"),
        (4, "beneficiary_id_invalid"),
        (5, "beneficiary_id_invalid"),
        (6, "beneficiary_id_invalid"),
        (7, "unknown_beneficiary"),
    ]


def test_a_csv_with_a_nul_byte_is_refused_naming_its_line():
    with pytest.raises(SozuError) as exc:
        rows_from_csv(f"destination,amount,memo\n{G1},1,ok\n{G1},2,a\x00b\n".encode())
    assert (exc.value.code, exc.value.params) == ("csv_nul_byte", {"line": 3})


@pytest.mark.parametrize(
    "header",
    ["destination,amount,Amount", "destination, amount ,AMOUNT", "Destination,destination,amount"],
)
def test_a_csv_with_a_column_twice_is_refused_naming_it(header):
    with pytest.raises(SozuError) as exc:
        rows_from_csv(f"{header}\n{G1},1,2\n".encode())
    assert exc.value.code == "csv_duplicate_column"
    with override("en"):
        assert "“amount”" in exc.value.message or "“destination”" in exc.value.message


def test_a_csv_header_the_csv_module_cannot_read_is_malformed_not_a_crash():
    with pytest.raises(SozuError) as exc:
        rows_from_csv(b"\r0")  # found by the property test: was csv.Error, a 500
    assert exc.value.code == "csv_malformed"
