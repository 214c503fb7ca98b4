"""factory_boy factories for data that needs no network (organizations without a wallet)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from stellar_sdk import Keypair

from sozu.beneficiaries.identity import cuil_check_digit
from sozu.beneficiaries.models import Beneficiary
from sozu.disbursements.models import Batch, Payout
from sozu.orgs.models import Organization


def random_address() -> str:
    return str(Keypair.random().public_key)


def cuil_for(dni: str, prefix: str = "27") -> str:
    """A valid CUIL for a DNI (prefix 27 for women, as AFIP assigns)."""
    first_ten = f"{prefix}{dni.zfill(8)}"
    digit = cuil_check_digit(first_ten)
    if digit is None:  # AFIP would use prefix 23 instead
        first_ten = f"23{dni.zfill(8)}"
        digit = cuil_check_digit(first_ten)
    return f"{first_ten}{digit}"


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"ong-{n}")
    name = factory.Sequence(lambda n: f"Asociación Civil {n}")
    wallet_public_key = factory.LazyFunction(random_address)
    ready = True


class BeneficiaryFactory(factory.django.DjangoModelFactory[Beneficiary]):
    class Meta:
        model = Beneficiary

    organization = factory.SubFactory(OrganizationFactory)
    full_name = factory.Sequence(lambda n: f"Emprendedora {n:05d}")
    stellar_address = factory.LazyFunction(random_address)
    national_id = factory.Sequence(lambda n: str(20_000_000 + n))
    identity_key = factory.LazyAttribute(lambda o: f"dni:{o.national_id.zfill(8)}")
    phone = "+5491112345678"
    locality = "Salta"
    activity = "Costura"
    status = Beneficiary.Status.APPROVED


class BatchFactory(factory.django.DjangoModelFactory[Batch]):
    class Meta:
        model = Batch

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Lote {n}")
    created_by = "user:1"


class PayoutFactory(factory.django.DjangoModelFactory[Payout]):
    class Meta:
        model = Payout

    organization = factory.SubFactory(OrganizationFactory)
    destination = factory.LazyFunction(random_address)
    amount = Decimal("10")
    status = Payout.Status.PAID
    created_by = "user:1"


def application(**overrides: Any) -> dict[str, Any]:
    """What an operator types in the application form."""
    data = {
        "full_name": "Ana Quispe",
        "national_id": "30.111.222",
        "phone": "0387 15-555-0101",
        "stellar_address": random_address(),
        "locality": "Salta",
        "activity": "Panadería",
        "notes": "Referida por la cooperativa",
    }
    data.update(overrides)
    return data
