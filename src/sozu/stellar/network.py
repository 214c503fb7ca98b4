"""Network-level operations: the USDC asset, funding on the local network, account setup."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

import requests
from django.conf import settings
from stellar_sdk import Asset, DecoratedSignature, Keypair, TransactionEnvelope
from stellar_sdk.operation import ChangeTrust, CreateAccount

from sozu.stellar.horizon import HorizonClient
from sozu.stellar.results import Verdict
from sozu.stellar.signers import Signer
from sozu.stellar.transactions import build_setup, is_local_network

log = logging.getLogger(__name__)
_client: HorizonClient | None = None
_usdc: Asset | None = None


class NetworkError(Exception):
    """Horizon could not do what setup needed (the message carries Horizon's codes)."""


def client() -> HorizonClient:
    """The process-wide Horizon client configured by HORIZON_URL / NETWORK_PASSPHRASE."""
    global _client
    if _client is None or _client.url != settings.HORIZON_URL:
        _client = HorizonClient(
            settings.HORIZON_URL,
            settings.NETWORK_PASSPHRASE,
            timeout=settings.HORIZON_TIMEOUT_SECONDS,
        )
    return _client


def usdc_asset() -> Asset:
    """USDC as configured, or the local network's own issuer when none is configured."""
    global _usdc
    if settings.USDC_ISSUER:
        return Asset(settings.USDC_CODE, settings.USDC_ISSUER)
    if _usdc is None:
        if not is_local_network(settings.NETWORK_PASSPHRASE):
            raise NetworkError("USDC_ISSUER must be set for testnet or pubnet")
        info = requests.get(f"{settings.HORIZON_URL}/localnet/info", timeout=10).json()
        _usdc = Asset(info.get("usdc_code", "USDC"), info["usdc_issuer"])
    return _usdc


def reset_caches() -> None:
    global _client, _usdc
    _client = None
    _usdc = None


def localnet_fund(address: str, *, xlm: Decimal, usdc: Decimal = Decimal(0)) -> None:
    """Create and fund an account on the local network (its admin endpoint, loopback only)."""
    if not is_local_network(settings.NETWORK_PASSPHRASE):
        raise NetworkError("funding by the network itself only exists on the local network")
    r = requests.post(
        f"{settings.HORIZON_URL}/localnet/fund",
        json={"address": address, "xlm": str(xlm), "usdc": str(usdc)},
        timeout=60,
    )
    if r.status_code >= 300:
        raise NetworkError(f"local network refused to fund {address}: {r.text[:200]}")


def sign_envelope(envelope: TransactionEnvelope, signers: Sequence[Signer]) -> None:
    tx_hash = envelope.hash()
    for s in signers:
        hint = Keypair.from_public_key(s.public_key).signature_hint()
        envelope.signatures.append(DecoratedSignature(hint, s.sign_hash(tx_hash)))


def _submit_or_raise(xdr_text: str, what: str) -> None:
    env = TransactionEnvelope.from_xdr(xdr_text, settings.NETWORK_PASSPHRASE)
    outcome = client().submit(xdr_text, env.hash_hex())
    if outcome.verdict is not Verdict.PAID:
        raise NetworkError(
            f"{what} failed: {outcome.tx_code or outcome.http_status} {list(outcome.op_codes)}"
            f" {outcome.detail}".strip()
        )


def ensure_trustline(wallet: Keypair, asset: Asset) -> None:
    info = client().account(wallet.public_key)
    if info is None:
        raise NetworkError(f"account {wallet.public_key} does not exist")
    if info.trustline(asset.code, asset.issuer or "") is not None:
        return
    _submit_or_raise(
        build_setup(
            passphrase=settings.NETWORK_PASSPHRASE,
            source=wallet,
            sequence=info.sequence + 1,
            operations=[ChangeTrust(asset)],
        ),
        "USDC trustline",
    )


def create_accounts(
    wallet: Keypair, keys: Sequence[Keypair], *, xlm_each: Decimal
) -> dict[str, int]:
    """Create accounts funded by `wallet` in one transaction; their next sequence numbers."""
    info = client().account(wallet.public_key)
    if info is None:
        raise NetworkError(f"account {wallet.public_key} does not exist")
    ops = [CreateAccount(k.public_key, str(xlm_each)) for k in keys]
    _submit_or_raise(
        build_setup(
            passphrase=settings.NETWORK_PASSPHRASE,
            source=wallet,
            sequence=info.sequence + 1,
            operations=ops,
        ),
        "account creation",
    )
    sequences = {}
    for k in keys:
        acct = client().account(k.public_key)
        if acct is None:
            raise NetworkError(f"account {k.public_key} was not created")
        sequences[k.public_key] = acct.sequence + 1
    return sequences
