""" "Ready to receive" is read from the (local) network and stored with the time of the check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from stellar_sdk import Keypair, MuxedAccount
from tests.factories import BeneficiaryFactory, OrganizationFactory

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.services import beneficiary_refresh_readiness
from sozu.beneficiaries.services.readiness import beneficiaries_refresh_readiness
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_an_account_with_a_usdc_trustline_is_ready_and_the_check_time_is_kept(
    net_settings, make_recipient
) -> None:
    b = BeneficiaryFactory.create(stellar_address=make_recipient())

    with time_machine.travel(NOON, tick=False):
        b = beneficiary_refresh_readiness(beneficiary=b, actor="user:1")

    b.refresh_from_db()
    assert (b.ready_to_receive, b.readiness_code, b.readiness_checked_at) == (True, "", NOON)
    assert AuditEvent.objects.get(action="beneficiary.readiness_changed").data == {
        "ready": True,
        "code": "",
    }


def test_a_muxed_address_is_ready_when_its_account_is(net_settings, make_recipient) -> None:
    muxed = MuxedAccount(make_recipient(), 7).account_muxed
    b = BeneficiaryFactory.create(stellar_address=muxed)
    assert beneficiary_refresh_readiness(beneficiary=b, actor="u").ready_to_receive is True


@pytest.mark.parametrize(
    ("setup", "code"),
    [("missing", "destination_not_found"), ("no_trustline", "destination_no_trustline")],
)
def test_an_account_that_cannot_receive_usdc_is_not_ready_and_says_why(
    net_settings, make_recipient, setup, code
) -> None:
    if setup == "missing":
        address = Keypair.random().public_key
    else:
        address = make_recipient(trustline=False)
    b = BeneficiaryFactory.create(stellar_address=address)

    b = beneficiary_refresh_readiness(beneficiary=b, actor="u")

    assert (b.ready_to_receive, b.readiness_code) == (False, code)


def test_refreshing_on_demand_sees_her_new_trustline(net_settings, localnet) -> None:
    kp = Keypair.random()
    localnet.fund(kp.public_key, xlm="10", usdc="0")
    b = BeneficiaryFactory.create(stellar_address=kp.public_key)
    assert beneficiary_refresh_readiness(beneficiary=b, actor="u").ready_to_receive is False

    localnet.fund(kp.public_key, xlm="1", usdc="1")  # she adds the trustline (and gets 1 USDC)
    b = beneficiary_refresh_readiness(beneficiary=b, actor="u")

    assert b.ready_to_receive is True
    assert [
        e.data["ready"] for e in AuditEvent.objects.filter(action="beneficiary.readiness_changed")
    ] == [False, True]


def test_when_the_network_cannot_be_reached_the_last_answer_is_kept(settings) -> None:
    from sozu.stellar import network

    settings.HORIZON_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.USDC_ISSUER = Keypair.random().public_key
    settings.HORIZON_TIMEOUT_SECONDS = 2
    network.reset_caches()
    b = BeneficiaryFactory.create(organization=OrganizationFactory.create(), ready_to_receive=True)
    try:
        with pytest.raises(SozuError) as exc:
            beneficiary_refresh_readiness(beneficiary=b, actor="u")
    finally:
        network.reset_caches()

    assert exc.value.code == "network_unavailable"
    b.refresh_from_db()
    assert (b.ready_to_receive, b.readiness_checked_at) == (True, None)


def test_the_list_refreshes_every_approved_beneficiary_at_once(net_settings, make_recipient):
    org = OrganizationFactory.create()
    ready = BeneficiaryFactory.create(organization=org, stellar_address=make_recipient())
    missing = BeneficiaryFactory.create(organization=org)  # a random, unfunded address
    applied = BeneficiaryFactory.create(organization=org, status="applied")
    elsewhere = BeneficiaryFactory.create(stellar_address=make_recipient())

    n = beneficiaries_refresh_readiness(organization_id=org.pk, actor="user:1")

    assert n == 2
    for b in (ready, missing, applied, elsewhere):
        b.refresh_from_db()
    assert (ready.ready_to_receive, missing.ready_to_receive) == (True, False)
    assert missing.readiness_code == "destination_not_found"
    assert applied.readiness_checked_at is None and elsewhere.readiness_checked_at is None
    # Chosen ones, whatever their status; another organization's ids are ignored.
    assert (
        beneficiaries_refresh_readiness(
            organization_id=org.pk, actor="u", beneficiary_ids=[applied.pk, elsewhere.pk]
        )
        == 1
    )
