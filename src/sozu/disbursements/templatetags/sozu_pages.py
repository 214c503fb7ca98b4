"""Template filters of the Lotes and Pagos pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def actor_name(actor: object) -> str:
    """An audit actor as a person reads it: `user:7:ana@ong.org` → `ana@ong.org`."""
    text = str(actor or "")
    kind, _sep, rest = text.partition(":")
    if kind == "user":
        _pk, _sep2, email = rest.partition(":")
        return email or text
    if kind == "api":
        return _("API key %(prefix)s") % {"prefix": rest}
    if kind == "worker":
        return _("the scheduler")
    return text
