"""A web page cannot drive the local network's admin endpoints (/localnet/*) from a browser."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from stellar_sdk import Keypair
from tests.localnet_process import free_port

from sozu.localnet.cli import exposure_warning
from sozu.localnet.network import Config
from sozu.localnet.server import build_app

EVIL = "https://evil.example"


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    app = build_app(Config(data_dir=tmp_path, close_seconds=0.05))
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def exists(client: TestClient, address: str) -> bool:
    return (await client.get(f"/accounts/{address}")).status == 200


@pytest.mark.asyncio
async def test_a_fund_request_from_another_site_is_refused_and_funds_nothing(
    client: TestClient,
) -> None:
    address = Keypair.random().public_key

    r = await client.post(
        "/localnet/fund", json={"address": address, "xlm": "10"}, headers={"Origin": EVIL}
    )

    assert r.status == 403
    assert "another site" in (await r.json())["detail"]
    assert "Access-Control-Allow-Origin" not in r.headers
    assert not await exists(client, address)


@pytest.mark.asyncio
async def test_the_servers_own_origin_may_fund(client: TestClient) -> None:
    address = Keypair.random().public_key
    own = f"http://127.0.0.1:{client.port}"

    r = await client.post(
        "/localnet/fund", json={"address": address, "xlm": "10"}, headers={"Origin": own}
    )

    assert r.status == 200, await r.text()
    assert await exists(client, address)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"data": "address=G&xlm=10"}, id="form"),
        pytest.param({"data": b"{}", "headers": {"Content-Type": "text/plain"}}, id="text-plain"),
        pytest.param({}, id="no-body"),
    ],
)
async def test_writes_without_a_json_content_type_are_refused(
    client: TestClient, body: dict[str, object]
) -> None:
    before = await (await client.get("/localnet/faults")).json()

    fund = await client.post("/localnet/fund", **body)  # type: ignore[arg-type]
    faults = await client.post("/localnet/faults", **body)  # type: ignore[arg-type]
    cleared = await client.delete("/localnet/faults", **body)  # type: ignore[arg-type]
    crash = await client.post("/localnet/crash", **body)  # type: ignore[arg-type]

    assert [fund.status, faults.status, cleared.status, crash.status] == [415, 415, 415, 415]
    assert "application/json" in (await fund.json())["detail"]
    assert await (await client.get("/localnet/faults")).json() == before
    assert (await client.get("/")).status == 200  # and the network did not crash


@pytest.mark.asyncio
async def test_json_writes_still_work(client: TestClient) -> None:
    set_ = await client.post("/localnet/faults", json={"rate_limit": 0.5})
    cleared = await client.delete("/localnet/faults", json={})

    assert set_.status == 200
    assert (await set_.json())["rate_limit"] == 0.5
    assert cleared.status == 200
    assert (await cleared.json())["rate_limit"] == 0


@pytest.mark.asyncio
async def test_a_dns_rebinding_page_addressing_us_by_its_name_is_refused(
    client: TestClient,
) -> None:
    address = Keypair.random().public_key
    host = f"rebind.evil.example:{client.port}"

    r = await client.post(
        "/localnet/fund",
        json={"address": address, "xlm": "10"},
        headers={"Host": host, "Origin": f"http://{host}"},
    )
    info = await client.get("/localnet/info", headers={"Host": host})

    assert r.status == 403
    assert info.status == 403
    assert not await exists(client, address)


@pytest.mark.asyncio
async def test_no_preflight_passes_and_no_admin_answer_is_readable_cross_origin(
    client: TestClient,
) -> None:
    preflight = await client.options(
        "/localnet/fund",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    info = await client.get("/localnet/info")
    public = await client.get("/", headers={"Origin": EVIL})

    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert info.status == 200
    assert "Access-Control-Allow-Origin" not in info.headers
    assert public.headers["Access-Control-Allow-Origin"] == "*"  # Horizon's API stays open


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_no_warning_on_loopback(host: str) -> None:
    assert exposure_warning(host) is None


def test_binding_every_interface_warns(tmp_path: Path) -> None:
    port = free_port()
    argv = ["localnet", "--host", "0.0.0.0", "--port", str(port), "--data", str(tmp_path / "n")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sozu.cli", *argv],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    assert first.startswith("WARNING: the local network listens on 0.0.0.0")
