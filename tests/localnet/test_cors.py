"""A browser wallet on another origin can call the network (CORS), as it can call public Horizon."""

from __future__ import annotations

import requests
from stellar_sdk import Keypair

from tests.localnet.conftest import NewAccount
from tests.localnet_process import LocalNet

ORIGIN = "http://wallet.localhost:5173"


def allows(header: str | None, *names: str) -> bool:
    if header is None:
        return False
    allowed = {h.strip().lower() for h in header.split(",")}
    return "*" in allowed or all(n.lower() in allowed for n in names)


def test_preflight_for_the_js_sdk_headers_is_allowed(
    localnet: LocalNet, new_account: NewAccount
) -> None:
    alice = new_account()

    for path, method in ((f"/accounts/{alice.public_key}", "GET"), ("/transactions", "POST")):
        answer = requests.options(
            localnet.url + path,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "x-client-name,x-client-version",
            },
            timeout=10,
        )
        assert answer.status_code in (200, 204), path
        assert answer.headers.get("Access-Control-Allow-Origin") == "*", path
        assert allows(
            answer.headers.get("Access-Control-Allow-Headers"), "x-client-name", "x-client-version"
        ), path
        methods = answer.headers.get("Access-Control-Allow-Methods")
        assert methods is None or allows(methods, method), path


def test_normal_and_error_responses_carry_allow_origin(
    localnet: LocalNet, new_account: NewAccount
) -> None:
    alice = new_account()
    browser = {"Origin": ORIGIN, "X-Client-Name": "js-stellar-sdk", "X-Client-Version": "17.2.0"}

    answers = {
        "root": requests.get(localnet.url + "/", headers=browser, timeout=10),
        "account": requests.get(
            f"{localnet.url}/accounts/{alice.public_key}", headers=browser, timeout=10
        ),
        "missing account": requests.get(
            f"{localnet.url}/accounts/{Keypair.random().public_key}", headers=browser, timeout=10
        ),
        "malformed submission": requests.post(
            localnet.url + "/transactions", data={"tx": "nope"}, headers=browser, timeout=10
        ),
    }

    assert answers["root"].status_code == 200
    assert answers["account"].status_code == 200
    assert answers["missing account"].status_code == 404
    assert answers["malformed submission"].status_code == 400
    for name, answer in answers.items():
        assert answer.headers.get("Access-Control-Allow-Origin") == "*", name
