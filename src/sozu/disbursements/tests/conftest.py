"""Fixtures of the disbursement tests: a funded org, an API client, recipients.

`net_settings` (settings pointed at the local network) comes from the root conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from stellar_sdk import Keypair
from tests.localnet_process import LocalNet

from sozu.disbursements.tests.api.helpers import new_org
from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_create


@pytest.fixture
def org(net_settings: LocalNet) -> Organization:
    """An NGO with 1000 USDC in its wallet and two channel accounts."""
    return new_org()


@pytest.fixture
def client_for() -> Callable[[Organization], Client]:
    """A test client that calls the API with a new key of the given organization."""

    def make(organization: Organization) -> Client:
        _, token = apikey_create(organization=organization, name="tests", actor="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return make


@pytest.fixture
def api_client(org: Organization, client_for: Callable[[Organization], Client]) -> Client:
    return client_for(org)


@pytest.fixture
def recipient(net_settings: LocalNet) -> Callable[[], str]:
    """New accounts on the network with a USDC trustline (and 1 USDC), ready to be paid."""

    def make() -> str:
        kp = Keypair.random()
        net_settings.fund(kp.public_key, xlm="10", usdc="1")
        return str(kp.public_key)

    return make
