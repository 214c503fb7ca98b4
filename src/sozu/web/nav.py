"""The dashboard's main navigation: (label, URL name). A page appears once its URL exists.

Pages built later register the URL names below (in their app's urls.py, included from
sozu/urls.py); until then their entry is left out of the menu instead of linking to a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    #: The URL prefix that marks the item as the current page.
    section: str


NAV: tuple[NavItem, ...] = (
    NavItem(_("Home"), "web:home", "home"),
    NavItem(_("Beneficiaries"), "beneficiaries:list", "beneficiaries"),
    NavItem(_("Batches"), "batches:list", "batches"),
    NavItem(_("Payouts"), "payouts:list", "payouts"),
    NavItem(_("Credit"), "credit:loans", "credit"),
    NavItem(_("Wallet"), "orgs:wallet", "wallet"),
    NavItem(_("Audit"), "audit:events", "audit"),
    NavItem(_("Settings"), "orgs:settings", "settings"),
)


def nav_links() -> list[tuple[NavItem, str]]:
    """The items whose page exists, with their URL."""
    links = []
    for item in NAV:
        try:
            links.append((item, reverse(item.url_name)))
        except NoReverseMatch:
            continue
    return links
