"""Staff members signed in through the real sign-in (password, then TOTP) for page tests."""

from __future__ import annotations

import base64
import os

from django.test import Client
from django.urls import reverse

from sozu.orgs.models import Membership, Organization
from sozu.web.tests.helpers import PASSWORD, staff, totp_code


def new_totp_secret() -> str:
    return base64.b32encode(os.urandom(10)).decode()


def signed_in(organization: Organization, role: str) -> tuple[Client, Membership]:
    """A client signed in as a new member with `role`, with TOTP (so step-up is fresh)."""
    secret = new_totp_secret()
    member = staff(organization, role, totp_secret=secret)
    client = Client()
    r = client.post(reverse("account_login"), {"login": member.user.email, "password": PASSWORD})
    assert r.status_code == 302, r.content[:300]
    r = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert r.status_code == 302, r.content[:300]
    return client, member


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]
