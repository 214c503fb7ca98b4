"""Her account, created in one sponsored transaction: no XLM needed, recovery built in.

The server builds: begin sponsoring (sponsor) → create account with 0 XLM (sponsor) → USDC
trustline → Sozu's recovery signer (weight 10) → her second recovery signer (10, the key of
the recovery code made on her phone) → master key (her device key) 20 and thresholds 20/20/20
→ end sponsoring. Her phone shows it decoded and signs it; the sponsor co-signs and Sozu
submits. Sozu's signer alone (10) can never reach the threshold (20): it cannot move her funds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from stellar_sdk import Account, Keypair, StrKey, TransactionBuilder

from sozu.stellar.network import client, usdc_asset
from sozu.wallet.errors import SozuError
from sozu.wallet.keys import service_keypair
from sozu.wallet.models import ServiceKey, WalletTransaction
from sozu.wallet.services.submission import envelope_read, signed_by, submit_stored

DEVICE_WEIGHT = 20
RECOVERY_WEIGHT = 10
THRESHOLD = 20


@dataclass(frozen=True)
class Creation:
    xdr: str
    summary: dict[str, object]


def recovery_signer() -> str:
    return service_keypair(ServiceKey.Role.RECOVERY).public_key


def sponsor_public_key() -> str:
    return service_keypair(ServiceKey.Role.SPONSOR).public_key


def account_creation_build(
    *, account: str, recovery_code_signer: str, now: dt.datetime | None = None
) -> Creation:
    """The sponsored creation for `account`, unsigned, stored to be recognized when signed."""
    now = now or timezone.now()
    if not StrKey.is_valid_ed25519_public_key(recovery_code_signer or ""):
        raise SozuError("wallet_recovery_signer_invalid")
    sozu_recovery = recovery_signer()
    if recovery_code_signer in (account, sozu_recovery):
        raise SozuError("wallet_recovery_signer_invalid")
    if client().account(account) is not None:
        raise SozuError("wallet_account_exists")
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    sponsor_info = client().account(sponsor.public_key)
    if sponsor_info is None:
        raise SozuError("sponsor_unavailable")
    sponsor_account = Account(sponsor.public_key, sponsor_info.sequence)
    usdc = usdc_asset()
    timeout = int(settings.SOZU_WALLET_SIGN_SECONDS)
    tx = (
        TransactionBuilder(sponsor_account, settings.NETWORK_PASSPHRASE, base_fee=_base_fee())
        .append_begin_sponsoring_future_reserves_op(account, source=sponsor.public_key)
        .append_create_account_op(account, "0", source=sponsor.public_key)
        .append_change_trust_op(usdc, source=account)
        .append_ed25519_public_key_signer(sozu_recovery, RECOVERY_WEIGHT, source=account)
        .append_ed25519_public_key_signer(recovery_code_signer, RECOVERY_WEIGHT, source=account)
        .append_set_options_op(
            master_weight=DEVICE_WEIGHT,
            low_threshold=THRESHOLD,
            med_threshold=THRESHOLD,
            high_threshold=THRESHOLD,
            source=account,
        )
        .append_end_sponsoring_future_reserves_op(source=account)
        .set_timeout(timeout)
        .build()
    )
    with transaction.atomic():
        # A new request replaces what she did not sign (a sponsor sequence may have moved).
        WalletTransaction.objects.filter(
            account=account,
            kind=WalletTransaction.Kind.CREATION,
            status=WalletTransaction.Status.BUILT,
        ).delete()
        WalletTransaction.objects.create(
            account=account,
            kind=WalletTransaction.Kind.CREATION,
            inner_hash=tx.hash_hex(),
            outer_hash=tx.hash_hex(),
            expires_at=now + dt.timedelta(seconds=timeout),
        )
    summary: dict[str, object] = {
        "account": account,
        "sponsor": sponsor.public_key,
        "starting_balance": "0",
        "asset": {"code": usdc.code, "issuer": usdc.issuer},
        "signers": [
            {"key": account, "weight": DEVICE_WEIGHT, "role": "device"},
            {"key": sozu_recovery, "weight": RECOVERY_WEIGHT, "role": "sozu_recovery"},
            {"key": recovery_code_signer, "weight": RECOVERY_WEIGHT, "role": "recovery_code"},
        ],
        "thresholds": {"low": THRESHOLD, "medium": THRESHOLD, "high": THRESHOLD},
        "expires_at": (now + dt.timedelta(seconds=timeout)).isoformat(),
    }
    return Creation(tx.to_xdr(), summary)


def _base_fee() -> int:
    from sozu.wallet.services.submission import fee_per_op

    return fee_per_op()


def account_creation_submit(
    *, account: str, signed_xdr: str, now: dt.datetime | None = None
) -> WalletTransaction:
    """Recognize the creation Sozu built, check her signature, co-sign as sponsor, submit."""
    now = now or timezone.now()
    envelope = envelope_read(signed_xdr)
    tx_hash = envelope.hash_hex()
    row = WalletTransaction.objects.filter(
        inner_hash=tx_hash, account=account, kind=WalletTransaction.Kind.CREATION
    ).first()
    if row is None:
        raise SozuError("wallet_creation_unknown")
    if row.status == WalletTransaction.Status.SUCCESS:
        return row
    if row.status != WalletTransaction.Status.BUILT:
        return submit_stored(row)  # sent before, outcome unknown: the same envelope again
    if row.expires_at is not None and row.expires_at <= now:
        raise SozuError("wallet_tx_expired")
    if not signed_by(envelope, account):
        raise SozuError("wallet_not_signed")
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    if not signed_by(envelope, sponsor.public_key):
        envelope.sign(sponsor)
    with transaction.atomic():
        locked = WalletTransaction.objects.select_for_update().get(pk=row.pk)
        if locked.status == WalletTransaction.Status.BUILT:
            locked.envelope_xdr = envelope.to_xdr()
            locked.status = WalletTransaction.Status.SUBMITTED
            locked.save(update_fields=["envelope_xdr", "status", "updated_at"])
        row = locked
    return submit_stored(row)


def sponsor_fund_on_localnet(*, xlm: str = "10000") -> str:
    """On the local network only: create and fund the sponsor (demo and tests)."""
    from decimal import Decimal

    from sozu.stellar.network import localnet_fund

    public = sponsor_public_key()
    if client().account(public) is None:
        localnet_fund(public, xlm=Decimal(xlm))
    return public


__all__ = [
    "Keypair",
    "account_creation_build",
    "account_creation_submit",
    "recovery_signer",
    "sponsor_fund_on_localnet",
    "sponsor_public_key",
]
