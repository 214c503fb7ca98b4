"""Ledger headers as real LedgerHeader XDR: the ledger hash is the SHA-256 of those bytes."""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any


def seal(h: dict[str, Any], tx_hashes: list[bytes], result_xdrs: list[str]) -> None:
    """Fill `header_xdr` and `hash` of a header dict whose other fields are set."""
    tx_set_hash = hashlib.sha256(bytes.fromhex(h["prev_hash"]) + b"".join(tx_hashes)).digest()
    result_hash = hashlib.sha256("".join(result_xdrs).encode()).digest()
    # We keep no bucket list; a digest of what changed keeps the field meaningful and unique.
    bucket_hash = hashlib.sha256(tx_set_hash + result_hash + struct.pack(">I", h["sequence"]))
    out = struct.pack(">I", h["protocol_version"])
    out += bytes.fromhex(h["prev_hash"])
    out += tx_set_hash + struct.pack(">QIi", h["close_time"], 0, 0)  # closeTime, no upgrades
    out += result_hash + bucket_hash.digest()
    out += struct.pack(
        ">IqqIQIII",
        h["sequence"],
        h["total_coins"],
        h["fee_pool"],
        0,  # inflationSeq
        h["sequence"] << 32,  # idPool
        h["base_fee"],
        h["base_reserve"],
        h["max_tx_set_size"],
    )
    out += b"\x00" * 32 * 4  # skipList
    out += struct.pack(">i", 0)
    h["header_xdr"] = base64.b64encode(out).decode()
    h["hash"] = hashlib.sha256(out).hexdigest()
