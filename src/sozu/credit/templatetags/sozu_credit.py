"""Template filters of the credit pages."""

from __future__ import annotations

from django import template

from sozu.web.templatetags.sozu_web import ars, usdc

register = template.Library()


@register.filter
def money(value: object, currency: str = "ARS") -> str:
    """``{{ amount|money:currency }}``: ``1.234,56 USDC`` for USDC, ``$ 1.234,56`` otherwise."""
    return usdc(value) if currency == "USDC" else ars(value)
