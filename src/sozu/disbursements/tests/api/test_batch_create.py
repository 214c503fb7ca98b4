"""An NGO uploads a batch as JSON or CSV: every line valid, or nothing saved and each line told."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sozu.beneficiaries.services import beneficiary_create
from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services.lines import MAX_FILE_BYTES
from sozu.disbursements.tests.api.helpers import post_json, row_counts

pytestmark = pytest.mark.django_db(transaction=True)


def csv_of(*rows: str) -> bytes:
    return ("destination,amount,memo\n" + "\n".join(rows) + "\n").encode()


def test_a_batch_is_created_from_json_with_addresses_and_beneficiaries(org, api_client, recipient):
    ana = beneficiary_create(
        organization_id=org.pk, full_name="Ana Quispe", stellar_address=recipient(), actor="test"
    )
    dest = recipient()

    r = post_json(
        api_client,
        "/api/v1/batches",
        {
            "name": "Desembolsos marzo",
            "lines": [
                {"destination": dest, "amount": "150.25", "memo": "credito 17"},
                {"beneficiary_id": ana.pk, "amount": "99"},
            ],
        },
    )

    assert r.status_code == 201, r.content
    batch = r.json()
    assert r["Location"] == f"/api/v1/batches/{batch['id']}"
    assert batch["name"] == "Desembolsos marzo"
    assert batch["status"] == "validated"
    assert batch["stats"]["lines"] == 2
    assert batch["stats"]["total_amount"] == "249.2500000"
    lines = api_client.get(f"/api/v1/batches/{batch['id']}/lines").json()["results"]
    assert [(x["line"], x["destination"], x["amount"], x["status"]) for x in lines] == [
        (1, dest, "150.2500000", "validated"),
        (2, ana.stellar_address, "99.0000000", "validated"),
    ]
    assert lines[1]["beneficiary_id"] == ana.pk
    assert Batch.objects.get(pk=batch["id"]).created_by.startswith("api:")


def test_a_batch_is_created_from_a_csv_body(api_client, recipient):
    a, b = recipient(), recipient()

    r = api_client.post(
        "/api/v1/batches?name=Marzo",
        data=csv_of(f"{a},10,cuota 1", f"{b},20.5,cuota 1"),
        content_type="text/csv",
    )

    assert r.status_code == 201, r.content
    assert r.json()["name"] == "Marzo"
    assert r.json()["stats"]["total_amount"] == "30.5000000"


def test_a_batch_is_created_from_an_uploaded_csv_file(api_client, recipient):
    a = recipient()
    upload = SimpleUploadedFile("marzo.csv", csv_of(f"{a},10,cuota 1"), "text/csv")

    r = api_client.post("/api/v1/batches", {"file": upload, "name": "Marzo (archivo)"})

    assert r.status_code == 201, r.content
    assert r.json()["name"] == "Marzo (archivo)"
    assert r.json()["stats"]["lines"] == 1


def test_invalid_lines_are_all_reported_and_nothing_is_saved(api_client, recipient):
    good = recipient()
    counts = row_counts()

    r = api_client.post(
        "/api/v1/batches",
        data=csv_of(f"{good},10,ok", "GNOTANADDRESS,5,", f"{good},-1,", f"{good},1.12345678,"),
        content_type="text/csv",
        headers={"Accept-Language": "en"},
    )

    assert r.status_code == 400
    problem = r.json()
    assert problem["code"] == "invalid_lines"
    assert problem["detail"] == "3 lines are invalid; nothing was saved."
    # Line numbers are the spreadsheet's: the header is line 1.
    assert [(e["line"], e["code"]) for e in problem["errors"]] == [
        (3, "invalid_address"),
        (4, "amount_not_positive"),
        (5, "amount_too_precise"),
    ]
    assert problem["errors"][0]["message"] == (
        "“GNOTANADDRESS” is not a valid Stellar address (G… or M…)."
    )
    assert row_counts() == counts


def test_json_amounts_with_decimals_must_be_strings(api_client, recipient):
    dest = recipient()
    counts = row_counts()

    r = api_client.post(
        "/api/v1/batches",
        data=b'{"lines": [{"destination": "%s", "amount": 10.5}]}' % dest.encode(),
        content_type="application/json",
    )

    assert r.status_code == 400
    assert [(e["line"], e["code"]) for e in r.json()["errors"]] == [(1, "amount_float")]
    assert row_counts() == counts


def test_a_file_over_the_limit_is_refused_before_it_is_read(api_client):
    counts = row_counts()
    too_big = b"destination,amount\n" + b"x" * MAX_FILE_BYTES

    as_body = api_client.post("/api/v1/batches", data=too_big, content_type="text/csv")
    as_file = api_client.post(
        "/api/v1/batches", {"file": SimpleUploadedFile("big.csv", too_big, "text/csv")}
    )

    for r in (as_body, as_file):
        assert r.status_code == 413
        assert r.json()["code"] == "file_too_large"
        assert r.json()["params"] == {"max_bytes": str(MAX_FILE_BYTES)}
    assert row_counts() == counts


def test_unreadable_input_is_refused_with_a_clear_code(api_client):
    counts = row_counts()

    other_type = api_client.post("/api/v1/batches", data=b"<x/>", content_type="application/xml")
    bad_json = api_client.post("/api/v1/batches", data=b"{", content_type="application/json")
    no_lines = post_json(api_client, "/api/v1/batches", {"name": "vacio", "lines": []})
    no_column = api_client.post("/api/v1/batches", data=b"who,much\nx,1\n", content_type="text/csv")
    no_file = api_client.post("/api/v1/batches", {"name": "sin archivo"})

    assert (other_type.status_code, other_type.json()["code"]) == (415, "unsupported_media_type")
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "invalid_json")
    assert (no_lines.status_code, no_lines.json()["code"]) == (400, "empty_batch")
    assert (no_column.status_code, no_column.json()["code"]) == (400, "csv_missing_column")
    assert (no_file.status_code, no_file.json()["code"]) == (400, "invalid_field")
    assert row_counts() == counts


def test_a_batch_over_the_wallet_balance_is_refused(api_client, recipient):
    r = post_json(
        api_client, "/api/v1/batches", {"lines": [{"destination": recipient(), "amount": "5000"}]}
    )

    assert r.status_code == 409
    assert r.json()["code"] == "org_underfunded"
    assert Batch.objects.count() == 0


def test_creating_a_batch_twice_with_one_key_creates_it_once(api_client, recipient):
    upload = csv_of(f"{recipient()},10,cuota 1")
    key = {"Idempotency-Key": "lote-marzo"}

    first = api_client.post(
        "/api/v1/batches", {"file": SimpleUploadedFile("a.csv", upload, "text/csv")}, headers=key
    )
    retry = api_client.post(
        "/api/v1/batches", {"file": SimpleUploadedFile("a.csv", upload, "text/csv")}, headers=key
    )
    changed = api_client.post(
        "/api/v1/batches", data=upload + b"\n\n", content_type="text/csv", headers=key
    )

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert Batch.objects.count() == 1
    assert Payout.objects.count() == 1
    assert changed.status_code == 422


def test_a_refused_batch_is_refused_again_on_retry_with_the_same_key(api_client):
    key = {"Idempotency-Key": "lote-malo"}
    body = {"lines": [{"destination": "GBAD", "amount": "1"}]}

    first = post_json(api_client, "/api/v1/batches", body, **key)
    retry = post_json(api_client, "/api/v1/batches", body, **key)

    assert first.status_code == retry.status_code == 400
    assert retry.json() == first.json()
    assert retry["Content-Type"] == "application/problem+json"
    assert retry["Idempotent-Replayed"] == "true"
