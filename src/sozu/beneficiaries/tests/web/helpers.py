"""Signed-in test clients and small files for the Beneficiarias pages' tests."""

from __future__ import annotations

from django.test import Client

from sozu.orgs.models import Membership, Organization
from sozu.web.tests.helpers import TOTP_SECRET, staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def signed_in(organization: Organization, role: str) -> tuple[Client, Membership]:
    """A client signed in as a member with `role` (with TOTP, so no action is refused for
    lack of a second factor)."""
    m = staff(organization, role, totp_secret=TOTP_SECRET)
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    client.force_login(m.user)
    return client, m


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]
