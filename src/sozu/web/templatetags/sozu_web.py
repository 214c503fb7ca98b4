"""Template filters of the dashboard: money as people in Argentina read it."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sozu.formatting import format_ars, format_phone, format_usdc
from sozu.web.explorer import explorer_tx_url

register = template.Library()


def _decimal(value: object) -> Decimal | int | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def ars(value: object, places: int = 2) -> str:
    """``{{ amount|ars }}`` → ``$ 1.234,56``."""
    amount = _decimal(value)
    return "" if amount is None else format_ars(amount, places=places)


@register.filter
def phone(value: object) -> str:
    """``{{ b.phone|phone }}`` → ``+54 9 11 4321-1234`` (stored as E.164)."""
    return format_phone(str(value or ""))


@register.filter
def usdc(value: object, places: int = 2) -> str:
    """``{{ amount|usdc }}`` → ``1.234,56 USDC``."""
    amount = _decimal(value)
    return "" if amount is None else format_usdc(amount, places=places)


@register.filter
def xlm(value: object, places: int = 2) -> str:
    """``{{ amount|xlm }}`` → ``12,50 XLM`` (the same separators as USDC)."""
    amount = _decimal(value)
    if amount is None:
        return ""
    return format_usdc(amount, places=places).removesuffix("USDC") + "XLM"


@register.filter
def percent(value: object, places: int = 0) -> str:
    """``{{ 0.125|percent:1 }}`` → ``12,5 %`` (a ratio between 0 and 1)."""
    amount = _decimal(value)
    if amount is None:
        return ""
    text = format_usdc(Decimal(amount) * 100, places=places).removesuffix(" USDC")
    return f"{text} %"


@register.filter
def tx_url(tx_hash: object) -> str:
    """A transaction's page: stellar.expert on testnet/pubnet, the local network's own record."""
    return explorer_tx_url(str(tx_hash or ""))


@register.filter
def iso_datetime(value: object) -> datetime.datetime | None:
    """An ISO 8601 text from Horizon as an aware datetime, for the `date` filter."""
    parsed = parse_datetime(str(value or ""))
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, datetime.UTC)


@register.filter
def actor_label(actor: object) -> str:
    """An audit actor as people read it: `user:3:ana@ong.org` → `ana@ong.org`."""
    text = str(actor or "")
    kind, _, rest = text.partition(":")
    if kind == "user":
        return rest.partition(":")[2] or text
    if kind == "api":
        return f"API {rest}"
    if kind == "cli":
        return f"CLI ({rest})"
    return text
