"""The credit section's own navigation (a row of tabs under the main menu).

Each page registers its URL name in credit/urls.py; until it exists its tab is left out,
as in web/nav.py. Views pass ``credit_tab`` (the tab's key) to mark the current one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CreditTab:
    key: str
    label: str | Promise
    url_name: str


CREDIT_TABS: tuple[CreditTab, ...] = (
    CreditTab("loans", _("Loans"), "credit:loans"),
    CreditTab("arrears", _("Arrears"), "credit:arrears"),
    CreditTab("review", _("Payments to review"), "credit:review"),
    CreditTab("groups", _("Solidarity groups"), "credit:groups"),
    CreditTab("ranking", _("Ranking"), "credit:ranking"),
    CreditTab("indicators", _("Indicators"), "credit:indicators"),
    CreditTab("reports", _("Reports"), "credit:reports"),
    CreditTab("reminders", _("Reminders"), "credit:reminders"),
    CreditTab("products", _("Products"), "credit:products"),
    CreditTab("simulator", _("Simulator"), "credit:simulator"),
)


def credit_tabs() -> list[tuple[CreditTab, str]]:
    """The tabs whose page exists, with their URL."""
    tabs = []
    for tab in CREDIT_TABS:
        try:
            tabs.append((tab, reverse(tab.url_name)))
        except NoReverseMatch:
            continue
    return tabs
