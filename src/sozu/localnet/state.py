"""In-memory ledger entries (accounts, trustlines) with nested savepoints for atomic apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BASE_RESERVE = 5_000_000  # 0.5 XLM, in stroops
BASE_FEE = 100
PROTOCOL_VERSION = 22
INT64_MAX = 2**63 - 1
MAX_SIGNERS = 20
MAX_SUBENTRIES = 1000

# Account flags (AccountFlags in the XDR).
AUTH_REQUIRED = 1
AUTH_REVOCABLE = 2
AUTH_IMMUTABLE = 4
AUTH_CLAWBACK_ENABLED = 8
ALL_ACCOUNT_FLAGS = 15

# Trustline flags (TrustLineFlags in the XDR).
TL_AUTHORIZED = 1
TL_AUTHORIZED_TO_MAINTAIN_LIABILITIES = 2
TL_CLAWBACK_ENABLED = 4

AssetKey = tuple[str, str]  # (code, issuer); the native asset never gets a key


@dataclass(slots=True)
class TrustLine:
    code: str
    issuer: str
    balance: int = 0
    limit: int = INT64_MAX
    flags: int = 0
    sponsor: str | None = None
    last_modified_ledger: int = 0

    def clone(self) -> TrustLine:
        return TrustLine(
            self.code,
            self.issuer,
            self.balance,
            self.limit,
            self.flags,
            self.sponsor,
            self.last_modified_ledger,
        )

    @property
    def authorized(self) -> bool:
        return bool(self.flags & TL_AUTHORIZED)

    @property
    def can_maintain(self) -> bool:
        return bool(self.flags & (TL_AUTHORIZED | TL_AUTHORIZED_TO_MAINTAIN_LIABILITIES))


@dataclass(slots=True)
class Account:
    account_id: str
    balance: int
    seq_num: int
    num_subentries: int = 0
    flags: int = 0
    home_domain: str = ""
    master_weight: int = 1
    low_threshold: int = 0
    med_threshold: int = 0
    high_threshold: int = 0
    # signer key (G…, T… or X… strkey) -> (weight, sponsor or None)
    signers: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    # data name -> (value, sponsor or None)
    data: dict[str, tuple[bytes, str | None]] = field(default_factory=dict)
    trustlines: dict[AssetKey, TrustLine] = field(default_factory=dict)
    sponsor: str | None = None
    num_sponsoring: int = 0
    num_sponsored: int = 0
    last_modified_ledger: int = 0
    last_modified_time: int = 0
    seq_ledger: int = 0
    seq_time: int = 0

    def clone(self) -> Account:
        # Spelled out: copy.copy on a slotted dataclass is several times slower.
        return Account(
            self.account_id,
            self.balance,
            self.seq_num,
            self.num_subentries,
            self.flags,
            self.home_domain,
            self.master_weight,
            self.low_threshold,
            self.med_threshold,
            self.high_threshold,
            dict(self.signers),
            dict(self.data),
            {k: v.clone() for k, v in self.trustlines.items()},
            self.sponsor,
            self.num_sponsoring,
            self.num_sponsored,
            self.last_modified_ledger,
            self.last_modified_time,
            self.seq_ledger,
            self.seq_time,
        )

    def min_balance(self) -> int:
        """Reserve the account must keep: 0.5 XLM per base entry, subentry and sponsorship."""
        units = 2 + self.num_subentries + self.num_sponsoring - self.num_sponsored
        return units * BASE_RESERVE

    def available(self) -> int:
        return self.balance - self.min_balance()

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "balance": self.balance,
            "seq_num": self.seq_num,
            "num_subentries": self.num_subentries,
            "flags": self.flags,
            "home_domain": self.home_domain,
            "thresholds": [
                self.master_weight,
                self.low_threshold,
                self.med_threshold,
                self.high_threshold,
            ],
            "signers": [[k, w, s] for k, (w, s) in self.signers.items()],
            "data": [[k, v.hex(), s] for k, (v, s) in self.data.items()],
            "trustlines": [
                [t.code, t.issuer, t.balance, t.limit, t.flags, t.sponsor, t.last_modified_ledger]
                for t in self.trustlines.values()
            ],
            "sponsor": self.sponsor,
            "num_sponsoring": self.num_sponsoring,
            "num_sponsored": self.num_sponsored,
            "last_modified": [self.last_modified_ledger, self.last_modified_time],
            "seq_at": [self.seq_ledger, self.seq_time],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Account:
        acc = cls(account_id=d["account_id"], balance=int(d["balance"]), seq_num=int(d["seq_num"]))
        acc.num_subentries = d["num_subentries"]
        acc.flags = d["flags"]
        acc.home_domain = d["home_domain"]
        acc.master_weight, acc.low_threshold, acc.med_threshold, acc.high_threshold = d[
            "thresholds"
        ]
        acc.signers = {k: (w, s) for k, w, s in d["signers"]}
        acc.data = {k: (bytes.fromhex(v), s) for k, v, s in d["data"]}
        for code, issuer, bal, limit, flags, sponsor, lml in d["trustlines"]:
            acc.trustlines[(code, issuer)] = TrustLine(
                code, issuer, bal, limit, flags, sponsor, lml
            )
        acc.sponsor = d["sponsor"]
        acc.num_sponsoring = d["num_sponsoring"]
        acc.num_sponsored = d["num_sponsored"]
        acc.last_modified_ledger, acc.last_modified_time = d["last_modified"]
        acc.seq_ledger, acc.seq_time = d["seq_at"]
        return acc


_ABSENT = object()


class LedgerState:
    """Accounts by id, with a stack of savepoints so a failed op or tx can be undone.

    Writers call `edit(id)` before mutating an account; the first edit inside a savepoint keeps
    the original so `rollback()` can put it back. `dirty` collects what to persist at close.
    """

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self._saved: list[dict[str, Any]] = []
        self.dirty: set[str] = set()
        self.ledger_seq = 0  # the ledger being applied, stamped on modified entries
        self.close_time = 0

    def get(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def _remember(self, account_id: str) -> None:
        if self._saved:
            top = self._saved[-1]
            if account_id not in top:
                acc = self.accounts.get(account_id)
                top[account_id] = acc.clone() if acc is not None else _ABSENT
        self.dirty.add(account_id)

    def edit(self, account_id: str) -> Account | None:
        acc = self.accounts.get(account_id)
        if acc is None:
            return None
        self._remember(account_id)
        acc.last_modified_ledger = self.ledger_seq
        acc.last_modified_time = self.close_time
        return acc

    def create(self, acc: Account) -> Account:
        self._remember(acc.account_id)
        acc.last_modified_ledger = self.ledger_seq
        acc.last_modified_time = self.close_time
        self.accounts[acc.account_id] = acc
        return acc

    def delete(self, account_id: str) -> None:
        self._remember(account_id)
        self.accounts.pop(account_id, None)

    def savepoint(self) -> None:
        self._saved.append({})

    def commit(self) -> None:
        top = self._saved.pop()
        if self._saved:
            parent = self._saved[-1]
            for k, v in top.items():
                parent.setdefault(k, v)

    def rollback(self) -> None:
        top = self._saved.pop()
        for k, v in top.items():
            if v is _ABSENT:
                self.accounts.pop(k, None)
            else:
                self.accounts[k] = v
