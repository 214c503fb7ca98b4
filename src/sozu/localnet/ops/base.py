"""What every operation needs while applying: the state, the ledger, sponsorships, signatures."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from stellar_sdk import xdr as X

from sozu.localnet.envelope import g_from_raw
from sozu.localnet.signatures import SignatureSet
from sozu.localnet.state import BASE_RESERVE, Account, AssetKey, LedgerState

Effect = tuple[str, str, dict[str, Any]]  # (account, Horizon effect type, its fields)


@dataclass
class ApplyContext:
    state: LedgerState
    ledger_seq: int
    close_time: int
    sigs: SignatureSet | None = None
    # sponsored account id -> sponsoring account id, for begin/end_sponsoring_future_reserves
    sponsoring: dict[str, str] = field(default_factory=dict)
    # Horizon effects of the op being applied: (account, effect type, type-specific fields)
    effects: list[Effect] = field(default_factory=list)

    def effect(self, account: str, kind: str, **fields: Any) -> None:
        self.effects.append((account, kind, fields))


def g_address(account_id: X.AccountID) -> str:
    key = account_id.account_id.ed25519
    assert key is not None
    return g_from_raw(key.uint256)


def muxed_address(m: X.MuxedAccount) -> str:
    """The G address behind a (possibly muxed) XDR account."""
    if m.type == X.CryptoKeyType.KEY_TYPE_MUXED_ED25519:
        assert m.med25519 is not None
        return g_from_raw(m.med25519.ed25519.uint256)
    assert m.ed25519 is not None
    return g_from_raw(m.ed25519.uint256)


def _valid_code(code: bytes, alnum12: bool) -> str | None:
    """Asset code text, or None when the XDR padding/charset rules are broken."""
    text = code.rstrip(b"\x00")
    if b"\x00" in text or not text:
        return None
    if alnum12 and len(text) < 5:
        return None
    if not all(48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 for c in text):
        return None
    return text.decode()


def asset_code_text(code: X.AssetCode) -> str:
    """The text of an AllowTrust asset code (4 or 12 bytes, zero padded)."""
    raw = b""
    if code.asset_code4 is not None:
        raw = code.asset_code4.asset_code4
    elif code.asset_code12 is not None:
        raw = code.asset_code12.asset_code12
    return raw.rstrip(b"\x00").decode(errors="replace")


def asset_key(
    asset: X.Asset | X.ChangeTrustAsset | X.TrustLineAsset,
) -> AssetKey | Literal[False] | None:
    """(code, issuer) for a credit asset, None for native, False when malformed or unsupported."""
    t = asset.type
    if t == X.AssetType.ASSET_TYPE_NATIVE:
        return None
    if t == X.AssetType.ASSET_TYPE_CREDIT_ALPHANUM4 and asset.alpha_num4 is not None:
        a4 = asset.alpha_num4
        return _credit_key(a4.asset_code.asset_code4, False, _raw(a4.issuer))
    if t == X.AssetType.ASSET_TYPE_CREDIT_ALPHANUM12 and asset.alpha_num12 is not None:
        a12 = asset.alpha_num12
        return _credit_key(a12.asset_code.asset_code12, True, _raw(a12.issuer))
    return False


def _raw(account_id: X.AccountID) -> bytes:
    key = account_id.account_id.ed25519
    assert key is not None
    return key.uint256


@lru_cache(maxsize=4096)
def _credit_key(code: bytes, alnum12: bool, issuer: bytes) -> AssetKey | Literal[False]:
    text = _valid_code(code, alnum12)
    return False if text is None else (text, g_from_raw(issuer))


def asset_fields(key: AssetKey | None) -> dict[str, str]:
    """Horizon's asset_type/asset_code/asset_issuer for native (None) or (code, issuer)."""
    if key is None:
        return {"asset_type": "native"}
    code, issuer = key
    kind = "credit_alphanum4" if len(code) <= 4 else "credit_alphanum12"
    return {"asset_type": kind, "asset_code": code, "asset_issuer": issuer}


def sponsor_new_entries(ctx: ApplyContext, owner: Account, count: int) -> tuple[bool, str | None]:
    """Account for `count` new reserve units of `owner`: (reserve ok, sponsor id or None).

    When a sponsorship is open for the owner, the sponsor pays the reserve; otherwise the owner
    must keep its own minimum balance after the new subentries.
    """
    sponsor_id = ctx.sponsoring.get(owner.account_id)
    if sponsor_id is None:
        return owner.balance >= owner.min_balance() + count * BASE_RESERVE, None
    sponsor = ctx.state.edit(sponsor_id)
    if sponsor is None or sponsor.balance < sponsor.min_balance() + count * BASE_RESERVE:
        return False, None
    sponsor.num_sponsoring += count
    owner.num_sponsored += count
    return True, sponsor_id


def release_sponsorship(ctx: ApplyContext, owner: Account, sponsor_id: str | None, n: int) -> None:
    if sponsor_id is None:
        return
    sponsor = ctx.state.edit(sponsor_id)
    if sponsor is not None:
        sponsor.num_sponsoring -= n
    owner.num_sponsored -= n
