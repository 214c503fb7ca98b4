"""Decode a submitted transaction envelope once: hashes, sources, fees, preconditions, ops."""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
from dataclasses import dataclass, field
from functools import lru_cache

from stellar_sdk import StrKey
from stellar_sdk import xdr as X
from stellar_sdk.transaction_envelope import TransactionEnvelope as SdkEnvelope

ENVELOPE_TYPE_TX = (2).to_bytes(4, "big")
ENVELOPE_TYPE_TX_FEE_BUMP = (5).to_bytes(4, "big")
MAX_OPS = 100

_arrivals = itertools.count()


class MalformedEnvelope(ValueError):
    """The `tx` field is not a decodable TransactionEnvelope for this network."""


@lru_cache(maxsize=1 << 17)
def g_from_raw(raw: bytes) -> str:
    """G address of a raw ed25519 key; cached because base32 with a checksum is slow in Python."""
    return StrKey.encode_ed25519_public_key(raw)


def account_of(muxed: X.MuxedAccount) -> tuple[str, str | None, int | None]:
    """(G address, M address or None, mux id or None) of an XDR MuxedAccount."""
    if muxed.type == X.CryptoKeyType.KEY_TYPE_MUXED_ED25519:
        med = muxed.med25519
        assert med is not None
        raw = med.ed25519.uint256
        mid = med.id.uint64
        m = StrKey.encode_med25519_public_key(raw + mid.to_bytes(8, "big"))
        return g_from_raw(raw), m, mid
    assert muxed.ed25519 is not None
    return g_from_raw(muxed.ed25519.uint256), None, None


def _sigs_size(sigs: list[X.DecoratedSignature]) -> int:
    size = 4
    for s in sigs:
        n = len(s.signature.signature)
        size += 4 + 4 + n + (-n % 4)
    return size


@dataclass(slots=True)
class Op:
    index: int
    type: int  # OperationType value
    source: str | None  # G address of an explicit op source
    source_muxed: str | None
    body: X.OperationBody


