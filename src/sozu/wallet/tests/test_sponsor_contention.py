"""Several sign-ups at once: each sponsored creation gets its own sequence (no tx_bad_seq)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from stellar_sdk import FeeBumpTransactionEnvelope, Keypair

from sozu.wallet.errors import SozuError
from sozu.wallet.models import SponsorChannel, WalletTransaction
from sozu.wallet.services import accounts
from sozu.wallet.tests.test_wallet_api import HOME, call, horizon_account, sign, token_for

pytestmark = pytest.mark.django_db(transaction=True)
SIGN_UPS = 5


@pytest.fixture
def wallet_net(net_settings: Any, settings: Any) -> Any:
    settings.SOZU_HOME_DOMAIN = HOME
    settings.ALLOWED_HOSTS = [HOME, "testserver", "localhost"]
    accounts.sponsor_fund_on_localnet()
    return net_settings


def _in_threads(work: Callable[[int], Any], n: int) -> list[Any]:
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _sign_ups_at_once(wallet_net: Any) -> list[str]:
    """SIGN_UPS creations built before any is signed (each woman reads her summary), then
    signed and submitted at once, in whatever order the threads run; their addresses."""
    built_all = threading.Barrier(SIGN_UPS)

    def sign_up(i: int) -> tuple[str, int, str]:
        client = Client()
        device, code = Keypair.random(), Keypair.random()
        token = token_for(client, device)
        built = call(
            client, "post", "/wallet/api/account", token, {"recovery_code_signer": code.public_key}
        )
        assert built.status_code == 200, built.content
        built_all.wait(timeout=60)
        submitted = call(
            client,
            "post",
            "/wallet/api/account/submit",
            token,
            {"transaction": sign(built.json()["transaction"], device)},
        )
        return device.public_key, submitted.status_code, submitted.content.decode()

    results = _in_threads(sign_up, SIGN_UPS)

    # Before the channels, four of five got 409 bad_sequence (tx_bad_seq): one sponsor sequence.
    errors = [r for r in results if isinstance(r, BaseException) or r[1] != 200]
    assert errors == []
    return [r[0] for r in results]


def test_five_sign_ups_built_together_and_signed_in_any_order_all_get_their_account(
    wallet_net: Any,
) -> None:
    addresses = _sign_ups_at_once(wallet_net)

    sponsor = accounts.sponsor_public_key()
    sources = set()
    for address in addresses:
        record = horizon_account(wallet_net, address)
        assert sorted(s["weight"] for s in record["signers"]) == [10, 10, 20]
        assert [b["balance"] for b in record["balances"] if b["asset_type"] == "native"] == [
            "0.0000000"
        ]
        row = WalletTransaction.objects.get(account=address)
        assert row.status == WalletTransaction.Status.SUCCESS
        bump = FeeBumpTransactionEnvelope.from_xdr(row.envelope_xdr, wallet_net.passphrase)
        # Sozu pays the fee; each creation had its own source (a channel), never the sponsor.
        assert bump.transaction.fee_source.account_id == sponsor
        inner = bump.transaction.inner_transaction_envelope.transaction
        sources.add(inner.source.account_id)
    channels = set(SponsorChannel.objects.values_list("public_key", flat=True))
    assert sources == channels and len(channels) == SIGN_UPS
    assert sponsor not in channels
    # Settled: every channel is free again, and the next five sign-ups reuse them.
    assert not SponsorChannel.objects.exclude(leased_until=None).exists()
    _sign_ups_at_once(wallet_net)
    assert SponsorChannel.objects.count() == SIGN_UPS
    assert WalletTransaction.objects.filter(status=WalletTransaction.Status.SUCCESS).count() == (
        2 * SIGN_UPS
    )


def test_a_creation_holds_its_channel_until_it_is_settled_or_expired(
    wallet_net: Any, settings: Any
) -> None:
    settings.SOZU_WALLET_SPONSOR_CHANNELS = 1
    now = dt.datetime.now(dt.UTC)
    first, second = Keypair.random(), Keypair.random()
    built = accounts.account_creation_build(
        account=first.public_key, recovery_code_signer=Keypair.random().public_key, now=now
    )
    # The one channel is held by her unsigned creation: another sign-up is told to wait.
    with pytest.raises(SozuError) as busy:
        accounts.account_creation_build(
            account=second.public_key, recovery_code_signer=Keypair.random().public_key, now=now
        )
    assert busy.value.code == "sponsor_busy"
    # She signs: once it is on the network the channel is free for the next one.
    accounts.account_creation_submit(
        account=first.public_key, signed_xdr=sign(built.xdr, first), now=now
    )
    assert SponsorChannel.objects.get().leased_until is None
    held = accounts.account_creation_build(
        account=second.public_key, recovery_code_signer=Keypair.random().public_key, now=now
    )
    # Never signed: past its time bound (and the margin) the channel is taken by another.
    later = now + dt.timedelta(
        seconds=settings.SOZU_WALLET_SIGN_SECONDS + accounts.LEASE_MARGIN_SECONDS
    )
    third = Keypair.random()
    accounts.account_creation_build(
        account=third.public_key, recovery_code_signer=Keypair.random().public_key, now=later
    )
    third_hash = WalletTransaction.objects.get(account=third.public_key).inner_hash
    assert SponsorChannel.objects.get().lease == third_hash
    with pytest.raises(SozuError) as expired:
        accounts.account_creation_submit(
            account=second.public_key, signed_xdr=sign(held.xdr, second), now=later
        )
    assert expired.value.code == "wallet_tx_expired"
    # Refusing her expired creation does not free the channel the third one holds.
    assert SponsorChannel.objects.get().lease == third_hash
    assert SponsorChannel.objects.count() == 1
