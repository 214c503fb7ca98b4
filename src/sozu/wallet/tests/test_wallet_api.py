"""Her wallet on the local network: a sponsored account with 0 XLM, recovery signers, USDC
at once, payments fee-bumped by Sozu, and the invitation that links her to her NGO.

Everything goes through /wallet/api with a SEP-10 token and the real stellar-sdk.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder, TransactionEnvelope
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import Beneficiary
from sozu.wallet.models import Invitation, WalletTransaction
from sozu.wallet.services import accounts, invitations

pytestmark = pytest.mark.django_db(transaction=True)

HOME = "wallet.sozu.test"


@pytest.fixture
def wallet_net(net_settings: Any, settings: Any) -> Any:
    settings.SOZU_HOME_DOMAIN = HOME
    settings.ALLOWED_HOSTS = [HOME, "testserver", "localhost"]
    accounts.sponsor_fund_on_localnet()
    return net_settings


def token_for(client: Client, key: Keypair, account: str | None = None) -> str:
    account = account or key.public_key
    challenge = client.get("/auth", {"account": account}, HTTP_HOST=HOME).json()["transaction"]
    envelope = TransactionEnvelope.from_xdr(challenge, _passphrase())
    envelope.sign(key)
    response = client.post(
        "/auth", {"transaction": envelope.to_xdr()}, content_type="application/json", HTTP_HOST=HOME
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def _passphrase() -> str:
    from django.conf import settings

    return str(settings.NETWORK_PASSPHRASE)


def call(client: Client, method: str, url: str, token: str | None, body: Any = None) -> Any:
    headers: dict[str, Any] = {"HTTP_HOST": HOME}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, body or {}, content_type="application/json", **headers)


def sign(xdr: str, *keys: Keypair) -> str:
    envelope = TransactionEnvelope.from_xdr(xdr, _passphrase())
    for key in keys:
        envelope.sign(key)
    return envelope.to_xdr()


def create_wallet(client: Client) -> tuple[Keypair, Keypair, str]:
    device, recovery_code = Keypair.random(), Keypair.random()
    token = token_for(client, device)
    built = call(
        client,
        "post",
        "/wallet/api/account",
        token,
        {"recovery_code_signer": recovery_code.public_key},
    )
    assert built.status_code == 200, built.content
    body = built.json()
    assert body["summary"]["starting_balance"] == "0"
    submitted = call(
        client,
        "post",
        "/wallet/api/account/submit",
        token,
        {"transaction": sign(body["transaction"], device)},
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "success"
    return device, recovery_code, token


def horizon_account(net: Any, address: str) -> dict[str, Any]:
    return dict(Server(net.url).accounts().account_id(address).call())


def usdc_balance(data: dict[str, Any]) -> Decimal:
    for b in data["balances"]:
        if b.get("asset_code") == "USDC":
            return Decimal(b["balance"])
    raise AssertionError("no USDC trustline")


def pay(
    net: Any,
    source: Keypair,
    destination: str,
    amount: str,
    *,
    memo: str | None = None,
    base_fee: int = 100,
) -> str:
    server = Server(net.url)
    builder = TransactionBuilder(server.load_account(source.public_key), net.passphrase, base_fee)
    builder.append_payment_op(destination, Asset("USDC", net.usdc_issuer), amount)
    if memo:
        builder.add_text_memo(memo)
    tx = builder.set_timeout(120).build()
    tx.sign(source)
    return tx.to_xdr()


def test_a_sponsored_wallet_has_0_xlm_recovery_signers_and_receives_usdc_at_once(
    wallet_net: Any,
) -> None:
    client = Client()
    device, recovery_code, _token = create_wallet(client)
    data = horizon_account(wallet_net, device.public_key)
    native = next(b for b in data["balances"] if b["asset_type"] == "native")
    assert Decimal(native["balance"]) == 0
    assert data["sponsor"] == accounts.sponsor_public_key()
    signers = {s["key"]: s["weight"] for s in data["signers"]}
    assert signers == {
        device.public_key: 20,
        accounts.recovery_signer(): 10,
        recovery_code.public_key: 10,
    }
    assert data["thresholds"] == {"low_threshold": 20, "med_threshold": 20, "high_threshold": 20}

    payer = Keypair.random()
    wallet_net.fund(payer.public_key, xlm="10", usdc="100")
    Server(wallet_net.url).submit_transaction(pay(wallet_net, payer, device.public_key, "25"))
    assert usdc_balance(horizon_account(wallet_net, device.public_key)) == Decimal("25")


def test_her_payment_is_fee_bumped_by_sozu_and_sending_it_twice_pays_once(
    wallet_net: Any,
) -> None:
    client = Client()
    device, _code, token = create_wallet(client)
    payer = Keypair.random()
    wallet_net.fund(payer.public_key, xlm="10", usdc="100")
    Server(wallet_net.url).submit_transaction(pay(wallet_net, payer, device.public_key, "25"))
    friend = Keypair.random()
    wallet_net.fund(friend.public_key, xlm="5", usdc="1")

    signed = pay(wallet_net, device, friend.public_key, "7.5")
    first = call(client, "post", "/wallet/api/transactions", token, {"transaction": signed})
    assert first.status_code == 200, first.content
    again = call(client, "post", "/wallet/api/transactions", token, {"transaction": signed})
    assert again.status_code == 200 and again.json()["hash"] == first.json()["hash"]

    assert usdc_balance(horizon_account(wallet_net, friend.public_key)) == Decimal("8.5")
    mine = horizon_account(wallet_net, device.public_key)
    assert usdc_balance(mine) == Decimal("17.5")
    native = next(b for b in mine["balances"] if b["asset_type"] == "native")
    assert Decimal(native["balance"]) == 0  # she paid no fee
    tx = Server(wallet_net.url).transactions().transaction(first.json()["hash"]).call()
    assert tx["fee_account"] == accounts.sponsor_public_key()
    assert tx["inner_transaction"]["hash"] == first.json()["inner_hash"]
    assert WalletTransaction.objects.filter(kind="payment").count() == 1


def test_refusals_she_can_understand(wallet_net: Any) -> None:
    client = Client()
    device, _code, token = create_wallet(client)
    friend = Keypair.random()
    wallet_net.fund(friend.public_key, xlm="5", usdc="1")

    broke = call(
        client,
        "post",
        "/wallet/api/transactions",
        token,
        {"transaction": pay(wallet_net, device, friend.public_key, "1")},
    )
    assert broke.status_code == 400 and broke.json()["code"] == "insufficient_balance"
    assert "USDC" in broke.json()["detail"]

    nobody = Keypair.random().public_key
    missing = call(
        client,
        "post",
        "/wallet/api/transactions",
        token,
        {"transaction": pay(wallet_net, device, nobody, "1")},
    )
    assert missing.json()["code"] in ("destination_missing", "insufficient_balance")

    stranger = Keypair.random()
    wallet_net.fund(stranger.public_key, xlm="5", usdc="5")
    not_mine = call(
        client,
        "post",
        "/wallet/api/transactions",
        token,
        {"transaction": pay(wallet_net, stranger, friend.public_key, "1")},
    )
    assert not_mine.status_code == 403 and not_mine.json()["code"] == "wallet_source_not_yours"

    server = Server(wallet_net.url)
    xlm_tx = (
        TransactionBuilder(server.load_account(device.public_key), wallet_net.passphrase, 100)
        .append_payment_op(friend.public_key, Asset.native(), "1")
        .set_timeout(60)
        .build()
    )
    xlm_tx.sign(device)
    other_asset = call(
        client, "post", "/wallet/api/transactions", token, {"transaction": xlm_tx.to_xdr()}
    )
    assert other_asset.json()["code"] == "operation_not_allowed"

    garbage = call(client, "post", "/wallet/api/transactions", token, {"transaction": "AAAA"})
    assert garbage.status_code == 400 and garbage.json()["code"] == "wallet_transaction_unreadable"
    unsigned = call(client, "post", "/wallet/api/transactions", None, {"transaction": "AAAA"})
    assert unsigned.status_code == 401
    assert WalletTransaction.objects.filter(kind="payment", status="success").count() == 0


def test_sep29_a_destination_that_requires_a_memo_is_refused_without_one(wallet_net: Any) -> None:
    client = Client()
    device, _code, token = create_wallet(client)
    exchange = Keypair.random()
    wallet_net.fund(exchange.public_key, xlm="5", usdc="1")
    server = Server(wallet_net.url)
    setup = (
        TransactionBuilder(server.load_account(exchange.public_key), wallet_net.passphrase, 100)
        .append_manage_data_op("config.memo_required", "1")
        .set_timeout(60)
        .build()
    )
    setup.sign(exchange)
    server.submit_transaction(setup)
    refused = call(
        client,
        "post",
        "/wallet/api/transactions",
        token,
        {"transaction": pay(wallet_net, device, exchange.public_key, "1")},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "memo_required"


def test_the_creation_must_be_the_one_sozu_built_and_signed_by_her(wallet_net: Any) -> None:
    client = Client()
    device, code = Keypair.random(), Keypair.random()
    token = token_for(client, device)
    built = call(
        client, "post", "/wallet/api/account", token, {"recovery_code_signer": code.public_key}
    ).json()
    unsigned = call(
        client, "post", "/wallet/api/account/submit", token, {"transaction": built["transaction"]}
    )
    assert unsigned.json()["code"] == "wallet_not_signed"
    # Someone else's token cannot submit her creation.
    other = Keypair.random()
    other_token = token_for(client, other)
    foreign = call(
        client,
        "post",
        "/wallet/api/account/submit",
        other_token,
        {"transaction": sign(built["transaction"], device)},
    )
    assert foreign.json()["code"] == "wallet_creation_unknown"
    bad_code = call(
        client,
        "post",
        "/wallet/api/account",
        token,
        {"recovery_code_signer": accounts.recovery_signer()},
    )
    assert bad_code.json()["code"] == "wallet_recovery_signer_invalid"
    ok = call(
        client,
        "post",
        "/wallet/api/account/submit",
        token,
        {"transaction": sign(built["transaction"], device)},
    )
    assert ok.status_code == 200
    exists = call(
        client, "post", "/wallet/api/account", token, {"recovery_code_signer": code.public_key}
    )
    assert exists.status_code == 409 and exists.json()["code"] == "wallet_account_exists"


def test_an_invitation_links_her_wallet_to_her_record_once(wallet_net: Any, make_org: Any) -> None:
    org = make_org()
    her = BeneficiaryFactory.create(
        organization=org, full_name="Rosa Quispe", ready_to_receive=None
    )
    issued = invitations.invitation_create(beneficiary=her, actor="user:1")
    assert issued.invitation.code_hash != issued.code and len(issued.code) == 14
    client = Client()
    device, _code, token = create_wallet(client)

    typed = issued.code.lower().replace("-", " ")  # read aloud and typed: still the same code
    linked = call(client, "post", "/wallet/api/invitations/redeem", token, {"code": typed})
    assert linked.status_code == 200, linked.content
    assert linked.json() == {"organization": org.name, "beneficiary": "Rosa Quispe"}
    her.refresh_from_db()
    assert her.stellar_address == device.public_key
    assert her.ready_to_receive is True
    me = call(client, "get", "/wallet/api/me", token).json()
    assert me["links"] == [{"organization": org.name, "beneficiary": "Rosa Quispe"}]
    assert AuditEvent.objects.filter(
        action="wallet.invitation_redeemed", object_id=str(her.pk)
    ).exists()

    again = call(client, "post", "/wallet/api/invitations/redeem", token, {"code": issued.code})
    assert again.status_code == 200  # the same wallet opening it again
    other_token = token_for(client, Keypair.random())
    used = call(
        client, "post", "/wallet/api/invitations/redeem", other_token, {"code": issued.code}
    )
    assert used.status_code == 409 and used.json()["code"] == "invitation_used"
    wrong = call(client, "post", "/wallet/api/invitations/redeem", other_token, {"code": "ZZZZ"})
    assert wrong.status_code == 404


def test_invitations_expire_and_can_be_revoked_and_resent(wallet_net: Any, make_org: Any) -> None:
    org = make_org()
    her = BeneficiaryFactory.create(organization=org)
    first = invitations.invitation_create(beneficiary=her, actor="user:1")
    second = invitations.invitation_create(beneficiary=her, actor="user:1")  # a resend
    first.invitation.refresh_from_db()
    assert first.invitation.revoked_at is not None
    client = Client()
    token = token_for(client, Keypair.random())
    revoked = call(client, "post", "/wallet/api/invitations/redeem", token, {"code": first.code})
    assert revoked.status_code == 410 and revoked.json()["code"] == "invitation_revoked"

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=73)
    with pytest.raises(Exception) as exc:
        invitations.invitation_redeem(
            account=Keypair.random().public_key, code=second.code, now=later
        )
    assert getattr(exc.value, "code", "") == "invitation_expired"
    invitations.invitation_revoke(invitation=second.invitation, actor="user:2")
    assert (
        Invitation.objects.get(pk=second.invitation.pk).state(dt.datetime.now(dt.UTC)) == "revoked"
    )
    her.refresh_from_db()
    assert Beneficiary.objects.get(pk=her.pk).stellar_address == her.stellar_address


def test_config_and_rate_for_the_wallet(wallet_net: Any) -> None:
    client = Client()
    cfg = call(client, "get", "/wallet/api/config", None)
    assert cfg.status_code == 200
    body = cfg.json()
    assert body["usdc"] == {"code": "USDC", "issuer": wallet_net.usdc_issuer}
    assert body["sponsor"] == accounts.sponsor_public_key()
    rate = call(client, "get", "/wallet/api/rate", None).json()
    assert rate["rate"] == "1450.0000000" and rate["source"] == "manual"


def test_the_wallet_checks_a_scanned_request_before_she_signs(wallet_net: Any) -> None:
    from sozu.wallet.sep7 import pay_uri

    client = Client()
    token = token_for(client, Keypair.random())
    good = pay_uri(
        destination=Keypair.random().public_key,
        amount=Decimal("12"),
        asset=Asset("USDC", wallet_net.usdc_issuer),
        memo="SZ-1",
    )
    ok = call(client, "post", "/wallet/api/sep7/check", token, {"uri": good})
    assert ok.status_code == 200 and ok.json()["verified"] is True
    assert Decimal(ok.json()["amount"]) == 12
    bad = call(
        client,
        "post",
        "/wallet/api/sep7/check",
        token,
        {"uri": good.replace("amount=12", "amount=120")},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "sep7_signature_invalid"
    assert "no lo pagues" in bad.json()["detail"]


def test_her_history_labels_what_her_ngo_paid_her(wallet_net: Any, make_org: Any) -> None:
    from sozu.disbursements.services.payouts import payout_create, payout_pay_now

    org = make_org()
    client = Client()
    device, _code, token = create_wallet(client)
    payout = payout_create(
        organization=org,
        data={"destination": device.public_key, "amount": "40", "memo": "Crédito 1"},
        actor="test",
    )
    payout = payout_pay_now(payout=payout, worker="test")
    assert payout.status == "paid"
    listed = call(client, "get", "/wallet/api/activity", token).json()
    assert [(a["organization"], Decimal(a["amount"]), a["memo"]) for a in listed] == [
        (org.name, Decimal("40"), "Crédito 1")
    ]
    # The hash is the one Horizon lists her payment under.
    ops = Server(wallet_net.url).payments().for_account(device.public_key).call()
    hashes = {r["transaction_hash"] for r in ops["_embedded"]["records"]}
    assert listed[0]["tx_hash"] in hashes
    # Another wallet sees nothing of hers.
    other = token_for(client, Keypair.random())
    assert call(client, "get", "/wallet/api/activity", other).json() == []


def code_change(
    net: Any,
    device: Keypair,
    *,
    ops: Any,
    sponsor: str | None = None,
) -> str:
    """Her transaction on her own signers, signed with her device key; `ops(builder, account)`
    appends the operations, between begin/end sponsoring when `sponsor` is given."""
    account = device.public_key
    builder = TransactionBuilder(Server(net.url).load_account(account), net.passphrase, 100)
    if sponsor:
        builder.append_begin_sponsoring_future_reserves_op(account, source=sponsor)
    ops(builder, account)
    if sponsor:
        builder.append_end_sponsoring_future_reserves_op(source=account)
    tx = builder.set_timeout(120).build()
    tx.sign(device)
    return tx.to_xdr()


def test_a_new_recovery_code_replaces_the_old_one_fee_bumped_and_sponsored(
    wallet_net: Any,
) -> None:
    client = Client()
    device, old_code, token = create_wallet(client)
    new_code = Keypair.random()

    def replace(builder: Any, account: str) -> None:
        builder.append_ed25519_public_key_signer(old_code.public_key, 0, source=account)
        builder.append_ed25519_public_key_signer(new_code.public_key, 10, source=account)

    xdr = code_change(wallet_net, device, ops=replace, sponsor=accounts.sponsor_public_key())
    done = call(client, "post", "/wallet/api/transactions", token, {"transaction": xdr})
    assert done.status_code == 200, done.content
    data = horizon_account(wallet_net, device.public_key)
    assert {s["key"]: s["weight"] for s in data["signers"]} == {
        device.public_key: 20,
        accounts.recovery_signer(): 10,
        new_code.public_key: 10,
    }
    assert data["thresholds"] == {"low_threshold": 20, "med_threshold": 20, "high_threshold": 20}
    native = next(b for b in data["balances"] if b["asset_type"] == "native")
    assert Decimal(native["balance"]) == 0
    row = WalletTransaction.objects.get(account=device.public_key, kind="signers")
    assert row.status == "success"


def test_her_signer_changes_never_touch_sozus_recovery_signer_thresholds_or_her_key(
    wallet_net: Any,
) -> None:
    from stellar_sdk import Signer

    client = Client()
    device, old_code, token = create_wallet(client)
    sponsor = accounts.sponsor_public_key()
    sozu = accounts.recovery_signer()
    refused: dict[str, Any] = {
        "remove Sozu's recovery signer": lambda b, a: b.append_ed25519_public_key_signer(
            sozu, 0, source=a
        ),
        "lower the thresholds": lambda b, a: b.append_set_options_op(
            low_threshold=10, med_threshold=10, high_threshold=10, source=a
        ),
        "change the master weight": lambda b, a: b.append_set_options_op(
            master_weight=10, source=a
        ),
        "a signer heavier than a code": lambda b, a: b.append_ed25519_public_key_signer(
            Keypair.random().public_key, 20, source=a
        ),
        "a signer and a threshold together": lambda b, a: b.append_set_options_op(
            signer=Signer.ed25519_public_key(Keypair.random().public_key, 10),
            med_threshold=10,
            source=a,
        ),
        "her device key's weight": lambda b, a: b.append_ed25519_public_key_signer(a, 0, source=a),
        "a home domain": lambda b, a: b.append_set_options_op(home_domain="evil.example", source=a),
    }
    for why, ops in refused.items():
        for sponsored in (None, sponsor):
            xdr = code_change(wallet_net, device, ops=ops, sponsor=sponsored)
            answer = call(client, "post", "/wallet/api/transactions", token, {"transaction": xdr})
            assert answer.status_code == 400, why
            assert answer.json()["code"] == "operation_not_allowed", why

    # Sozu sponsors signer changes only: not a payment, not two new signers at once.
    def two_codes(builder: Any, account: str) -> None:
        for _ in range(2):
            builder.append_ed25519_public_key_signer(
                Keypair.random().public_key, 10, source=account
            )

    def sponsored_payment(builder: Any, account: str) -> None:
        builder.append_payment_op(
            account, Asset("USDC", wallet_net.usdc_issuer), "1", source=account
        )

    for ops in (two_codes, sponsored_payment):
        xdr = code_change(wallet_net, device, ops=ops, sponsor=sponsor)
        answer = call(client, "post", "/wallet/api/transactions", token, {"transaction": xdr})
        assert answer.json()["code"] == "operation_not_allowed"
    assert not WalletTransaction.objects.filter(kind="signers").exists()
    data = horizon_account(wallet_net, device.public_key)
    assert {s["key"]: s["weight"] for s in data["signers"]} == {
        device.public_key: 20,
        sozu: 10,
        old_code.public_key: 10,
    }
