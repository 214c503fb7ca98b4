"""Money crosses the Stellar boundary exactly: Decimal ⇄ int64 stroops, never floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sozu.stellar.amounts import (
    MAX_STROOPS,
    AmountError,
    format_amount,
    from_stroops,
    parse_amount,
    to_stroops,
)

stroops = st.integers(min_value=1, max_value=MAX_STROOPS)


@given(stroops)
def test_stroops_round_trip_exactly(n: int) -> None:
    assert to_stroops(from_stroops(n)) == n


@given(stroops)
def test_the_seven_decimal_string_parses_back_to_the_same_amount(n: int) -> None:
    text = format_amount(from_stroops(n))
    assert len(text.split(".")[1]) == 7
    assert to_stroops(parse_amount(text)) == n


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0", "amount_not_positive"),
        ("-1", "amount_not_positive"),
        ("0.00000001", "amount_too_precise"),
        ("1e-8", "amount_invalid"),  # exponents are refused outright
        ("abc", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("", "amount_missing"),
        ("922337203685.4775808", "amount_too_large"),
        (0.1, "amount_float"),
    ],
)
def test_amounts_stellar_cannot_carry_are_refused(value: object, code: str) -> None:
    with pytest.raises(AmountError) as exc:
        parse_amount(value)
    assert exc.value.code == code


def test_the_largest_and_smallest_amounts_are_accepted() -> None:
    assert to_stroops(parse_amount("922337203685.4775807")) == MAX_STROOPS
    assert to_stroops(parse_amount("0.0000001")) == 1
    assert parse_amount(Decimal("12.5")) == Decimal("12.5000000")
