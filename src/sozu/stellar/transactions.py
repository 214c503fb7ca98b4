"""Building and signing the transactions Sozu submits (XDR only through stellar-sdk)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from stellar_sdk import (
    Account,
    Asset,
    DecoratedSignature,
    Keypair,
    MuxedAccount,
    Network,
    TransactionBuilder,
    TransactionEnvelope,
)
from stellar_sdk import xdr as sx

from sozu.stellar.signers import Signer


@dataclass(frozen=True)
class PaymentOp:
    destination: str  # G... or M...
    amount_stroops: int


@dataclass(frozen=True)
class SignedEnvelope:
    xdr: str
    hash: str
    sequence: int
    max_ledger: int
    max_time: int
    fee: int


@lru_cache(maxsize=65536)
def _muxed(address: str) -> sx.MuxedAccount:
    # Decoding a strkey is the costliest step of building a payment: addresses repeat, cache them.
    return MuxedAccount.from_account(address).to_xdr_object()


@lru_cache(maxsize=64)
def _asset(code: str, issuer: str) -> sx.Asset:
    return Asset(code, issuer).to_xdr_object()


@lru_cache(maxsize=64)
def _hint(public_key: str) -> sx.SignatureHint:
    return sx.SignatureHint(Keypair.from_public_key(public_key).signature_hint())


@lru_cache(maxsize=16)
def network_id(passphrase: str) -> bytes:
    return hashlib.sha256(passphrase.encode()).digest()


def build_payments(
    *,
    passphrase: str,
    channel_public_key: str,
    sequence: int,
    org_public_key: str,
    asset: Asset,
    payments: Sequence[PaymentOp],
    memo: str,
    fee_per_op: int,
    max_ledger: int,
    max_time: int,
    signers: Sequence[Signer],
) -> SignedEnvelope:
    """Up to 100 payments from the org wallet in one transaction whose source is a channel.

    `sequence` is the sequence number this transaction uses; `max_ledger` and `max_time`
    bound when it can be included, so "not found after max_ledger" proves it never will be.
    The XDR is assembled once and hashed once (the SDK's builder re-encodes per signature).
    """
    if not 1 <= len(payments) <= 100:
        raise ValueError("a transaction carries 1 to 100 payments")
    org = _muxed(org_public_key)
    asset_xdr = _asset(asset.code, asset.issuer or "")
    ops = [
        sx.Operation(
            source_account=org,
            body=sx.OperationBody(
                type=sx.OperationType.PAYMENT,
                payment_op=sx.PaymentOp(
                    _muxed(p.destination), asset_xdr, sx.Int64(p.amount_stroops)
                ),
            ),
        )
        for p in payments
    ]
    fee = fee_per_op * len(ops)
    memo_xdr = (
        sx.Memo(type=sx.MemoType.MEMO_TEXT, text=memo.encode())
        if memo
        else sx.Memo(type=sx.MemoType.MEMO_NONE)
    )
    cond = sx.Preconditions(
        type=sx.PreconditionType.PRECOND_V2,
        v2=sx.PreconditionsV2(
            time_bounds=sx.TimeBounds(
                sx.TimePoint(sx.Uint64(0)), sx.TimePoint(sx.Uint64(max_time))
            ),
            ledger_bounds=sx.LedgerBounds(sx.Uint32(0), sx.Uint32(max_ledger)),
            min_seq_num=None,
            min_seq_age=sx.Duration(sx.Uint64(0)),
            min_seq_ledger_gap=sx.Uint32(0),
            extra_signers=[],
        ),
    )
    tx = sx.Transaction(
        source_account=_muxed(channel_public_key),
        fee=sx.Uint32(fee),
        seq_num=sx.SequenceNumber(sx.Int64(sequence)),
        cond=cond,
        memo=memo_xdr,
        operations=ops,
        ext=sx.TransactionExt(0),
    )
    payload = sx.TransactionSignaturePayload(
        network_id=sx.Hash(network_id(passphrase)),
        tagged_transaction=sx.TransactionSignaturePayloadTaggedTransaction(
            type=sx.EnvelopeType.ENVELOPE_TYPE_TX, tx=tx
        ),
    )
    tx_hash = hashlib.sha256(payload.to_xdr_bytes()).digest()
    signatures = [
        sx.DecoratedSignature(_hint(s.public_key), sx.Signature(s.sign_hash(tx_hash)))
        for s in signers
    ]
    envelope = sx.TransactionEnvelope(
        type=sx.EnvelopeType.ENVELOPE_TYPE_TX,
        v1=sx.TransactionV1Envelope(tx=tx, signatures=signatures),
    )
    return SignedEnvelope(
        xdr=envelope.to_xdr(),
        hash=tx_hash.hex(),
        sequence=sequence,
        max_ledger=max_ledger,
        max_time=max_time,
        fee=fee,
    )


def build_setup(
    *,
    passphrase: str,
    source: Keypair,
    sequence: int,
    operations: Sequence[object],
    extra_signers: Sequence[Keypair] = (),
    fee_per_op: int = 100,
) -> str:
    """A one-off setup transaction (create channels, trustlines), signed; returns its XDR."""
    builder = TransactionBuilder(
        Account(source.public_key, sequence - 1),
        network_passphrase=passphrase,
        base_fee=fee_per_op,
    ).set_timeout(120)
    for op in operations:
        builder.append_operation(op)  # type: ignore[arg-type]
    envelope = builder.build()
    envelope.sign(source)
    for kp in extra_signers:
        envelope.sign(kp)
    return envelope.to_xdr()


def is_local_network(passphrase: str) -> bool:
    return passphrase not in (Network.PUBLIC_NETWORK_PASSPHRASE, Network.TESTNET_NETWORK_PASSPHRASE)


@dataclass(frozen=True)
class FeeBump:
    xdr: str
    hash: str
    fee: int


def build_fee_bump(
    *, passphrase: str, inner_xdr: str, fee_source: Signer, fee_per_op: int
) -> FeeBump:
    """Wrap a stored envelope, unchanged, in a fee bump that pays `fee_per_op` per operation.

    The inner transaction keeps its hash and sequence, so it can still be included at most
    once, whichever of the two envelopes the network takes.
    """
    inner = TransactionEnvelope.from_xdr(inner_xdr, passphrase)
    bump = TransactionBuilder.build_fee_bump_transaction(
        fee_source=fee_source.public_key,
        base_fee=fee_per_op,
        inner_transaction_envelope=inner,
        network_passphrase=passphrase,
    )
    tx_hash = bump.hash()
    hint = Keypair.from_public_key(fee_source.public_key).signature_hint()
    bump.signatures.append(DecoratedSignature(hint, fee_source.sign_hash(tx_hash)))
    return FeeBump(xdr=bump.to_xdr(), hash=tx_hash.hex(), fee=bump.transaction.fee)
