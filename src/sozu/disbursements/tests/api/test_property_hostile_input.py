"""Arbitrary JSON and CSV thrown at the payout and batch endpoints: never a 5xx, and a refused
request saves nothing and pays nothing (Hypothesis)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sozu.disbursements.models import Batch, Payout
from sozu.orgs.models import Organization

pytestmark = pytest.mark.django_db(transaction=True)

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run: CI never flips on luck
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        ["\u0661\u0662", "\uff11\uff12", "1e21", "9" * 40, "1.000", "-1", "12.5", "\x00"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
amount_text = st.from_regex(r"[-+0-9.,eE_ ]{0,14}", fullmatch=True) | st.sampled_from(
    ["1", "0.0000001", "999999999999999999999", "1.000", "2", "1e3", "\u0661", "\uff11"]
)


def line_of(destinations: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "destination": st.sampled_from(destinations) | json_values,
            "beneficiary_id": json_values | st.sampled_from(["²", "10000000000000000000"]),
            "amount": amount_text | json_values,
            "memo": st.text(max_size=40) | json_values,
        },
    )


csv_cell = st.text(max_size=10) | amount_text | st.sampled_from(["\x00", '"', "\n", ",", ";"])


@pytest.fixture
def open_org(org: Organization) -> Organization:
    # Without keys: a refusal must then leave no row at all, not even an idempotency record.
    org.require_idempotency_key = False
    org.save(update_fields=["require_idempotency_key"])
    return org


@pytest.fixture
def counted() -> Callable[[], tuple[int, int, int]]:
    def counts() -> tuple[int, int, int]:
        paid = Payout.objects.exclude(tx_hash="").count()
        return Batch.objects.count(), Payout.objects.count(), paid

    return counts


def check(client: Client, counted: Callable[[], tuple[int, int, int]], **request: Any) -> None:
    before = counted()
    r = client.post(**request)
    assert r.status_code < 500, (r.status_code, r.content[:500], request)
    if r.status_code >= 400:
        assert r["Content-Type"] == "application/problem+json", request
        assert r.json()["code"], request
        assert counted() == before, request


def test_arbitrary_json_at_post_payouts(open_org, api_client, recipient, counted):
    destinations = [recipient()]

    @PROPERTY
    @given(body=line_of(destinations) | json_values)
    def property_(body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        check(
            api_client,
            counted,
            path="/api/v1/payouts",
            data=data,
            content_type="application/json",
        )

    property_()


def test_arbitrary_bytes_at_post_payouts(open_org, api_client, counted):
    @PROPERTY
    @given(data=st.binary(max_size=200))
    def property_(data: bytes) -> None:
        check(
            api_client, counted, path="/api/v1/payouts", data=data, content_type="application/json"
        )

    property_()


def test_arbitrary_json_at_post_batches(open_org, api_client, recipient, counted):
    destinations = [recipient()]

    @PROPERTY
    @given(
        body=st.fixed_dictionaries(
            {"lines": st.lists(line_of(destinations), max_size=4) | json_values},
            optional={"name": st.text(max_size=10) | json_values},
        )
        | json_values
    )
    def property_(body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        check(
            api_client, counted, path="/api/v1/batches", data=data, content_type="application/json"
        )

    property_()


def test_arbitrary_csv_at_post_batches(open_org, api_client, recipient, counted):
    dest = recipient()
    header = st.lists(
        st.sampled_from(["destination", "Amount", "amount", " AMOUNT ", "memo", "beneficiary_id"])
        | st.text(max_size=6),
        min_size=1,
        max_size=4,
    )

    @PROPERTY
    @given(
        columns=header,
        rows=st.lists(st.lists(csv_cell | st.just(dest), max_size=5), max_size=4),
        delimiter=st.sampled_from([",", ";", "\t"]),
        raw=st.none() | st.binary(max_size=120),
    )
    def property_(columns: list[str], rows: list[list[str]], delimiter: str, raw: bytes) -> None:
        lines = [delimiter.join(columns), *(delimiter.join(cells) for cells in rows)]
        data = raw if raw is not None else "\n".join(lines).encode()
        check(api_client, counted, path="/api/v1/batches", data=data, content_type="text/csv")

    property_()
