"""Submitting what a wallet signed: stored first, resubmitted unchanged, settled by its hash.

The engine's rule holds here too: an unknown outcome (timeout, 5xx, lost answer) resubmits the
same envelope and looks the hash up; nothing is ever rebuilt behind her back.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import IntegrityError, transaction
from stellar_sdk import (
    BeginSponsoringFutureReserves,
    EndSponsoringFutureReserves,
    MuxedAccount,
    Payment,
    SetOptions,
    TransactionEnvelope,
)
from stellar_sdk.exceptions import SdkError

from sozu.stellar.horizon import TxOutcome
from sozu.stellar.network import client, usdc_asset
from sozu.stellar.results import Verdict
from sozu.stellar.signers import KeypairSigner
from sozu.stellar.transactions import build_fee_bump
from sozu.wallet.errors import SozuError
from sozu.wallet.keys import service_keypair
from sozu.wallet.models import ServiceKey, WalletTransaction

#: Operation codes that are her problem to fix, in her words.
OP_ERRORS = {
    "op_underfunded": "insufficient_balance",
    "op_no_destination": "destination_missing",
    "op_no_trust": "no_trustline",
    "op_not_authorized": "no_trustline",
    "op_line_full": "no_trustline",
}
TX_ERRORS = {
    "tx_bad_seq": "bad_sequence",
    "tx_too_late": "wallet_tx_expired",
    "tx_bad_auth": "wallet_not_signed",
    "tx_insufficient_balance": "sponsor_unavailable",
}


def envelope_read(xdr: str) -> TransactionEnvelope:
    try:
        return TransactionEnvelope.from_xdr(xdr.strip(), settings.NETWORK_PASSPHRASE)
    except (SdkError, ValueError, TypeError, IndexError) as exc:
        raise SozuError("wallet_transaction_unreadable") from exc
    except Exception as exc:  # the XDR decoder raises assorted errors on garbage
        raise SozuError("wallet_transaction_unreadable") from exc


def signed_by(envelope: TransactionEnvelope, public_key: str) -> bool:
    """Whether one of the envelope's signatures is `public_key`'s over its hash."""
    from stellar_sdk import Keypair
    from stellar_sdk.exceptions import BadSignatureError

    key = Keypair.from_public_key(public_key)
    tx_hash = envelope.hash()
    for sig in envelope.signatures:
        if bytes(sig.signature_hint) != bytes(key.signature_hint()):
            continue
        try:
            key.verify(tx_hash, sig.signature)
            return True
        except BadSignatureError:
            continue
    return False


def base_account(address: str) -> str:
    return MuxedAccount.from_account(address).account_id if address.startswith("M") else address


def submit_stored(
    row: WalletTransaction, *, tries: int = 3, backoff: float = 0.5
) -> WalletTransaction:
    """Submit the stored envelope until the network gives an answer that proves something;
    store and return the outcome. Raises SozuError for a refusal she can act on."""
    outcome: TxOutcome | None = None
    for attempt in range(tries):
        outcome = client().submit(row.envelope_xdr, row.outer_hash)
        if outcome.verdict == Verdict.UNKNOWN:
            try:
                found = client().transaction(row.outer_hash)
            except Exception:
                found = None
            if found is not None:
                outcome = found
        if outcome.verdict != Verdict.UNKNOWN:
            break
        time.sleep(backoff * 2**attempt)
    assert outcome is not None
    with transaction.atomic():
        fresh = WalletTransaction.objects.select_for_update().get(pk=row.pk)
        if outcome.verdict == Verdict.PAID:
            fresh.status = WalletTransaction.Status.SUCCESS
            fresh.ledger = outcome.ledger
            fresh.result_code = "tx_success"
        elif outcome.verdict == Verdict.UNKNOWN:
            fresh.status = WalletTransaction.Status.SUBMITTED
        else:
            fresh.status = WalletTransaction.Status.FAILED
            fresh.result_code = ",".join(filter(None, (outcome.tx_code, *outcome.op_codes)))
        fresh.save(update_fields=["status", "ledger", "result_code", "updated_at"])
    if outcome.verdict == Verdict.UNKNOWN:
        raise SozuError("network_unavailable", detail=outcome.detail or "no answer")
    if outcome.verdict != Verdict.PAID:
        raise refusal_for(outcome)
    return fresh


def refusal_for(outcome: TxOutcome) -> SozuError:
    for code in outcome.op_codes:
        if code in OP_ERRORS:
            return SozuError(OP_ERRORS[code])
    if outcome.tx_code in TX_ERRORS:
        return SozuError(TX_ERRORS[outcome.tx_code])
    return SozuError("wallet_tx_failed", result=outcome.tx_code or "unknown")


def _check_operations(envelope: TransactionEnvelope, account: str) -> bool:
    """Refuse what she may not have Sozu pay for; True when the sponsor must co-sign (the
    reserve of a new recovery code's signer, between begin and end sponsoring)."""
    usdc = usdc_asset()
    current: dict[str, int] | None = None
    operations = envelope.transaction.operations
    sponsor = service_keypair(ServiceKey.Role.SPONSOR).public_key
    sponsored = _check_sponsoring(operations, account, sponsor)
    for op in operations:
        source = op.source.account_id if op.source else account
        if isinstance(op, BeginSponsoringFutureReserves | EndSponsoringFutureReserves):
            continue  # checked above
        if source != account:
            raise SozuError("wallet_source_not_yours")
        if isinstance(op, Payment):
            if op.asset != usdc:
                raise SozuError("operation_not_allowed", operation="payment of another asset")
            continue
        if isinstance(op, SetOptions):
            if current is None:
                info = client().account(account)
                current = dict(info.signers) if info is not None else {}
            _check_signer_change(op, account, current)
            continue
        raise SozuError("operation_not_allowed", operation=type(op).__name__)
    return sponsored


def _check_sponsoring(operations: list, account: str, sponsor: str) -> bool:
    """Sozu sponsors the reserve of one new signer: [begin (sponsor → her), her SetOptions,
    end (her)] and nothing else; anything else that mentions sponsoring is refused."""
    kinds = [type(op) for op in operations]
    if BeginSponsoringFutureReserves not in kinds and EndSponsoringFutureReserves not in kinds:
        return False
    begin, end = operations[0], operations[-1]
    middle = operations[1:-1]
    if not (
        isinstance(begin, BeginSponsoringFutureReserves)
        and begin.source is not None
        and begin.source.account_id == sponsor
        and begin.sponsored_id == account
        and isinstance(end, EndSponsoringFutureReserves)
        and (end.source is None or end.source.account_id == account)
        and middle
        and all(isinstance(op, SetOptions) for op in middle)
        and sum(1 for op in middle if op.signer is not None and op.signer.weight > 0) <= 1
    ):
        raise SozuError("operation_not_allowed", operation="sponsoring")
    return True


#: The heaviest signer she may add or remove herself: a recovery code (her device key is 20).
CODE_SIGNER_MAX_WEIGHT = 10


def _check_signer_change(op: SetOptions, account: str, current: dict[str, int]) -> None:
    """A SetOptions she may sign alone: add or remove one ed25519 signer of weight <= 10 that is
    not Sozu's recovery signer, her master key nor a signer weighing more than 10 now (her device
    key): a new recovery code replacing the old one. `current`: her signers on the network.
    Thresholds, master weight, flags, home domain and inflation stay as the creation set them."""
    from stellar_sdk import SignerKeyType

    from sozu.wallet.services.accounts import recovery_signer

    changes = (
        op.master_weight,
        op.low_threshold,
        op.med_threshold,
        op.high_threshold,
        op.set_flags,
        op.clear_flags,
        op.home_domain,
        op.inflation_dest,
    )
    if any(value is not None for value in changes):
        raise SozuError("operation_not_allowed", operation="set_options other than a signer")
    signer = op.signer
    if signer is None:
        raise SozuError("operation_not_allowed", operation="set_options without a signer")
    key = signer.signer_key
    if key.signer_key_type != SignerKeyType.SIGNER_KEY_TYPE_ED25519:
        raise SozuError("operation_not_allowed", operation="set_options signer type")
    if key.encoded_signer_key in (recovery_signer(), account):
        raise SozuError("operation_not_allowed", operation="set_options on a protected signer")
    if signer.weight > CODE_SIGNER_MAX_WEIGHT:
        raise SozuError("operation_not_allowed", operation="set_options signer weight")
    if current.get(key.encoded_signer_key, 0) > CODE_SIGNER_MAX_WEIGHT:
        raise SozuError("operation_not_allowed", operation="set_options on her device key")


def _check_memo_required(envelope: TransactionEnvelope) -> None:
    """SEP-29: a payment to an account that requires a memo, without one, is refused here."""
    from stellar_sdk.memo import NoneMemo

    tx = envelope.transaction
    if not isinstance(tx.memo, NoneMemo):
        return
    for op in tx.operations:
        if isinstance(op, Payment):
            if op.destination.account_muxed_id is not None:
                continue  # a muxed address identifies the recipient itself
            info = client().account(op.destination.account_id)
            if info is not None and info.memo_required:
                raise SozuError("memo_required")


def fee_per_op() -> int:
    stats = client().fee_stats()
    wanted = max(stats.p70, stats.last_ledger_base_fee, 100)
    return min(wanted, int(settings.SOZU_WALLET_MAX_FEE_PER_OP))


def payment_submit(*, account: str, signed_xdr: str) -> WalletTransaction:
    """Check what she signed, wrap it in a fee bump Sozu pays, submit it; once per inner tx.

    Sending the same signed transaction again returns (or resubmits) the stored fee bump.
    """
    envelope = envelope_read(signed_xdr)
    tx = envelope.transaction
    if not hasattr(tx, "source") or tx.source.account_id != account:
        raise SozuError("wallet_source_not_yours")
    if not envelope.signatures:
        raise SozuError("wallet_not_signed")
    sponsored = _check_operations(envelope, account)
    inner_hash = envelope.hash_hex()
    existing = WalletTransaction.objects.filter(inner_hash=inner_hash).first()
    if existing is not None:
        if existing.account != account:
            raise SozuError("wallet_source_not_yours")
        if existing.status == WalletTransaction.Status.SUCCESS:
            return existing
        if existing.status == WalletTransaction.Status.FAILED:
            raise SozuError("wallet_tx_failed", result=existing.result_code or "failed")
        return submit_stored(existing)
    _check_memo_required(envelope)
    sponsor = service_keypair(ServiceKey.Role.SPONSOR)
    if sponsored and not signed_by(envelope, sponsor.public_key):
        envelope.sign(sponsor)  # the reserve of her new recovery code's signer
    bump = build_fee_bump(
        passphrase=settings.NETWORK_PASSPHRASE,
        inner_xdr=envelope.to_xdr(),
        fee_source=KeypairSigner(sponsor.secret),
        fee_per_op=fee_per_op(),
    )
    try:
        with transaction.atomic():
            row = WalletTransaction.objects.create(
                account=account,
                kind=(
                    WalletTransaction.Kind.SIGNERS
                    if any(isinstance(op, SetOptions) for op in tx.operations)
                    else WalletTransaction.Kind.PAYMENT
                ),
                status=WalletTransaction.Status.SUBMITTED,
                inner_hash=inner_hash,
                envelope_xdr=bump.xdr,
                outer_hash=bump.hash,
            )
    except IntegrityError:  # the same signed payment, sent twice at once: one fee bump
        row = WalletTransaction.objects.get(inner_hash=inner_hash)
    return submit_stored(row)
