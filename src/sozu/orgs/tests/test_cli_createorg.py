"""`sozu createorg`: the organization's wallet exists on the network, ready to hold USDC."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from stellar_sdk import Keypair, Server
from tests.localnet_process import LocalNet, free_port

from sozu.disbursements.models import ChannelAccount
from sozu.errors import message_for
from sozu.orgs.models import Organization, StoredSecret
from sozu.orgs.tests.cli_helpers import run_sozu

pytestmark = pytest.mark.django_db


def usdc_line(net: LocalNet, address: str) -> dict[str, str] | None:
    account = Server(net.url).accounts().account_id(address).call()
    return next(
        (
            b
            for b in account["balances"]
            if b.get("asset_code") == "USDC" and b.get("asset_issuer") == net.usdc_issuer
        ),
        None,
    )


def test_createorg_makes_a_wallet_with_a_usdc_trustline(net_settings: LocalNet) -> None:
    ran = run_sozu(
        "createorg", "acme", "--name", "Acme Microcréditos", "--fund-usdc", "500", "--channels", "2"
    )

    assert ran.code == 0, ran.err
    org = Organization.objects.get(slug="acme")
    assert org.name == "Acme Microcréditos"
    assert "acme" in ran.out
    assert f"Fund this address with USDC before paying out: {org.wallet_public_key}" in ran.out
    line = usdc_line(net_settings, org.wallet_public_key)
    assert line is not None
    assert Decimal(line["balance"]) == Decimal("500")
    assert ChannelAccount.objects.filter(organization=org, disabled=False).count() == 2
    # The secret is kept, encrypted, and was never shown (run_sozu checks every output).
    assert StoredSecret.objects.filter(public_key=org.wallet_public_key).exists()


def test_createorg_uses_the_wallet_in_the_environment(
    net_settings: LocalNet, settings: Any
) -> None:
    wallet = Keypair.random()
    settings.ORG_DISBURSEMENT_SECRET = wallet.secret

    ran = run_sozu("createorg", "solo", "--name", "Solo", "--use-env-secret", "--channels", "1")

    assert ran.code == 0, ran.err
    org = Organization.objects.get(slug="solo")
    assert org.wallet_public_key == wallet.public_key
    assert wallet.public_key in ran.out
    assert usdc_line(net_settings, wallet.public_key) is not None
    # The environment holds this secret: it is not copied into the database.
    assert not StoredSecret.objects.filter(public_key=wallet.public_key).exists()


def test_createorg_refuses_a_slug_in_use(net_settings: LocalNet) -> None:
    assert run_sozu("createorg", "dup", "--name", "First", "--channels", "0").code == 0

    ran = run_sozu("createorg", "dup", "--name", "Second", "--channels", "0")

    assert ran.code == 1
    assert ran.err.strip() == message_for("org_exists", {"slug": "dup"})
    assert list(Organization.objects.values_list("name", flat=True)) == ["First"]


def test_createorg_refuses_a_bad_amount_before_touching_anything(net_settings: LocalNet) -> None:
    ran = run_sozu("createorg", "bad", "--name", "Bad", "--fund-usdc", "lots")

    assert ran.code == 1
    assert ran.err.strip() == message_for("amount_invalid", {"value": "lots"})
    assert not Organization.objects.exists()


def test_createorg_with_the_network_down_saves_nothing(
    net_settings: LocalNet, settings: Any
) -> None:
    settings.HORIZON_URL = f"http://127.0.0.1:{free_port()}"

    ran = run_sozu("createorg", "offline", "--name", "Offline")

    assert ran.code == 1
    detail = f"{settings.HORIZON_URL} (ConnectionError)"
    assert ran.err.strip() == message_for("network_unavailable", {"detail": detail})
    assert not Organization.objects.exists()
