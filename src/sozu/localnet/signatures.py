"""Who signed: match an envelope's signatures against an account's signers and thresholds."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from stellar_sdk import Keypair, StrKey
from stellar_sdk import xdr as X
from stellar_sdk.exceptions import BadSignatureError

from sozu.localnet.state import Account


@lru_cache(maxsize=65536)
def signer_raw(key: str) -> tuple[str, bytes]:
    """("ed25519" | "preauth_tx" | "sha256_hash", raw 32 bytes) of a signer strkey."""
    if key[0] == "G":
        return "ed25519", StrKey.decode_ed25519_public_key(key)
    if key[0] == "T":
        return "preauth_tx", StrKey.decode_pre_auth_tx(key)
    return "sha256_hash", StrKey.decode_sha256_hash(key)


def signer_key_strkey(sk: X.SignerKey) -> str | None:
    """Strkey of an XDR SignerKey (signed-payload signers are not supported here)."""
    t = sk.type
    if t == X.SignerKeyType.SIGNER_KEY_TYPE_ED25519 and sk.ed25519 is not None:
        return StrKey.encode_ed25519_public_key(sk.ed25519.uint256)
    if t == X.SignerKeyType.SIGNER_KEY_TYPE_PRE_AUTH_TX and sk.pre_auth_tx is not None:
        return StrKey.encode_pre_auth_tx(sk.pre_auth_tx.uint256)
    if t == X.SignerKeyType.SIGNER_KEY_TYPE_HASH_X and sk.hash_x is not None:
        return StrKey.encode_sha256_hash(sk.hash_x.uint256)
    return None


class SignatureSet:
    """The signatures over one transaction hash, remembering which ones some check used."""

    def __init__(self, tx_hash: bytes, sigs: list[X.DecoratedSignature], cache: dict) -> None:
        self.tx_hash = tx_hash
        self.sigs = [(s.hint.signature_hint, s.signature.signature) for s in sigs]
        self.used = [False] * len(sigs)
        self._cache = cache  # survives between submission and apply: verify each pair once

    def _matches(self, i: int, kind: str, raw: bytes) -> bool:
        hint, sig = self.sigs[i]
        if hint != raw[-4:]:
            return False
        key = (i, kind, raw, self.tx_hash)
        hit = self._cache.get(key)
        if hit is None:
            if kind == "ed25519":
                try:
                    Keypair.from_raw_ed25519_public_key(raw).verify(self.tx_hash, sig)
                    hit = True
                except BadSignatureError:
                    hit = False
            else:  # hashX: the "signature" is the preimage
                hit = hashlib.sha256(sig).digest() == raw
            self._cache[key] = hit
        return hit

    def weight_of(self, signers: list[tuple[str, int]]) -> tuple[int, bool]:
        """Total weight of the given signers found here, and whether any matched."""
        total, matched = 0, False
        for key, weight in signers:
            kind, raw = signer_raw(key)
            if kind == "preauth_tx":
                if raw == self.tx_hash:
                    total, matched = total + weight, True
                continue
            for i in range(len(self.sigs)):
                if self._matches(i, kind, raw):
                    self.used[i] = True
                    total, matched = total + weight, True
                    break
        return total, matched

    def check_account(self, acc: Account | None, account_id: str, needed: int) -> bool:
        """Core's rule: at least one matching signer and total weight >= the threshold."""
        if acc is None:
            # A missing account (e.g. an op source about to be created) needs its master key.
            _, matched = self.weight_of([(account_id, 1)])
            return matched
        signers = [(k, w) for k, (w, _) in acc.signers.items() if w > 0]
        if acc.master_weight > 0:
            signers.insert(0, (acc.account_id, acc.master_weight))
        total, matched = self.weight_of(signers)
        return matched and total >= needed

    def check_key(self, key: str) -> bool:
        _, matched = self.weight_of([(key, 1)])
        return matched

    def all_used(self) -> bool:
        return all(self.used)
