"""SQLite persistence: one transaction per ledger close, and the history queries Horizon serves."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sozu.localnet.state import Account

Json = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledgers (seq INTEGER PRIMARY KEY, header TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
    id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, inner_hash TEXT, ledger INTEGER NOT NULL,
    successful INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS txs_inner ON txs(inner_hash) WHERE inner_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS txs_ledger ON txs(ledger, id);
CREATE TABLE IF NOT EXISTS tx_accounts (
    account TEXT NOT NULL, tx_id INTEGER NOT NULL, PRIMARY KEY (account, tx_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ops (
    id INTEGER PRIMARY KEY, tx_id INTEGER NOT NULL, is_payment INTEGER NOT NULL,
    successful INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ops_tx ON ops(tx_id, id);
CREATE INDEX IF NOT EXISTS ops_payments ON ops(id) WHERE is_payment = 1;
CREATE TABLE IF NOT EXISTS effects (
    op_id INTEGER NOT NULL, idx INTEGER NOT NULL, account TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (op_id, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS effects_account ON effects(account, op_id, idx);
CREATE TABLE IF NOT EXISTS op_accounts (
    account TEXT NOT NULL, op_id INTEGER NOT NULL, is_payment INTEGER NOT NULL,
    PRIMARY KEY (account, op_id)) WITHOUT ROWID;
"""


