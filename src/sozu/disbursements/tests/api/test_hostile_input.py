"""Hostile or careless input to the API is refused with a clear problem, never paid, never a 500."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from sozu.disbursements import api
from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.tests.api.helpers import post_json, row_counts, usdc_balance
from sozu.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

HUGE_ID = "100000000000000000000"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"amount": "\u0661\u0662"}, "amount_invalid"),  # Arabic-Indic 12: Python reads 12
        ({"amount": "\uff11\uff12"}, "amount_invalid"),  # fullwidth 12
        ({"amount": "1e21"}, "amount_invalid"),  # was an HTML 500 (decimal.InvalidOperation)
        ({"amount": "9" * 60}, "amount_too_large"),  # was an HTML 500
        ({"amount": "1.000"}, "amount_ambiguous_thousands"),
        ({"amount": "1", "memo": {"a": 1}}, "memo_not_text"),  # was paid, memo "{'a': 1}"
        ({"amount": "1", "memo": "cuota\x00"}, "memo_not_printable"),  # was paid
        ({"amount": "1", "memo": "ñ" * 15}, "memo_too_long"),  # 30 bytes
    ],
)
def test_a_payout_with_bad_input_is_refused_and_not_paid(
    api_client, recipient, localnet, fields, code
):
    dest = recipient()
    before = usdc_balance(localnet, dest)

    r = post_json(
        api_client,
        "/api/v1/payouts",
        {"destination": dest, **fields},
        **{"Idempotency-Key": f"malo-{code}", "Accept-Language": "en"},
    )

    assert r.status_code == 400, r.content
    assert r["Content-Type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == code
    assert problem["errors"][0]["line"] == 1
    assert problem["detail"] and problem["detail"] != code  # a sentence, not the code
    assert Payout.objects.count() == 0
    assert usdc_balance(localnet, dest) == before


@pytest.mark.parametrize("beneficiary_id", ["²", "10000000000000000000", True, 1.5, "-3"])
def test_a_beneficiary_id_that_is_not_a_bounded_ascii_integer_is_refused(
    api_client, beneficiary_id
):
    r = post_json(
        api_client,
        "/api/v1/payouts",
        {"beneficiary_id": beneficiary_id, "amount": "1"},
        **{"Idempotency-Key": f"ben-{beneficiary_id}"},
    )

    assert r.status_code == 400, r.content
    assert r.json()["code"] == "beneficiary_id_invalid"
    assert Payout.objects.count() == 0


def test_a_csv_with_an_unreadable_amount_names_its_line(api_client, recipient):
    dest = recipient()
    counts = row_counts()

    r = api_client.post(
        "/api/v1/batches",
        data=f"destination,amount\n{dest},1\n{dest},1e21\n{dest},{'9' * 40}\n".encode(),
        content_type="text/csv",
        headers={"Accept-Language": "en"},
    )

    assert r.status_code == 400, r.content
    assert [(e["line"], e["code"]) for e in r.json()["errors"]] == [
        (3, "amount_invalid"),
        (4, "amount_too_large"),
    ]
    assert r.json()["errors"][0]["message"] == "“1e21” is not a valid amount."
    assert row_counts() == counts


@pytest.mark.parametrize(
    ("csv", "code"),
    [
        ("destination,amount,Amount\n{dest},1,100\n", "csv_duplicate_column"),
        ("destination,amount,memo\n{dest},1,a\x00b\n", "csv_nul_byte"),
    ],
)
def test_a_csv_with_a_nul_or_a_repeated_column_is_not_saved(api_client, recipient, csv, code):
    counts = row_counts()

    r = api_client.post(
        "/api/v1/batches",
        data=csv.format(dest=recipient()).encode(),
        content_type="text/csv",
        headers={"Accept-Language": "en"},
    )

    assert (r.status_code, r.json()["code"]) == (400, code)
    assert "amount" in r.json()["detail"] or "line 2" in r.json()["detail"].lower()
    assert row_counts() == counts
    assert Batch.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/batches?page=²", "page"),
        (f"/api/v1/batches?page={HUGE_ID}", "page"),
        ("/api/v1/batches?page_size=0", "page_size"),
        ("/api/v1/batches?status=nope", "status"),
        (f"/api/v1/batches/{HUGE_ID}", "batch_id"),
        (f"/api/v1/batches/{HUGE_ID}/lines", "batch_id"),
        (f"/api/v1/payouts/{HUGE_ID}", "payout_id"),
        ("/api/v1/payouts/²", "payout_id"),
    ],
)
def test_ids_and_page_numbers_are_bounded_ascii_integers(api_client, url, field):
    r = api_client.get(url)

    assert r.status_code == 400, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert (r.json()["code"], r.json()["params"]) == ("invalid_field", {"field": field})


@pytest.mark.parametrize(
    "url", ["https://example.org/" + "a" * 600, "https://example.org/\x00", 42, ""]
)
def test_a_webhook_url_that_cannot_be_stored_is_refused(api_client, url):
    r = post_json(api_client, "/api/v1/webhooks", {"url": url})

    assert (r.status_code, r.json()["code"]) == (400, "invalid_field")
    assert r.json()["params"] == {"field": "url"}
    assert not WebhookEndpoint.objects.exists()


def test_an_unexpected_error_is_a_logged_problem_with_an_id_not_an_html_page(
    api_client, monkeypatch, caplog
):
    batch_id = post_json(
        api_client, "/api/v1/batches", {"lines": [{"destination": "G" * 56, "amount": "1"}]}
    )
    assert batch_id.status_code == 400  # no batch: the detail view below is reached by id 1

    def broken(**kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "batch_get", broken)
    with caplog.at_level(logging.ERROR):
        r = api_client.get("/api/v1/batches/1", headers={"Accept-Language": "en"})

    assert r.status_code == 500
    assert r["Content-Type"] == "application/problem+json"
    assert r["Cache-Control"] == "no-store"
    problem = r.json()
    assert problem["code"] == "internal_error"
    error_id = problem["error_id"]
    assert problem["detail"] == (
        f"Something went wrong on our side (error {error_id}); it was logged."
    )
    assert "a bug" not in r.content.decode()
    logged = [rec for rec in caplog.records if getattr(rec, "error_id", None) == error_id]
    assert logged and logged[0].exc_info is not None


def test_float_json_amounts_are_still_refused_as_floats(api_client, recipient):
    r = api_client.post(
        "/api/v1/payouts",
        data=b'{"destination": "%s", "amount": 1e21}' % recipient().encode(),
        content_type="application/json",
        headers={"Idempotency-Key": "float-exp"},
    )

    assert (r.status_code, r.json()["code"]) == (400, "amount_float")
    assert Payout.objects.count() == 0


@pytest.mark.parametrize("as_csv", [False, True])
def test_a_batch_name_with_a_control_character_is_refused(api_client, recipient, as_csv):
    dest = recipient()
    if as_csv:
        r = api_client.post(
            "/api/v1/batches?name=marzo%00",
            data=f"destination,amount\n{dest},1\n".encode(),
            content_type="text/csv",
        )
    else:
        body = {"name": "marzo\x00", "lines": [{"destination": dest, "amount": "1"}]}
        r = post_json(api_client, "/api/v1/batches", body)

    assert (r.status_code, r.json()["code"]) == (400, "invalid_field")
    assert r.json()["params"] == {"field": "name"}
    assert Batch.objects.count() == 0


def test_an_idempotency_key_with_a_control_character_is_refused(api_client, recipient):
    r = post_json(
        api_client,
        "/api/v1/payouts",
        {"destination": recipient(), "amount": "1"},
        **{"Idempotency-Key": "clave\x01"},
    )

    assert (r.status_code, r.json()["code"]) == (400, "invalid_field")
    assert r.json()["params"] == {"field": "Idempotency-Key"}
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize("token", ["sozu_ab\x00cd_ef", "sozu_ñandú_x", "\x00"])
def test_a_key_that_is_not_printable_ascii_is_simply_not_a_key(token):
    r = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/batches")

    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"
