"""Tier B recovery on the local network: new phone, her recovery code, a code by SMS, staff
confirmation; then her new device key signs her in and the old one no longer can."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.test import Client
from stellar_sdk import Keypair, Server
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.tests.web.helpers import signed_in, text
from sozu.wallet import sms
from sozu.wallet.models import RecoveryRequest
from sozu.wallet.services import invitations
from sozu.wallet.services.accounts import recovery_signer
from sozu.wallet.services.recovery import proof_message
from sozu.wallet.tests.test_wallet_api import HOME, call, create_wallet, sign, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wallet_net(net_settings: Any, settings: Any) -> Any:
    from sozu.wallet.services import accounts

    settings.SOZU_HOME_DOMAIN = HOME
    settings.ALLOWED_HOSTS = [HOME, "testserver", "localhost"]
    settings.SOZU_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    accounts.sponsor_fund_on_localnet()
    return net_settings


def start(
    client: Client,
    account: str,
    new: Keypair,
    code_key: Keypair,
    *,
    proof_by: Keypair | None = None,
) -> Any:
    proof = (proof_by or code_key).sign(proof_message(account, new.public_key))
    return call(
        client,
        "post",
        "/wallet/api/recovery",
        None,
        {
            "account": account,
            "new_device_key": new.public_key,
            "recovery_code_key": code_key.public_key,
            "proof": base64.b64encode(proof).decode(),
        },
    )


def test_she_recovers_her_wallet_on_a_new_phone(wallet_net: Any, make_org: Any) -> None:
    org = make_org()
    her = BeneficiaryFactory.create(
        organization=org, full_name="Rosa Quispe", phone="+5493884000111"
    )
    client = Client()
    old_device, code_key, token = create_wallet(client)
    issued = invitations.invitation_create(beneficiary=her, actor="user:1")
    call(client, "post", "/wallet/api/invitations/redeem", token, {"code": issued.code})
    account = old_device.public_key

    new_device = Keypair.random()
    started = start(client, account, new_device, code_key)
    assert started.status_code == 200, started.content
    handle = started.json()["handle"]
    assert started.json()["status"] == "pending_otp"
    assert len(sms.outbox) == 1 and sms.outbox[0].to == "+5493884000111"
    code = re.search(r"\b(\d{6})\b", sms.outbox[0].text)
    assert code is not None

    # Not before the staff confirmed: no transaction to sign.
    early = call(client, "get", f"/wallet/api/recovery/{handle}/transaction", None)
    assert early.status_code == 409
    wrong = call(
        client,
        "post",
        f"/wallet/api/recovery/{handle}/code",
        None,
        {"code": "000000" if code.group(1) != "000000" else "111111"},
    )
    assert wrong.status_code == 400 and "4" in wrong.json()["detail"]
    right = call(
        client, "post", f"/wallet/api/recovery/{handle}/code", None, {"code": code.group(1)}
    )
    assert right.json()["status"] == "pending_staff"

    approver, _m = signed_in(org, "approver")
    page = text(approver.get(f"/beneficiarias/{her.pk}/"))
    assert "recuperar su billetera" in page
    req = RecoveryRequest.objects.get()
    assert approver.post(f"/beneficiarias/recuperaciones/{req.pk}/confirmar/").status_code == 302
    assert call(client, "get", f"/wallet/api/recovery/{handle}", None).json()["status"] == "ready"

    xdr = call(client, "get", f"/wallet/api/recovery/{handle}/transaction", None).json()[
        "transaction"
    ]
    done = call(
        client,
        "post",
        f"/wallet/api/recovery/{handle}/submit",
        None,
        {"transaction": sign(xdr, code_key)},
    )
    assert done.status_code == 200, done.content

    data = Server(wallet_net.url).accounts().account_id(account).call()
    signers = {s["key"]: s["weight"] for s in data["signers"]}
    assert signers == {  # Horizon lists the master key too, here switched off
        new_device.public_key: 20,
        recovery_signer(): 10,
        code_key.public_key: 10,
        account: 0,
    }
    native = next(b for b in data["balances"] if b["asset_type"] == "native")
    assert float(native["balance"]) == 0
    # The new phone signs her in; the lost one cannot any more.
    assert token_for(client, new_device, account)
    old = client.get("/auth", {"account": account}, HTTP_HOST=HOME).json()["transaction"]
    refused = client.post(
        "/auth",
        {"transaction": sign(old, old_device)},
        content_type="application/json",
        HTTP_HOST=HOME,
    )
    assert refused.status_code == 400
    actions = set(AuditEvent.objects.filter(object_id=str(her.pk)).values_list("action", flat=True))
    assert {"wallet.recovery_requested", "wallet.recovery_confirmed", "wallet.recovered"} <= actions


def test_only_her_recovery_code_can_ask_and_codes_run_out(wallet_net: Any, make_org: Any) -> None:
    org = make_org()
    her = BeneficiaryFactory.create(organization=org, phone="+5493884000222")
    client = Client()
    device, code_key, token = create_wallet(client)
    issued = invitations.invitation_create(beneficiary=her, actor="user:1")
    call(client, "post", "/wallet/api/invitations/redeem", token, {"code": issued.code})

    stranger = Keypair.random()
    forged = start(client, device.public_key, Keypair.random(), stranger)
    assert forged.status_code == 403
    bad_proof = start(client, device.public_key, Keypair.random(), code_key, proof_by=stranger)
    assert bad_proof.status_code == 403
    assert sms.outbox == []

    handle = start(client, device.public_key, Keypair.random(), code_key).json()["handle"]
    for _ in range(5):
        call(client, "post", f"/wallet/api/recovery/{handle}/code", None, {"code": "12345x"})
    after = call(client, "post", f"/wallet/api/recovery/{handle}/code", None, {"code": "123456"})
    assert after.status_code == 410
    # A viewer cannot confirm a recovery.
    req = RecoveryRequest.objects.get()
    req.status = RecoveryRequest.Status.PENDING_STAFF
    req.save()
    viewer, _m = signed_in(org, "viewer")
    assert viewer.post(f"/beneficiarias/recuperaciones/{req.pk}/confirmar/").status_code == 403
    assert RecoveryRequest.objects.get().status == "pending_staff"
