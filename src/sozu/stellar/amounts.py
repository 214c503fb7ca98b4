"""Money at the Stellar boundary: Decimal in the domain, integer stroops on the wire."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

STROOPS_PER_UNIT = 10_000_000
MAX_STROOPS = 2**63 - 1
SEVEN_PLACES = Decimal("0.0000001")


class AmountError(ValueError):
    """An amount that Stellar cannot represent (the `code` says why)."""

    def __init__(self, code: str, value: object) -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value


#: The only amount text accepted: ASCII digits, at most one "." with digits on both sides.
#: No sign, exponent, "_", inner spaces, or digits of other scripts (Arabic-Indic, fullwidth).
AMOUNT_TEXT = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
#: A "-" before an otherwise valid amount: reported as not positive, not as gibberish.
NEGATIVE_TEXT = re.compile(r"-[0-9]+(?:\.[0-9]+)?")
#: Text that reads as thousands in Argentina ("1.000", "12.500", "1.000.000"): refused, never
#: guessed. A leading "0" ("0.001") cannot be a thousands group, so it is a decimal.
THOUSANDS_TEXT = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
#: Digits before the point that still fit in MAX_STROOPS (922337203685.4775807).
MAX_INTEGER_DIGITS = len(str(MAX_STROOPS // STROOPS_PER_UNIT))
#: Decimals Stellar keeps (a stroop is 0.0000001).
MAX_DECIMALS = 7


def parse_amount(value: object) -> Decimal:
    """Parse a user-supplied positive amount with at most 7 decimals; refuse floats.

    The one place where amount text from JSON, CSV and the command line becomes money.
    Strings must be plain ASCII decimals ("12", "12.5", "0.0000001"); JSON integers are
    accepted; floats, booleans and anything else are refused with a stable code
    (AmountError.code): amount_missing, amount_float, amount_invalid, amount_not_positive,
    amount_too_precise, amount_too_large, amount_ambiguous_thousands. Never raises anything
    else, whatever the input (no decimal.InvalidOperation).
    """
    if isinstance(value, float):
        raise AmountError("amount_float", value)
    if isinstance(value, bool):
        raise AmountError("amount_invalid", value)
    if isinstance(value, Decimal):
        amount = value
        if not amount.is_finite():
            raise AmountError("amount_invalid", value)
    elif isinstance(value, int):
        if value <= 0:
            raise AmountError("amount_not_positive", value)
        if value > MAX_STROOPS // STROOPS_PER_UNIT:
            raise AmountError("amount_too_large", value)
        amount = Decimal(value)
    elif isinstance(value, str) or value is None:
        amount = parse_amount_text("" if value is None else value)
    else:
        raise AmountError("amount_invalid", value)
    if amount <= 0:
        raise AmountError("amount_not_positive", value)
    if amount != amount.quantize(SEVEN_PLACES, rounding=ROUND_DOWN):
        raise AmountError("amount_too_precise", value)
    if to_stroops(amount) > MAX_STROOPS:
        raise AmountError("amount_too_large", value)
    return amount.quantize(SEVEN_PLACES)


def parse_amount_text(value: str) -> Decimal:
    """The Decimal an amount string means, checked by its digits before Decimal sees it."""
    text = value.strip(" \t")
    if not text:
        raise AmountError("amount_missing", value)
    match = AMOUNT_TEXT.fullmatch(text)
    if match is None:
        if NEGATIVE_TEXT.fullmatch(text):
            raise AmountError("amount_not_positive", value)
        if THOUSANDS_TEXT.fullmatch(text):  # "1.000.000"
            raise AmountError("amount_ambiguous_thousands", value)
        raise AmountError("amount_invalid", value)
    if THOUSANDS_TEXT.fullmatch(text):
        raise AmountError("amount_ambiguous_thousands", value)
    whole, decimals = match.group(1).lstrip("0"), (match.group(2) or "")
    if len(whole) > MAX_INTEGER_DIGITS:
        raise AmountError("amount_too_large", value)
    if decimals[MAX_DECIMALS:].strip("0"):
        raise AmountError("amount_too_precise", value)
    return Decimal(f"{whole or '0'}.{decimals[:MAX_DECIMALS] or '0'}")


def to_stroops(amount: Decimal) -> int:
    """Exact conversion; raises if the amount has more than 7 decimals."""
    scaled = amount * STROOPS_PER_UNIT
    if scaled != scaled.to_integral_value():
        raise AmountError("amount_too_precise", amount)
    return int(scaled)


def from_stroops(stroops: int) -> Decimal:
    return (Decimal(stroops) / STROOPS_PER_UNIT).quantize(SEVEN_PLACES)


def format_amount(amount: Decimal) -> str:
    """The 7-decimal string Stellar operations and Horizon use."""
    return f"{amount.quantize(SEVEN_PLACES):f}"
