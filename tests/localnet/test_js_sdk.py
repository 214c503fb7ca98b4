"""A browser or Node wallet built on the official JavaScript SDK works against the network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.localnet.conftest import NewAccount
from tests.localnet.js_deps import installed_sdk
from tests.localnet_process import LocalNet

SCRIPT = Path(__file__).with_name("js") / "smoke.mjs"


def run_smoke(net: LocalNet, payer_secret: str, payee: str) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(SCRIPT), net.url, net.passphrase, payer_secret, payee],
        env={**os.environ, "SOZU_JS_DEPS": str(installed_sdk())},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"node failed:\n{done.stdout}\n{done.stderr}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are needed to run the JavaScript SDK against the network",
)
def test_the_javascript_sdk_loads_pays_reads_history_and_sees_failures(
    localnet: LocalNet, new_account: NewAccount
) -> None:
    payer, payee = new_account(xlm="100"), new_account(xlm="100")

    seen = run_smoke(localnet, payer.secret, payee.public_key)

    assert seen["load"]["sequenceType"] == "string"
    assert int(seen["load"]["sequence"]) > 0
    assert seen["baseFee"] == 100
    assert seen["payment"]["successful"] is True
    assert isinstance(seen["payment"]["ledger"], int)
    assert seen["payment"]["feeCharged"] == "100"
    newest = seen["payments"][0]
    assert newest == {
        "type": "payment",
        "amount": "5.0000000",
        "from": payer.public_key,
        "transactionHash": seen["payment"]["hash"],
    }
    assert seen["linkedTransaction"] == {
        "hash": seen["payment"]["hash"],
        "ledgerAttr": seen["payment"]["ledger"],
    }
    failure = seen["failure"]
    assert failure is not None, "a payment of 1,000,000 XLM was accepted"
    assert failure["status"] == 400
    assert failure["resultCodes"] == {"transaction": "tx_failed", "operations": ["op_underfunded"]}
    assert failure["transactionFailedError"] is True, failure  # needs extras.result_codes
    assert failure["resultType"] == "txFailed"  # result_xdr decoded by the SDK itself
    assert seen["notFound"]["notFoundError"] is True
    assert seen["stream"]["received"] is True, seen["stream"]
