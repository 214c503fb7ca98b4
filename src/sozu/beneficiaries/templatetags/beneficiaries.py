"""Template filters of the Beneficiarias pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def national_id(value: object) -> str:
    """A DNI as people write it (30.111.222), a CUIL with its dashes (27-30111222-3)."""
    digits = str(value or "")
    if not digits.isdigit():
        return digits
    if len(digits) == 11:
        return f"{digits[:2]}-{digits[2:10]}-{digits[10]}"
    if len(digits) in (7, 8):
        return f"{int(digits):,}".replace(",", ".")
    return digits
