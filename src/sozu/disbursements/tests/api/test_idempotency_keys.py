"""POST /payouts needs an Idempotency-Key; a key whose request died before creating anything
is released after a timeout, and never one for which a payout exists."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override

from sozu.core.api_input import canonical_json
from sozu.disbursements.api import creating_for, request_fingerprint
from sozu.disbursements.models import Batch, IdempotencyRecord, Payout
from sozu.disbursements.services.payouts import payout_create
from sozu.disbursements.tests.api.helpers import post_json, row_counts, usdc_balance
from sozu.errors import SozuError, message_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payout_without_an_idempotency_key_is_refused(api_client, recipient, localnet):
    dest = recipient()
    counts = row_counts()

    r = post_json(api_client, "/api/v1/payouts", {"destination": dest, "amount": "5"})

    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "idempotency_key_required"
    with override("es"):
        assert r.json()["detail"] == message_for("idempotency_key_required")
    assert "Idempotency-Key" in r.json()["detail"]
    assert row_counts() == counts
    assert usdc_balance(localnet, dest) == Decimal("1")


def test_an_organization_can_turn_the_requirement_off(org, api_client, recipient):
    org.require_idempotency_key = False
    org.save(update_fields=["require_idempotency_key"])

    r = post_json(api_client, "/api/v1/payouts", {"destination": recipient(), "amount": "5"})

    assert r.status_code == 200, r.content
    assert r.json()["status"] == "paid"


def stuck_record(org, body: dict, key: str, *, age: timedelta) -> IdempotencyRecord:
    """What a request leaves behind when it dies after taking the key, before creating."""
    record = IdempotencyRecord.objects.create(
        organization=org,
        scope="payouts.create",
        key=key,
        request_hash=request_fingerprint("POST", "/api/v1/payouts", canonical_json(body)),
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_a_key_in_progress_is_refused_until_the_timeout(org, api_client, recipient, settings):
    settings.SOZU_IDEMPOTENCY_STALE_SECONDS = 300
    body = {"destination": recipient(), "amount": "2"}
    stuck_record(org, body, "en-curso", age=timedelta(seconds=60))

    r = post_json(api_client, "/api/v1/payouts", body, **{"Idempotency-Key": "en-curso"})

    assert (r.status_code, r.json()["code"]) == (409, "idempotency_in_progress")
    assert Payout.objects.count() == 0


def test_a_stale_key_whose_request_created_nothing_is_released(
    org, api_client, recipient, localnet, settings
):
    settings.SOZU_IDEMPOTENCY_STALE_SECONDS = 300
    dest = recipient()
    body = {"destination": dest, "amount": "2"}
    stuck_record(org, body, "murio-antes", age=timedelta(seconds=301))

    r = post_json(api_client, "/api/v1/payouts", body, **{"Idempotency-Key": "murio-antes"})

    assert r.status_code == 200, r.content
    assert r.json()["status"] == "paid"
    assert Payout.objects.count() == 1
    assert usdc_balance(localnet, dest) == Decimal("3")
    record = IdempotencyRecord.objects.get(key="murio-antes")
    assert record.response_body == r.json()


def test_a_key_with_a_payout_is_never_released_however_old(
    org, api_client, recipient, localnet, settings
):
    settings.SOZU_IDEMPOTENCY_STALE_SECONDS = 300
    dest = recipient()
    body = {"destination": dest, "amount": "2"}
    key = {"Idempotency-Key": "pagado"}
    first = post_json(api_client, "/api/v1/payouts", body, **key)
    assert first.status_code == 200
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))

    again = post_json(api_client, "/api/v1/payouts", body, **key)

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Payout.objects.count() == 1
    assert usdc_balance(localnet, dest) == Decimal("3")


def test_the_payout_and_its_key_are_linked_in_one_transaction(org, recipient):
    """A request slower than the timeout, whose key a retry has released, cannot create a
    second payout: creating it finds its key gone and rolls back."""
    body = {"destination": recipient(), "amount": "2"}
    record = stuck_record(org, body, "lento", age=timedelta(seconds=0))

    with creating_for(record, "payouts.create"):
        linked = payout_create(organization=org, data=body, actor="api:test")
    assert IdempotencyRecord.objects.get(pk=record.pk).response_body == {
        "id": linked.pk,
        "status": "queued",
        "href": f"/api/v1/payouts/{linked.pk}",
    }

    released = stuck_record(org, body, "lento-2", age=timedelta(seconds=0))
    released.delete()  # a retry released it meanwhile
    with creating_for(released, "payouts.create"), pytest.raises(SozuError) as exc:
        payout_create(organization=org, data=body | {"amount": "3"}, actor="api:test")
    assert exc.value.code == "idempotency_in_progress"
    assert list(Payout.objects.values_list("pk", flat=True)) == [linked.pk]


def test_a_batch_request_that_dies_after_creating_the_batch_is_not_created_twice(
    api_client, recipient, monkeypatch
):
    from sozu.disbursements import api

    body = {"lines": [{"destination": recipient(), "amount": "1"}]}
    key = {"Idempotency-Key": "lote-murio"}

    def dies(batch: object) -> None:
        raise SystemExit("web process killed mid-request")

    monkeypatch.setattr(api, "batch_as_dict", dies)
    with pytest.raises(SystemExit):
        post_json(api_client, "/api/v1/batches", body, **key)
    monkeypatch.undo()

    retry = post_json(api_client, "/api/v1/batches", body, **key)

    batch = Batch.objects.get()
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == {"id": batch.pk, "status": "validated", "href": retry["Location"]}
    assert retry["Location"] == f"/api/v1/batches/{batch.pk}"
