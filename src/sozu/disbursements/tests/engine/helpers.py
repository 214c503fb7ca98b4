"""Small steps the engine tests share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sozu.disbursements.models import Batch
from sozu.disbursements.services import engine
from sozu.disbursements.services.batches import batch_create, batch_execute
from sozu.disbursements.worker import Worker
from sozu.stellar import network


def lines(*pairs: tuple[str, str], memo: str = "") -> list[tuple[int, dict[str, Any]]]:
    return [
        (i + 2, {"destination": dest, "amount": amount, "memo": memo})
        for i, (dest, amount) in enumerate(pairs)
    ]


def create_and_execute(org: Any, rows: list[tuple[int, dict[str, Any]]], **kw: Any) -> Batch:
    batch = batch_create(organization=org, rows=rows, actor="test", **kw)
    return batch_execute(organization=org, batch_id=batch.pk, actor="test")


def pack_now(org: Any, *, fee_per_op: int = 100, worker: str = "t") -> engine.Packed:
    """Sign and store one envelope as a worker would, without submitting it."""
    packed = engine.pack_transaction(
        organization=org,
        worker=worker,
        latest_ledger=network.client().latest_ledger(),
        fee_per_op=fee_per_op,
        signers=engine.SignerCache(),
    )
    assert packed is not None
    return packed


def run_worker(name: str = "test", **kw: Any) -> None:
    Worker(name, threads=4, **kw).run(until_idle=True)


def total(*amounts: str) -> Decimal:
    return sum((Decimal(a) for a in amounts), Decimal(0))
