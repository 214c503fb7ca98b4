"""Amounts for display: ARS and USDC in the active language, from Decimal only (never float).

In Spanish (the default, es-AR) thousands are separated by dots and decimals by a comma:
``$ 1.234,56`` and ``1.234,56 USDC``. In English: ``$ 1,234.56`` and ``1,234.56 USDC``.
Amounts are rounded half up (away from zero on .5) for display only; stored amounts keep
their full precision. A negative sign goes first: ``-$ 1.234,56``, ``-1.234,56 USDC``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import phonenumbers
from django.conf import settings
from django.utils import translation

__all__ = ["format_ars", "format_phone", "format_usdc", "round_for_display"]

#: language prefix → (thousands separator, decimal separator). Anything else uses es-AR.
_SEPARATORS: dict[str, tuple[str, str]] = {
    "es": (".", ","),
    "en": (",", "."),
}


def round_for_display(amount: Decimal | int, places: int = 2) -> Decimal:
    """`amount` rounded half up to `places` decimals (what the formatters show)."""
    value = _as_decimal(amount)
    if places < 0:
        raise ValueError("places must be zero or more")
    with localcontext() as ctx:
        # Enough digits for any finite amount: quantize must never raise for lack of precision.
        ctx.prec = max(28, value.adjusted() + places + 2)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = rounded.copy_abs()  # never show "-0,00"
    return rounded


def format_ars(amount: Decimal | int, *, places: int = 2, language: str | None = None) -> str:
    """``$ 1.234,56`` (es) / ``$ 1,234.56`` (en); negative ``-$ 1.234,56``."""
    sign, number = _format_number(amount, places, language)
    return f"{sign}$ {number}"


def format_usdc(amount: Decimal | int, *, places: int = 2, language: str | None = None) -> str:
    """``1.234,56 USDC`` (es) / ``1,234.56 USDC`` (en); negative ``-1.234,56 USDC``."""
    sign, number = _format_number(amount, places, language)
    return f"{sign}{number} USDC"


def _format_number(amount: Decimal | int, places: int, language: str | None) -> tuple[str, str]:
    rounded = round_for_display(amount, places)
    thousands, decimal_point = _separators(language)
    # Decimal's own formatting is exact; "," and "." are swapped for the language after.
    # copy_abs, not abs(): abs() rounds to the context's 28 significant digits.
    plain = format(rounded.copy_abs(), f",.{places}f")
    number = plain.translate(str.maketrans(",.", thousands + decimal_point))
    return ("-" if rounded < 0 else ""), number


def _separators(language: str | None) -> tuple[str, str]:
    lang = language or translation.get_language() or settings.LANGUAGE_CODE
    return _SEPARATORS.get(lang.split("-")[0].lower(), _SEPARATORS["es"])


def _as_decimal(amount: object) -> Decimal:
    # bool is an int: True would print as "$ 1,00". Floats are refused: they are not exact.
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amounts must be Decimal or int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"cannot format a non-finite amount: {value}")
    return value


def format_phone(e164: str) -> str:
    """A stored E.164 phone as people write it: ``+5491143211234`` → ``+54 9 11 4321-1234``.

    The area code's length (2 to 4 digits in Argentina) comes from libphonenumber's tables;
    a mobile keeps its 9 after +54. Anything that is not a valid number is shown as stored.
    """
    text = (e164 or "").strip()
    if not text.startswith("+"):
        return text
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