@dataclass(slots=True)
class Envelope:
    """A decoded submission. For a fee bump, `hash` is the outer hash and `inner_*` the inner tx."""

    xdr: str
    hash: bytes
    fee_bump: bool
    fee_source: str
    fee_source_muxed: str | None
    fee: int  # the fee bid: the outer fee for a fee bump
    outer_signatures: list[X.DecoratedSignature]
    inner_hash: bytes
    source: str
    source_muxed: str | None
    seq: int
    inner_fee: int
    signatures: list[X.DecoratedSignature]
    memo: X.Memo
    min_time: int | None
    max_time: int | None
    min_ledger: int | None
    max_ledger: int | None
    min_seq_num: int | None
    min_seq_age: int
    min_seq_ledger_gap: int
    extra_signers: list[X.SignerKey]
    ops: list[Op]
    arrival: int = field(default_factory=lambda: next(_arrivals))
    # signature index -> public keys it was verified against (cache: verify once per key)
    verified: dict[tuple[bool, int, bytes], bool] = field(default_factory=dict)

    @property
    def hash_hex(self) -> str:
        return self.hash.hex()

    @property
    def inner_hash_hex(self) -> str:
        return self.inner_hash.hex()

    @property
    def op_count(self) -> int:
        """Operations counted for fees: a fee bump counts one more than its inner transaction."""
        return len(self.ops) + (1 if self.fee_bump else 0)

    def fee_rate_key(self) -> tuple[int, int]:
        """Sort key: higher fee per operation first, then earlier arrival."""
        return (-(self.fee // max(self.op_count, 1)), self.arrival)


def _preconditions(env: Envelope, cond: X.Preconditions | None) -> None:
    if cond is None:
        return
    tb: X.TimeBounds | None = None
    if cond.type == X.PreconditionType.PRECOND_TIME:
        tb = cond.time_bounds
    elif cond.type == X.PreconditionType.PRECOND_V2:
        v2 = cond.v2
        assert v2 is not None
        tb = v2.time_bounds
        if v2.ledger_bounds is not None:
            env.min_ledger = v2.ledger_bounds.min_ledger.uint32
            env.max_ledger = v2.ledger_bounds.max_ledger.uint32
        if v2.min_seq_num is not None:
            env.min_seq_num = v2.min_seq_num.sequence_number.int64
        env.min_seq_age = v2.min_seq_age.duration.uint64
        env.min_seq_ledger_gap = v2.min_seq_ledger_gap.uint32
        env.extra_signers = list(v2.extra_signers)
    if tb is not None:
        env.min_time = tb.min_time.time_point.uint64
        env.max_time = tb.max_time.time_point.uint64


def _ops(ops: list[X.Operation]) -> list[Op]:
    out = []
    for i, op in enumerate(ops):
        src = muxed = None
        if op.source_account is not None:
            src, muxed, _ = account_of(op.source_account)
        out.append(Op(i, op.body.type.value, src, muxed, op.body))
    return out


def decode(tx_b64: str, passphrase: str) -> Envelope:
    """Decode and hash an envelope, or raise MalformedEnvelope."""
    try:
        raw = base64.b64decode(tx_b64, validate=True)
        te = X.TransactionEnvelope.from_xdr_bytes(raw)
    except (binascii.Error, ValueError, IndexError, TypeError) as exc:
        raise MalformedEnvelope(str(exc)) from exc
    except Exception as exc:  # the XDR unpacker raises assorted errors on garbage
        raise MalformedEnvelope(str(exc)) from exc
    network_id = hashlib.sha256(passphrase.encode()).digest()
    kind = te.type
    if kind == X.EnvelopeType.ENVELOPE_TYPE_TX_V0:
        # Legacy envelopes hash as their v1 equivalent; let the SDK do that conversion.
        sdk_env = SdkEnvelope.from_xdr_object(te, passphrase)
        v0 = te.v0
        assert v0 is not None
        inner_hash = sdk_env.hash()
        sdk_env.transaction.v1 = True
        v1_tx = sdk_env.transaction.to_xdr_object()
        assert isinstance(v1_tx, X.Transaction)
        return _build(tx_b64, inner_hash, None, v1_tx, v0.signatures, [])
    if kind == X.EnvelopeType.ENVELOPE_TYPE_TX:
        v1 = te.v1
        assert v1 is not None
        body = raw[4 : len(raw) - _sigs_size(v1.signatures)]
        h = hashlib.sha256(network_id + ENVELOPE_TYPE_TX + body).digest()
        return _build(tx_b64, h, None, v1.tx, v1.signatures, [])
    if kind == X.EnvelopeType.ENVELOPE_TYPE_TX_FEE_BUMP:
        fb = te.fee_bump
        assert fb is not None
        fbt_bytes = raw[4 : len(raw) - _sigs_size(fb.signatures)]
        outer = hashlib.sha256(network_id + ENVELOPE_TYPE_TX_FEE_BUMP + fbt_bytes).digest()
        inner_env = fb.tx.inner_tx.v1
        assert inner_env is not None
        mux_size = 36 if fb.tx.fee_source.type == X.CryptoKeyType.KEY_TYPE_ED25519 else 44
        start = mux_size + 8 + 4
        end = len(fbt_bytes) - 4 - _sigs_size(inner_env.signatures)
        inner = hashlib.sha256(network_id + ENVELOPE_TYPE_TX + fbt_bytes[start:end]).digest()
        return _build(
            tx_b64, inner, (outer, fb.tx), inner_env.tx, inner_env.signatures, fb.signatures
        )
    raise MalformedEnvelope("unsupported envelope type")


def _build(
    tx_b64: str,
    inner_hash: bytes,
    bump: tuple[bytes, X.FeeBumpTransaction] | None,
    tx: X.Transaction,
    sigs: list[X.DecoratedSignature],
    outer_sigs: list[X.DecoratedSignature],
) -> Envelope:
    source, source_muxed, _ = account_of(tx.source_account)
    inner_fee = tx.fee.uint32
    if bump is not None:
        outer_hash, fbt = bump
        fee_source, fee_source_muxed, _ = account_of(fbt.fee_source)
        fee = fbt.fee.int64
    else:
        outer_hash, fee_source, fee_source_muxed, fee = inner_hash, source, source_muxed, inner_fee
    env = Envelope(
        xdr=tx_b64,
        hash=outer_hash,
        fee_bump=bump is not None,
        fee_source=fee_source,
        fee_source_muxed=fee_source_muxed,
        fee=fee,
        outer_signatures=list(outer_sigs),
        inner_hash=inner_hash,
        source=source,
        source_muxed=source_muxed,
        seq=tx.seq_num.sequence_number.int64,
        inner_fee=inner_fee,
        signatures=list(sigs),
        memo=tx.memo,
        min_time=None,
        max_time=None,
        min_ledger=None,
        max_ledger=None,
        min_seq_num=None,
        min_seq_age=0,
        min_seq_ledger_gap=0,
        extra_signers=[],
        ops=_ops(tx.operations),
    )
    _preconditions(env, tx.cond)
    return env
