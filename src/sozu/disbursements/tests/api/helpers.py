"""What the API tests read back: balances and transactions on the network, rows counted."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from stellar_sdk import Server
from tests.localnet_process import LocalNet

from sozu.disbursements.models import Batch, IdempotencyRecord, Payout
from sozu.orgs.models import Organization
from sozu.orgs.services import organization_create


def usdc_balance(net: LocalNet, address: str) -> Decimal:
    data = Server(net.url).accounts().account_id(address).call()
    for b in data["balances"]:
        if b.get("asset_code") == net.usdc_code and b.get("asset_issuer") == net.usdc_issuer:
            return Decimal(b["balance"])
    return Decimal(0)


def transaction_on_network(net: LocalNet, tx_hash: str) -> dict[str, Any]:
    return dict(Server(net.url).transactions().transaction(tx_hash).call())


def row_counts() -> tuple[int, int, int]:
    """(batches, payouts, idempotency records): a refused request changes none of them."""
    return Batch.objects.count(), Payout.objects.count(), IdempotencyRecord.objects.count()


def post_json(client: Any, path: str, body: object, **headers: str) -> Any:
    return client.post(path, data=body, content_type="application/json", headers=headers)


def new_org(*, usdc: str = "1000", channels: int = 2) -> Organization:
    return organization_create(
        slug=f"ong-{uuid.uuid4().hex[:8]}",
        name="Asociación Civil Manos Unidas",
        actor="test",
        fund_usdc=Decimal(usdc),
        channels=channels,
    )