@dataclass
class LedgerWrite:
    """Everything one ledger close changes, written in a single SQLite transaction."""

    header: Json
    accounts: list[Account] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # (toid, hash, inner hash or None, record, participant accounts)
    txs: list[tuple[int, str, str | None, Json, set[str]]] = field(default_factory=list)
    # (op id, tx id, is payment, record, participant accounts)
    ops: list[tuple[int, int, bool, Json, set[str]]] = field(default_factory=list)
    # (op id, order within the op, account, record)
    effects: list[tuple[int, int, str, Json]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


class Store:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- loading -------------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def load_accounts(self) -> dict[str, Account]:
        rows = self.db.execute("SELECT body FROM accounts")
        accounts = (Account.from_json(json.loads(body)) for (body,) in rows)
        return {a.account_id: a for a in accounts}

    def last_header(self) -> Json | None:
        row = self.db.execute("SELECT header FROM ledgers ORDER BY seq DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    # -- writing -------------------------------------------------------------------------------

    def write_ledger(self, w: LedgerWrite) -> None:
        db = self.db
        dumps = json.dumps
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT OR REPLACE INTO accounts (id, body) VALUES (?, ?)",
                [(a.account_id, dumps(a.to_json())) for a in w.accounts],
            )
            db.executemany("DELETE FROM accounts WHERE id = ?", [(d,) for d in w.deleted])
            db.executemany(
                "INSERT INTO txs (id, hash, inner_hash, ledger, successful, record) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (t[0], t[1], t[2], w.header["sequence"], int(t[3]["successful"]), dumps(t[3]))
                    for t in w.txs
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO tx_accounts (account, tx_id) VALUES (?, ?)",
                [(a, t[0]) for t in w.txs for a in t[4]],
            )
            db.executemany(
                "INSERT INTO ops (id, tx_id, is_payment, successful, record) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (o[0], o[1], int(o[2]), int(o[3]["transaction_successful"]), dumps(o[3]))
                    for o in w.ops
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO op_accounts (account, op_id, is_payment) VALUES (?, ?, ?)",
                [(a, o[0], int(o[2])) for o in w.ops for a in o[4]],
            )
            db.executemany(
                "INSERT INTO effects (op_id, idx, account, record) VALUES (?, ?, ?, ?)",
                [(e[0], e[1], e[2], dumps(e[3])) for e in w.effects],
            )
            db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(w.meta.items())
            )
            db.execute(
                "INSERT INTO ledgers (seq, header) VALUES (?, ?)",
                (w.header["sequence"], dumps(w.header)),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- queries -------------------------------------------------------------------------------

    def tx_by_hash(self, h: str) -> tuple[Json, bool] | None:
        """(record, found by its inner hash)."""
        row = self.db.execute("SELECT record FROM txs WHERE hash = ?", (h,)).fetchone()
        if row:
            return json.loads(row[0]), False
        row = self.db.execute("SELECT record FROM txs WHERE inner_hash = ?", (h,)).fetchone()
        return (json.loads(row[0]), True) if row else None

    def op_by_id(self, op_id: int) -> Json | None:
        row = self.db.execute("SELECT record FROM ops WHERE id = ?", (op_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def ledger(self, seq: int) -> Json | None:
        row = self.db.execute("SELECT header FROM ledgers WHERE seq = ?", (seq,)).fetchone()
        return json.loads(row[0]) if row else None

    def page(
        self,
        kind: str,
        *,
        cursor: int,
        desc: bool,
        limit: int,
        scope: tuple[str, Any] | None,
        include_failed: bool = False,
    ) -> list[Json]:
        """Records of one collection after `cursor` (exclusive), in paging order.

        kind: "transactions", "operations", "payments" or "ledgers"; scope narrows to
        ("account", id), ("ledger", seq) or ("transaction", tx id).
        """
        cmp, order = ("<", "DESC") if desc else (">", "ASC")
        args: list[Any] = [cursor]
        if kind == "ledgers":  # the cursor is a ledger's paging token: seq << 32
            sql = f"SELECT header FROM ledgers WHERE seq {cmp} ? ORDER BY seq {order} LIMIT ?"  # noqa: S608
            args = [cursor >> 32 if not desc else -(-cursor // 2**32)]
        elif kind == "transactions":
            if scope and scope[0] == "account":
                join = "tx_accounts a JOIN txs t ON t.id = a.tx_id"
                sql = f"SELECT t.record FROM {join} WHERE a.account = ? AND a.tx_id {cmp} ?"  # noqa: S608
                args = [scope[1], cursor]
                if not include_failed:
                    sql += " AND t.successful = 1"
                sql += f" ORDER BY a.tx_id {order} LIMIT ?"
            else:
                sql = f"SELECT record FROM txs WHERE id {cmp} ?"  # noqa: S608
                if not include_failed:
                    sql += " AND successful = 1"
                if scope and scope[0] == "ledger":
                    sql += " AND ledger = ?"
                    args.append(scope[1])
                sql += f" ORDER BY id {order} LIMIT ?"
        else:
            pay = " AND is_payment = 1" if kind == "payments" else ""
            if scope and scope[0] == "account":
                join = "op_accounts a JOIN ops o ON o.id = a.op_id"
                where = f"a.account = ? AND a.op_id {cmp} ?" + pay.replace("is_", "a.is_")
                sql = f"SELECT o.record FROM {join} WHERE {where}"  # noqa: S608
                args = [scope[1], cursor]
                if not include_failed:
                    sql += " AND o.successful = 1"
                sql += f" ORDER BY a.op_id {order} LIMIT ?"
            else:
                sql = f"SELECT record FROM ops WHERE id {cmp} ?{pay}"  # noqa: S608
                if not include_failed:
                    sql += " AND successful = 1"
                if scope and scope[0] == "transaction":
                    sql += " AND tx_id = ?"
                    args.append(scope[1])
                elif scope and scope[0] == "ledger":
                    sql += " AND id >= ? AND id < ?"
                    args += [scope[1] << 32, (scope[1] + 1) << 32]
                sql += f" ORDER BY id {order} LIMIT ?"
        args.append(limit)
        return [json.loads(r[0]) for r in self.db.execute(sql, args)]

    def effects_page(
        self,
        *,
        cursor: tuple[int, int],
        desc: bool,
        limit: int,
        scope: tuple[str, Any] | None,
    ) -> list[Json]:
        """Effects after (op id, order) `cursor`; scope: account, ledger, transaction, operation."""
        cmp, order = ("<", "DESC") if desc else (">", "ASC")
        sql = f"SELECT record FROM effects WHERE (op_id, idx) {cmp} (?, ?)"  # noqa: S608
        args: list[Any] = list(cursor)
        if scope is not None:
            kind, value = scope
            if kind == "account":
                sql += " AND account = ?"
                args.append(value)
            else:
                lo, hi = {
                    "ledger": (value << 32, (value + 1) << 32),
                    "transaction": (value, value + 4096),
                    "operation": (value, value + 1),
                }[kind]
                sql += " AND op_id >= ? AND op_id < ?"
                args += [lo, hi]
        sql += f" ORDER BY op_id {order}, idx {order} LIMIT ?"
        args.append(limit)
        return [json.loads(r[0]) for r in self.db.execute(sql, args)]

    def tx_id_of(self, h: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM txs WHERE hash = ? OR inner_hash = ?", (h, h)
        ).fetchone()
        return int(row[0]) if row else None
