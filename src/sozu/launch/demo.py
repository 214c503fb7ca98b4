"""Demo data for a fresh machine: the `demo` organization, its API key, a few beneficiaries.

Made once: a second `sozu start` finds them and changes nothing (but asks the network about a
beneficiary never checked). Only on the local network, which funds the wallet and writes the
beneficiaries' USDC trustlines itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from stellar_sdk import Keypair

from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services import beneficiaries_refresh_readiness, beneficiary_create
from sozu.orgs.management.base import write_private
from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_create, organization_create
from sozu.stellar import network

DEMO_SLUG = "demo"
DEMO_NAME = "Asociación Civil Demo"
DEMO_USDC = Decimal("100000")
DEMO_CHANNELS = 8
API_KEY_FILE = "demo-api-key.txt"
#: (full name, email, phone, DNI): made-up people, addresses made at first start.
DEMO_BENEFICIARIES = (
    ("Ana Gómez", "ana.gomez@example.org", "+54 9 11 5555-0101", "27123456"),
    ("Beatriz Ruiz", "beatriz.ruiz@example.org", "+54 9 351 555-0102", "28234567"),
    ("Carla Sosa", "carla.sosa@example.org", "+54 9 261 555-0103", "29345678"),
)


@dataclass(frozen=True)
class Demo:
    organization: Organization
    created: bool
    key_path: Path
    #: The API key in clear, only when it was made now (it is shown once).
    api_key: str | None
    beneficiaries: list[Beneficiary]


def demo_ensure(*, var_dir: Path, actor: str) -> Demo:
    """The demo organization with USDC, an API key in VAR_DIR and beneficiaries ready to pay."""
    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    created = org is None or not org.ready
    if org is None or not org.ready:  # a start interrupted mid-setup resumes it
        org = organization_create(
            slug=DEMO_SLUG,
            name=DEMO_NAME,
            actor=actor,
            fund_usdc=DEMO_USDC,
            channels=DEMO_CHANNELS,
        )
    key_path = var_dir / API_KEY_FILE
    api_key = None
    if not key_path.exists():
        _, api_key = apikey_create(organization=org, name="demo (sozu start)", actor=actor)
        write_private(key_path, api_key + "\n")
    if not Beneficiary.objects.filter(organization=org).exists():
        for full_name, email, phone, dni in DEMO_BENEFICIARIES:
            address = Keypair.random().public_key  # its owner's wallet would hold the secret
            network.localnet_fund(address, xlm=Decimal("5"), usdc=Decimal("1"))
            beneficiary_create(
                organization_id=org.pk,
                full_name=full_name,
                stellar_address=address,
                actor=actor,
                email=email,
                phone=phone,
                national_id=dni,
            )
    # Their accounts and trustlines exist now: ask the network, as the Beneficiarias page's
    # "refresh" does, so the dashboard shows them ready to receive rather than "not checked".
    never_checked = Beneficiary.objects.filter(organization=org, readiness_checked_at__isnull=True)
    beneficiaries_refresh_readiness(
        organization_id=org.pk,
        actor=actor,
        beneficiary_ids=list(never_checked.values_list("pk", flat=True)),
    )
    beneficiaries = list(Beneficiary.objects.filter(organization=org).order_by("pk"))
    # The wallet's sponsor (issue 13): new wallets are created with 0 XLM on its reserves.
    from sozu.wallet.services.accounts import sponsor_fund_on_localnet

    sponsor_fund_on_localnet()
    return Demo(org, created, key_path, api_key, beneficiaries)


# --- demo staff for the dashboard (issue 11) -------------------------------------------------
STAFF_FILE = "demo-staff.json"
#: (email, role, with an authenticator app): the approver and the owner sign in with a TOTP
#: code, as approving and executing payments, and every change in Configuración (members,
#: limits, API keys, webhooks: step-up), need a second factor.
DEMO_STAFF = (
    ("owner@demo.sozu.local", "owner", True),
    ("operator@demo.sozu.local", "operator", False),
    ("approver@demo.sozu.local", "approver", True),
)


@dataclass(frozen=True)
class DemoStaff:
    email: str
    role: str
    #: Made at random on this machine, kept in VAR_DIR/demo-staff.json (mode 0600): local only.
    password: str
    #: Base32 secret for an authenticator app (or the `sozu` test helpers), or "".
    totp_secret: str

    def otpauth_uri(self) -> str:
        from urllib.parse import quote

        return (
            f"otpauth://totp/Sozu:{quote(self.email)}?secret={self.totp_secret}&issuer=Sozu"
            if self.totp_secret
            else ""
        )


def demo_staff_ensure(*, organization: Organization, var_dir: Path, actor: str) -> list[DemoStaff]:
    """The demo's owner, operator and approver accounts; the same ones on every start."""
    import json
    import secrets

    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model

    from sozu.orgs.services import staff_membership_create

    path = var_dir / STAFF_FILE
    known: dict[str, dict[str, str]] = {}
    if path.exists():
        known = {s["email"]: s for s in json.loads(path.read_text())}
    people = []
    for email, role, with_totp in DEMO_STAFF:
        saved = known.get(email, {})
        user = get_user_model().objects.filter(email__iexact=email).first()
        password = saved.get("password") if user is not None else None
        if not password:
            password = "demo-" + secrets.token_urlsafe(9)
            staff_membership_create(
                organization=organization, email=email, role=role, password=password, actor=actor
            )
            user = get_user_model().objects.get(email__iexact=email)
        secret = saved.get("totp_secret", "") if with_totp else ""
        if with_totp:
            has = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
            if not has or not secret:
                Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
                secret = generate_totp_secret()
                TOTP.activate(user, secret)
                if not Authenticator.objects.filter(
                    user=user, type=Authenticator.Type.RECOVERY_CODES
                ).exists():
                    RecoveryCodes.activate(user)
        people.append(DemoStaff(email, role, password, secret))
    write_private(
        path,
        json.dumps(
            [
                {
                    "email": p.email,
                    "role": p.role,
                    "password": p.password,
                    "totp_secret": p.totp_secret,
                }
                for p in people
            ],
            indent=2,
        )
        + "\n",
    )
    return people
