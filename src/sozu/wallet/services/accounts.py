"""Her account, created in one sponsored transaction: no XLM needed, recovery built in.

The server builds: begin sponsoring (sponsor) → create account with 0 XLM (sponsor) → USDC
trustline → Sozu's recovery signer (weight 10) → her second recovery signer (10, the key of
the recovery code made on her phone) → master key (her device key) 20 and thresholds 20/20/20
→ end sponsoring. Her phone shows it decoded and signs it; the sponsor co-signs and Sozu
submits. Sozu's signer alone (10) can never reach the threshold (20): it cannot move her funds.

Sign-ups at the same time: the transaction's source (its sequence number) is not the sponsor
but one of the sponsor's channel accounts (`SponsorChannel`), leased by one creation from its
build until it is settled or its time bound has passed; the sponsor signs its operations and
pays the fee in a fee bump. With the sponsor as source, five creations built together shared
one sequence number and four failed with tx_bad_seq; her signature covers that number, so the
server could not have fixed it without asking her to sign again.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from stellar_sdk import Account, Keypair, StrKey, TransactionBuilder

from sozu.stellar.network import client, usdc_asset
from sozu.stellar.results import Verdict
from sozu.stellar.signers import KeypairSigner
from sozu.stellar.transactions import build_fee_bump
from sozu.wallet.errors import SozuError
from sozu.wallet.keys import service_keypair
from sozu.wallet.models import ServiceKey, SponsorChannel, WalletTransaction
from sozu.wallet.services.submission import envelope_read, signed_by, submit_stored

DEVICE_WEIGHT = 20
RECOVERY_WEIGHT = 10
THRESHOLD = 20
#: What the sponsor gives a channel account when it opens it (its minimum balance, and spare).
CHANNEL_XLM = "2"
#: A lease outlives its creation's time bound by this much (the network's clock may lag ours).
LEASE_MARGIN_SECONDS = 60
#: Opening channels at the same moment shares the sponsor's sequence: tries before giving up.
CHANNEL_OPEN_TRIES = 8


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
    if client().account(sponsor.public_key) is None:
        raise SozuError("sponsor_unavailable")
    usdc = usdc_asset()
    timeout = int(settings.SOZU_WALLET_SIGN_SECONDS)
    token = secrets.token_hex(16)
    channel = channel_lease(
        token=token, until=now + dt.timedelta(seconds=timeout + LEASE_MARGIN_SECONDS), now=now
    )
    try:
        source = _channel_account(channel)
    except BaseException:
        channel_release(lease=token)
        raise
    tx = (
        TransactionBuilder(source, settings.NETWORK_PASSPHRASE, base_fee=_base_fee())
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
        # A new request replaces what she did not sign: never co-signed by the sponsor and the
        # channel, it can never be included, so its channel is free again.
        unsigned = WalletTransaction.objects.filter(
            account=account,
            kind=WalletTransaction.Kind.CREATION,
            status=WalletTransaction.Status.BUILT,
        )
        for old in unsigned:
            channel_release(lease=old.inner_hash)
        unsigned.delete()
        SponsorChannel.objects.filter(pk=channel.pk, lease=token).update(lease=tx.hash_hex())
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
        return _submit_and_release(row)  # sent before: the same envelope again
    if row.expires_at is not None and row.expires_at <= now:
        channel_release(lease=row.inner_hash)  # never co-signed: it can never be included
        raise SozuError("wallet_tx_expired")
    if not signed_by(envelope, account):
        raise SozuError("wallet_not_signed")
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    if not signed_by(envelope, sponsor.public_key):
        envelope.sign(sponsor)
    source = envelope.transaction.source.account_id
    channel = SponsorChannel.objects.filter(public_key=source).first()
    if channel is not None and not signed_by(envelope, channel.public_key):
        envelope.sign(channel_keypair(channel.index))
    # Sozu pays the fee (the channel keeps its XLM); the inner transaction keeps its hash. A
    # fee bump must offer at least the inner transaction's rate (fees may have fallen since).
    inner = envelope.transaction
    inner_rate = -(-inner.fee // max(1, len(inner.operations)))
    bump = build_fee_bump(
        passphrase=settings.NETWORK_PASSPHRASE,
        inner_xdr=envelope.to_xdr(),
        fee_source=KeypairSigner(sponsor.secret),
        fee_per_op=max(_base_fee(), inner_rate),
    )
    with transaction.atomic():
        locked = WalletTransaction.objects.select_for_update().get(pk=row.pk)
        if locked.status == WalletTransaction.Status.BUILT:
            locked.envelope_xdr = bump.xdr
            locked.outer_hash = bump.hash
            locked.status = WalletTransaction.Status.SUBMITTED
            locked.save(update_fields=["envelope_xdr", "outer_hash", "status", "updated_at"])
        row = locked
    return _submit_and_release(row)


def _submit_and_release(row: WalletTransaction) -> WalletTransaction:
    """Submit the stored envelope; once it is settled either way its channel is free again."""
    try:
        return submit_stored(row)
    finally:
        settled = WalletTransaction.objects.filter(
            pk=row.pk,
            status__in=(WalletTransaction.Status.SUCCESS, WalletTransaction.Status.FAILED),
        ).exists()
        if settled:
            channel_release(lease=row.inner_hash)


# --- the sponsor's channel accounts ------------------------------------------------------------


def channel_keypair(index: int) -> Keypair:
    """Channel `index`'s key: HKDF-SHA256 of the sponsor's seed (nothing more to keep secret)."""
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"sozu wallet sponsor channel {index}".encode(),
    ).derive(sponsor.raw_secret_key())
    return Keypair.from_raw_ed25519_seed(seed)


def channel_lease(*, token: str, until: dt.datetime, now: dt.datetime) -> SponsorChannel:
    """A channel no other creation holds, leased to `token` until `until`; a new one (up to
    SOZU_WALLET_SPONSOR_CHANNELS) when all are held; `sponsor_busy` past that."""
    for _attempt in range(5):
        with transaction.atomic():
            free = (
                SponsorChannel.objects.select_for_update(skip_locked=True)
                .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
                .order_by("index")
                .first()
            )
            if free is not None:
                free.leased_until, free.lease = until, token
                free.save(update_fields=["leased_until", "lease"])
                return free
            index = SponsorChannel.objects.count()
        if index >= int(settings.SOZU_WALLET_SPONSOR_CHANNELS):
            raise SozuError("sponsor_busy")
        try:
            with transaction.atomic():
                return SponsorChannel.objects.create(
                    index=index,
                    public_key=channel_keypair(index).public_key,
                    leased_until=until,
                    lease=token,
                )
        except IntegrityError:
            continue  # another sign-up made channel `index` at the same moment: look again
    raise SozuError("sponsor_busy")


def channel_release(*, lease: str) -> None:
    if lease:
        SponsorChannel.objects.filter(lease=lease).update(leased_until=None, lease="")


def _channel_account(channel: SponsorChannel) -> Account:
    """The channel's account with its current sequence, opened by the sponsor if need be."""
    info = client().account(channel.public_key)
    if info is None:
        _channel_open(channel.public_key)
        info = client().account(channel.public_key)
        if info is None:
            raise SozuError("sponsor_unavailable")
    return Account(channel.public_key, info.sequence)


