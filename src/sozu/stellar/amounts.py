"""Money at the Stellar boundary: Decimal in the domain, integer stroops on the wire."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

STROOPS_PER_UNIT = 10_000_000
MAX_STROOPS = 2**63 - 1
SEVEN_PLACES = Decimal("0.0000001")


class AmountError(ValueError):
    """An amount that Stellar cannot represent (the `code` says why)."""

    def __init__(self, code: str, value: object) -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value


def parse_amount(value: object) -> Decimal:
    """Parse a user-supplied positive amount with at most 7 decimals; refuse floats."""
    if isinstance(value, float):
        raise AmountError("amount_float", value)
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip()
        if not text:
            raise AmountError("amount_missing", value)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise AmountError("amount_invalid", value) from None
    if not amount.is_finite():
        raise AmountError("amount_invalid", value)
    if amount <= 0:
        raise AmountError("amount_not_positive", value)
    if amount != amount.quantize(SEVEN_PLACES, rounding=ROUND_DOWN):
        raise AmountError("amount_too_precise", value)
    if to_stroops(amount) > MAX_STROOPS:
        raise AmountError("amount_too_large", value)
    return amount.quantize(SEVEN_PLACES)


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
