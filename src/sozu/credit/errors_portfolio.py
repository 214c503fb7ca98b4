"""The refusals of the portfolio pages (mora follow-up, indicators filters), merged into the
shared error table like credit/errors.py."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sozu.errors import MESSAGES

PORTFOLIO_MESSAGES: dict[str, tuple[Promise, int]] = {
    "follow_up_note_missing": (_("Write what was done or agreed."), 400),
    "follow_up_promise_date_missing": (_("A promise to pay needs the promised date."), 400),
    "follow_up_promise_amount_invalid": (
        _("The promised amount must be greater than zero with at most 2 decimals (%(value)s)."),
        400,
    ),
    "follow_up_loan_not_disbursed": (
        _("Only a loan that was paid out can have follow-ups."),
        409,
    ),
    "portfolio_period_invalid": (
        _("The period must start on or before the day it ends."),
        400,
    ),
}

MESSAGES.update(PORTFOLIO_MESSAGES)

__all__ = ["PORTFOLIO_MESSAGES"]
