"""ARS and USDC display: separators by language, half-up rounding, sign, no floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from sozu.formatting import format_ars, format_phone, format_usdc, round_for_display

LANGUAGES = ("es", "en")
#: language → (thousands separator, decimal separator)
SEPARATORS = {"es": (".", ","), "en": (",", ".")}

amounts = st.one_of(
    st.decimals(min_value=-(10**20), max_value=10**20, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**12), max_value=10**12, places=7),  # Stellar's precision
    st.decimals(min_value=-1, max_value=1, places=3),  # half-cent ties, tiny negatives
    st.integers(min_value=-(10**15), max_value=10**15),
    # More significant digits than Decimal's default context (28) holds.
    st.decimals(min_value=-(10**40), max_value=10**40, places=3),
)


def expected_rounding(amount: Decimal | int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 200
        return Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_number(text: str, language: str) -> Decimal:
    """Reads back what the formatter wrote, checking the grouping is exactly right."""
    thousands, decimal_point = SEPARATORS[language]
    t, d = re.escape(thousands), re.escape(decimal_point)
    match = re.fullmatch(rf"(-?)(\d{{1,3}}(?:{t}\d{{3}})*){d}(\d{{2}})", text)
    assert match, f"badly formatted number {text!r} for {language}"
    sign, whole, cents = match.groups()
    assert whole == "0" or not whole.startswith("0"), text
    return Decimal(f"{sign}{whole.replace(thousands, '')}.{cents}")


def parse_ars(text: str, language: str) -> Decimal:
    sign = "-" if text.startswith("-") else ""
    body = text.removeprefix("-")
    assert body.startswith("$ "), text
    return parse_number(sign + body.removeprefix("$ "), language)


def parse_usdc(text: str, language: str) -> Decimal:
    assert text.endswith(" USDC"), text
    return parse_number(text.removesuffix(" USDC"), language)


@given(amount=amounts, language=st.sampled_from(LANGUAGES))
def test_ars_round_trips_to_the_rounded_value(amount: Decimal | int, language: str) -> None:
    with translation.override(language):
        text = format_ars(amount)
    rounded = expected_rounding(amount)
    assert parse_ars(text, language) == rounded
    assert text.startswith("-") == (rounded < 0)


@given(amount=amounts, language=st.sampled_from(LANGUAGES))
def test_usdc_round_trips_to_the_rounded_value(amount: Decimal | int, language: str) -> None:
    with translation.override(language):
        text = format_usdc(amount)
    rounded = expected_rounding(amount)
    assert parse_usdc(text, language) == rounded
    assert text.startswith("-") == (rounded < 0)
    assert round_for_display(amount) == rounded


@given(amount=amounts)
def test_rounding_is_within_half_a_cent_and_ties_go_away_from_zero(
    amount: Decimal | int,
) -> None:
    value = Decimal(amount)
    rounded = round_for_display(value)
    error = abs(rounded - value)
    assert error <= Decimal("0.005")
    if error == Decimal("0.005"):
        assert abs(rounded) > abs(value)


@pytest.mark.parametrize(
    ("amount", "es", "en"),
    [
        (Decimal("1234.56"), "$ 1.234,56", "$ 1,234.56"),
        (Decimal("-1234.56"), "-$ 1.234,56", "-$ 1,234.56"),
        (Decimal("0"), "$ 0,00", "$ 0,00".replace(",", ".")),
        (Decimal("1234567.891"), "$ 1.234.567,89", "$ 1,234,567.89"),
        (Decimal("999.995"), "$ 1.000,00", "$ 1,000.00"),
        (Decimal("0.025"), "$ 0,03", "$ 0.03"),  # half up, not half even
        (Decimal("-0.005"), "-$ 0,01", "-$ 0.01"),
        (Decimal("-0.004"), "$ 0,00", "$ 0.00"),  # never "-$ 0,00"
        (Decimal("-0"), "$ 0,00", "$ 0.00"),
        (Decimal("1E+3"), "$ 1.000,00", "$ 1,000.00"),
        (1500, "$ 1.500,00", "$ 1,500.00"),
    ],
)
def test_ars_examples(amount: Decimal | int, es: str, en: str) -> None:
    assert format_ars(amount, language="es") == es
    assert format_ars(amount, language="en") == en


def test_usdc_follows_the_active_language() -> None:
    amount = Decimal("1234.56")
    with translation.override("es"):
        assert format_usdc(amount) == "1.234,56 USDC"
        assert format_ars(amount) == "$ 1.234,56"
    with translation.override("es-ar"):
        assert format_usdc(amount) == "1.234,56 USDC"
    with translation.override("en"):
        assert format_usdc(amount) == "1,234.56 USDC"
        assert format_usdc(-amount) == "-1,234.56 USDC"
    with translation.override("pt-br"):  # not offered: falls back to es-AR
        assert format_usdc(amount) == "1.234,56 USDC"


def test_language_argument_wins_over_the_active_language() -> None:
    with translation.override("en"):
        assert format_usdc(Decimal("1234.56"), language="es-ar") == "1.234,56 USDC"


def test_more_places_for_usdc() -> None:
    assert format_usdc(Decimal("0.1234567"), places=7, language="es") == "0,1234567 USDC"
    assert format_usdc(Decimal("12"), places=0, language="en") == "12 USDC"


@pytest.mark.parametrize("bad", [1234.56, 0.1, True, "1234.56", None])
def test_refuses_anything_but_decimal_or_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_ars(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_usdc(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_refuses_non_finite_amounts(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        format_usdc(bad)


def test_huge_amounts_do_not_lose_digits() -> None:
    amount = Decimal("123456789012345678901234567890.125")
    assert format_usdc(amount, language="en") == "123,456,789,012,345,678,901,234,567,890.13 USDC"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+5491143211234", "+54 9 11 4321-1234"),  # Buenos Aires mobile: 2-digit area
        ("+5493875550101", "+54 9 387 555-0101"),  # Salta mobile: 3-digit area
        ("+5492966412345", "+54 9 2966 41-2345"),  # Río Gallegos mobile: 4-digit area
        ("+541143211234", "+54 11 4321-1234"),  # a landline: no 9
        ("", ""),
        ("+54123", "+54123"),  # not a valid number: shown as stored
        ("no es un teléfono", "no es un teléfono"),
    ],
)
def test_phones_stored_as_e164_are_shown_as_people_in_argentina_write_them(
    stored: str, shown: str
) -> None:
    assert format_phone(stored) == shown