def _channel_open(public_key: str) -> None:
    """The sponsor creates the channel's account. Only Sozu signs this transaction, and creating
    an account that exists fails harmlessly (op_already_exists): after a tx_bad_seq (channels
    opened at the same moment share the sponsor's sequence) or an unknown outcome it is simply
    built again with the sponsor's new sequence."""
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    for attempt in range(CHANNEL_OPEN_TRIES):
        if attempt and client().account(public_key) is not None:
            return
        info = client().account(sponsor.public_key)
        if info is None:
            raise SozuError("sponsor_unavailable")
        tx = (
            TransactionBuilder(
                Account(sponsor.public_key, info.sequence),
                settings.NETWORK_PASSPHRASE,
                base_fee=_base_fee(),
            )
            .append_create_account_op(public_key, CHANNEL_XLM)
            .set_timeout(60)
            .build()
        )
        tx.sign(sponsor)
        outcome = client().submit(tx.to_xdr(), tx.hash_hex())
        if outcome.verdict == Verdict.PAID or "op_already_exists" in outcome.op_codes:
            return
        if outcome.tx_code == "tx_insufficient_balance" or "op_underfunded" in outcome.op_codes:
            raise SozuError("sponsor_unavailable")
        time.sleep(random.uniform(0.05, 0.3) * (attempt + 1))
    if client().account(public_key) is None:
        raise SozuError("sponsor_unavailable")


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
    "channel_keypair",
    "recovery_signer",
    "sponsor_fund_on_localnet",
    "sponsor_public_key",
]
