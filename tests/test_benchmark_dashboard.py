"""benchmarks/dashboard.py at a tiny size: the builder still fits the models, its audit rows
keep the hash chain intact, and every measured page answers 200 for the signed-in owner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from benchmarks.dashboard import PAGES, build, measure
from stellar_sdk import Keypair

from sozu.audit.services import audit_verify_chain
from sozu.disbursements.models import Batch
from tests.localnet_process import LocalNet

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)


def test_builder_at_a_tiny_size(net_settings: LocalNet, settings: Any) -> None:
    wallet = Keypair.random().public_key
    net_settings.fund(wallet, xlm="10", usdc="100")
    built = build(
        beneficiaries=50,
        payouts=400,
        batches=8,
        big_batch_lines=60,
        audit_events=300,
        now=NOW,
        wallet=wallet,
    )
    assert built.counts == {
        "beneficiaries": 50,
        "payouts": 400,
        "batches": 8,
        "big_batch_lines": 60,
        "audit_events": 301,  # the owner's membership, then the bulk rows
    }
    assert audit_verify_chain(organization_id=built.organization_id) is None
    big = Batch.objects.get(pk=built.big_batch_id)
    assert (big.status, big.line_count) == ("executing", 60)

    figures = measure(built, requests=1, warmup=0)
    assert set(figures) == set(PAGES)
    assert all(f["queries"] > 0 for f in figures.values())
