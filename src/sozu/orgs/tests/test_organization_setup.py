"""An organization's setup that was interrupted is resumed, never duplicated."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stellar_sdk import Keypair

from sozu.disbursements.models import ChannelAccount
from sozu.errors import SozuError
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import Organization, StoredSecret
from sozu.orgs.services import _organization_insert, organization_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_setup_interrupted_before_funding_is_resumed(net_settings):
    # The process died right after saving the organization (nothing on the network yet),
    # and after storing a channel it never created.
    org = _organization_insert(
        slug="interrumpida", name="ONG", actor="test", use_env_secret=False, channels=2
    )
    ghost = Keypair.random()
    StoredSecret.objects.create(
        organization=org,
        public_key=ghost.public_key,
        role="channel",
        ciphertext=master_box().encrypt(ghost.secret),
    )
    ChannelAccount.objects.create(
        organization=org, public_key=ghost.public_key, next_sequence=0, disabled=True
    )
    assert not org.ready

    resumed = organization_create(
        slug="interrumpida", name="ONG", actor="test", fund_usdc=Decimal(10), channels=2
    )

    assert resumed.pk == org.pk and resumed.ready
    assert resumed.wallet_public_key == org.wallet_public_key
    assert net_settings.usdc_balance(org.wallet_public_key) == Decimal(10)
    usable = list(ChannelAccount.objects.filter(organization=org, disabled=False))
    assert len(usable) == 2
    assert not ChannelAccount.objects.filter(public_key=ghost.public_key).exists()
    assert Organization.objects.filter(slug="interrumpida").count() == 1


def test_a_ready_organization_is_not_created_twice(net_settings):
    organization_create(slug="lista", name="ONG", actor="test", channels=0)
    with pytest.raises(SozuError) as exc:
        organization_create(slug="lista", name="Otra", actor="test", channels=0)
    assert exc.value.code == "org_exists"
    assert Organization.objects.get(slug="lista").name == "ONG"
