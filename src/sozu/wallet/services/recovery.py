"""Recovering her wallet on a new phone without any seed phrase (recovery signers, SEP-30 style).

1. From the new phone she asks, proving she holds her recovery code: the request is signed by
   the recovery code's key, which must be a signer of her account (weight 10).
2. A 6-digit code goes to the phone on her beneficiary record; she types it (5 tries, 10 min).
3. Staff of her NGO confirm in the dashboard that it is her.
4. Sozu builds one transaction: add the new device key (20), switch the old one off (master
   weight 0), its reserve sponsored. She signs it with the recovery code's key (10); Sozu's
   recovery signer (10) co-signs: 20 reaches the threshold. Fee-bumped, submitted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stellar_sdk import Account, Keypair, StrKey, TransactionBuilder
from stellar_sdk.exceptions import BadSignatureError

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.stellar.network import client
from sozu.stellar.signers import KeypairSigner
from sozu.stellar.transactions import build_fee_bump
from sozu.wallet.errors import SozuError
from sozu.wallet.keys import service_keypair
from sozu.wallet.models import RecoveryRequest, ServiceKey, WalletTransaction
from sozu.wallet.services.accounts import DEVICE_WEIGHT, RECOVERY_WEIGHT
from sozu.wallet.services.submission import envelope_read, fee_per_op, signed_by, submit_stored
from sozu.wallet.sms import send_sms

OTP_MINUTES = 10
OTP_TRIES = 5


def proof_message(account: str, new_device_key: str) -> bytes:
    return f"sozu-recovery:{account}:{new_device_key}".encode()


def _otp_hash(request_id: int, code: str) -> str:
    key = hashlib.sha256(f"sozu-otp:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{request_id}:{code}".encode(), hashlib.sha256).hexdigest()


def recovery_start(
    *,
    account: str,
    new_device_key: str,
    recovery_code_key: str,
    proof: bytes,
    now: dt.datetime | None = None,
) -> RecoveryRequest:
    now = now or timezone.now()
    for key in (account, new_device_key, recovery_code_key):
        if not StrKey.is_valid_ed25519_public_key(key or ""):
            raise SozuError("invalid_address", address=(key or "")[:60])
    try:
        Keypair.from_public_key(recovery_code_key).verify(
            proof_message(account, new_device_key), proof
        )
    except BadSignatureError as exc:
        raise SozuError("wallet_recovery_refused") from exc
    info = client().account(account)
    signers = dict(info.signers) if info else {}
    sozu_key = service_keypair(ServiceKey.Role.RECOVERY).public_key
    if (
        signers.get(recovery_code_key) != RECOVERY_WEIGHT
        or recovery_code_key == sozu_key
        or signers.get(sozu_key) != RECOVERY_WEIGHT
    ):
        raise SozuError("wallet_recovery_refused")
    beneficiary = (
        Beneficiary.objects.select_related("organization")
        .filter(stellar_address=account)
        .exclude(phone="")
        .order_by("-pk")
        .first()
    )
    if beneficiary is None:
        raise SozuError("wallet_recovery_no_phone")
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        RecoveryRequest.objects.filter(
            account=account,
            status__in=[RecoveryRequest.Status.PENDING_OTP, RecoveryRequest.Status.PENDING_STAFF],
        ).update(status=RecoveryRequest.Status.CANCELLED)
        req = RecoveryRequest.objects.create(
            account=account,
            new_device_key=new_device_key,
            recovery_code_key=recovery_code_key,
            organization=beneficiary.organization,
            beneficiary=beneficiary,
            otp_hash="-",
            otp_expires_at=now + dt.timedelta(minutes=OTP_MINUTES),
        )
        req.otp_hash = _otp_hash(req.pk, code)
        req.save(update_fields=["otp_hash"])
        audit_record(
            organization_id=beneficiary.organization_id,
            entry=Entry(
                f"wallet:{account}",
                "wallet.recovery_requested",
                "beneficiary",
                beneficiary.pk,
                {"recovery": req.pk, "new_device_key": new_device_key},
            ),
        )
    send_sms(
        to=beneficiary.phone,
        text=_("Sozu: your code to recover your wallet is %(code)s. Never share it.")
        % {"code": code},
    )
    return req


def recovery_verify_code(
    *, request_id: int, code: str, now: dt.datetime | None = None
) -> RecoveryRequest:
    now = now or timezone.now()
    wrong_left: int | None = None
    with transaction.atomic():
        req = RecoveryRequest.objects.select_for_update().filter(pk=request_id).first()
        if req is None or req.status != RecoveryRequest.Status.PENDING_OTP:
            raise SozuError("wallet_recovery_not_pending")
        if req.otp_expires_at <= now or req.otp_attempts >= OTP_TRIES:
            raise SozuError("wallet_recovery_code_expired")
        req.otp_attempts += 1
        typed = "".join(ch for ch in (code or "") if ch.isdigit())
        if hmac.compare_digest(_otp_hash(req.pk, typed), req.otp_hash):
            req.otp_verified_at = now
            req.status = RecoveryRequest.Status.PENDING_STAFF
            req.save(update_fields=["otp_attempts", "otp_verified_at", "status"])
        else:
            req.save(update_fields=["otp_attempts"])  # the try counts: kept, not rolled back
            wrong_left = OTP_TRIES - req.otp_attempts
    if wrong_left is not None:
        raise SozuError("wallet_recovery_code_wrong", left=wrong_left)
    return req


def recovery_confirm(
    *, request: RecoveryRequest, actor: str, now: dt.datetime | None = None
) -> RecoveryRequest:
    """Staff of her organization confirm it is her (after she typed the phone's code)."""
    now = now or timezone.now()
    with transaction.atomic():
        req = RecoveryRequest.objects.select_for_update().get(pk=request.pk)
        if req.status != RecoveryRequest.Status.PENDING_STAFF:
            raise SozuError("wallet_recovery_not_pending")
        req.status = RecoveryRequest.Status.READY
        req.confirmed_by, req.confirmed_at = actor, now
        req.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        audit_record(
            organization_id=req.organization_id,
            entry=Entry(
                actor,
                "wallet.recovery_confirmed",
                "beneficiary",
                req.beneficiary_id,
                {"recovery": req.pk, "new_device_key": req.new_device_key},
            ),
        )
    return req


def recovery_build(*, request_id: int, now: dt.datetime | None = None) -> str:
    """The transaction she signs with her recovery code's key (only once confirmed)."""
    now = now or timezone.now()
    req = RecoveryRequest.objects.filter(pk=request_id).first()
    if req is None or req.status != RecoveryRequest.Status.READY:
        raise SozuError("wallet_recovery_not_pending")
    info = client().account(req.account)
    if info is None:
        raise SozuError("destination_missing")
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    tx = (
        TransactionBuilder(
            Account(req.account, info.sequence), settings.NETWORK_PASSPHRASE, base_fee=100
        )
        .append_begin_sponsoring_future_reserves_op(req.account, source=sponsor.public_key)
        .append_ed25519_public_key_signer(req.new_device_key, DEVICE_WEIGHT, source=req.account)
        .append_set_options_op(master_weight=0, source=req.account)
        .append_end_sponsoring_future_reserves_op(source=req.account)
        .set_timeout(int(settings.SOZU_WALLET_SIGN_SECONDS))
        .build()
    )
    with transaction.atomic():
        RecoveryRequest.objects.filter(pk=req.pk).update(inner_hash=tx.hash_hex())
    return tx.to_xdr()


def recovery_submit(*, request_id: int, signed_xdr: str) -> WalletTransaction:
    req = RecoveryRequest.objects.filter(pk=request_id).first()
    if req is None or req.status != RecoveryRequest.Status.READY:
        raise SozuError("wallet_recovery_not_pending")
    envelope = envelope_read(signed_xdr)
    if envelope.hash_hex() != req.inner_hash:
        raise SozuError("wallet_creation_unknown")
    if not signed_by(envelope, req.recovery_code_key):
        raise SozuError("wallet_not_signed")
    for role in (ServiceKey.Role.RECOVERY, ServiceKey.Role.SPONSOR):
        key = service_keypair(role)
        if not signed_by(envelope, key.public_key):
            envelope.sign(key)
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    bump = build_fee_bump(
        passphrase=settings.NETWORK_PASSPHRASE,
        inner_xdr=envelope.to_xdr(),
        fee_source=KeypairSigner(sponsor.secret),
        fee_per_op=fee_per_op(),
    )
    row, _created = WalletTransaction.objects.get_or_create(
        inner_hash=req.inner_hash,
        defaults={
            "account": req.account,
            "kind": WalletTransaction.Kind.PAYMENT,
            "status": WalletTransaction.Status.SUBMITTED,
            "envelope_xdr": bump.xdr,
            "outer_hash": bump.hash,
        },
    )
    row = submit_stored(row)
    with transaction.atomic():
        RecoveryRequest.objects.filter(pk=req.pk).update(status=RecoveryRequest.Status.DONE)
        audit_record(
            organization_id=req.organization_id,
            entry=Entry(
                f"wallet:{req.account}",
                "wallet.recovered",
                "beneficiary",
                req.beneficiary_id,
                {"recovery": req.pk, "new_device_key": req.new_device_key},
                tx_hash=row.outer_hash,
            ),
        )
    return row
