"""Test data for webhooks: organizations (DB only, no wallet on any network) and endpoints."""

from __future__ import annotations

import factory
from stellar_sdk import Keypair

from sozu.orgs.models import Organization


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"ong-{n}")
    name = factory.Sequence(lambda n: f"ONG {n}")
    wallet_public_key = factory.LazyFunction(lambda: Keypair.random().public_key)
