"""Why a line failed or was cancelled, in the person's language."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from sozu.disbursements.models import Payout
from sozu.errors import message_for


def failure_reason(code: str) -> str:
    if not code:
        return ""
    # These two messages name a person or a count the payout row does not keep.
    if code == "cancelled_by_user":
        return _("Cancelled before it was paid.")
    if code == "too_many_retries":
        return _("The network kept refusing this payment; it was stopped after several tries.")
    return message_for(code)


def with_reasons(payouts: Iterable[Payout]) -> None:
    """Sets `failure_reason` on each payout of a page (no query)."""
    for p in payouts:
        p.failure_reason = failure_reason(p.failure_code)  # type: ignore[attr-defined]
