"""Exports cannot smuggle spreadsheet formulas; unknown API URLs answer problem+json."""

from __future__ import annotations

import csv
import io

import pytest

from sozu.beneficiaries.services import beneficiary_create
from sozu.disbursements.services.batches import batch_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_name_that_looks_like_a_formula_is_exported_as_text(org, api_client, recipient):
    ben = beneficiary_create(
        organization_id=org.pk,
        full_name='=HYPERLINK("http://evil","x")',
        stellar_address=recipient(),
        actor="test",
        phone="+54 11 4444-5555",
    )
    batch = batch_create(
        organization=org,
        actor="test",
        rows=[(2, {"beneficiary_id": ben.pk, "amount": "1", "memo": "@SUM(A1)"})],
    )

    export = api_client.get(f"/api/v1/batches/{batch.pk}/export.csv")

    row = next(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert row["full_name"] == '\'=HYPERLINK("http://evil","x")'
    assert row["memo"] == "'@SUM(A1)"
    assert row["phone"] == "+541144445555"  # stored in E.164, not prefixed with a quote


def test_an_unknown_api_url_answers_a_problem_not_an_html_page(api_client):
    r = api_client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "not_found"
