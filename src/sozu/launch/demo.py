"""Demo data for a fresh machine: the `demo` organization, its API key, a few beneficiaries.

Made once: a second `sozu start` finds them and changes nothing. Only on the local network,
which funds the wallet and writes the beneficiaries' USDC trustlines itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from stellar_sdk import Keypair

from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services import beneficiary_create
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
    beneficiaries = list(Beneficiary.objects.filter(organization=org).order_by("pk"))
    return Demo(org, created, key_path, api_key, beneficiaries)
