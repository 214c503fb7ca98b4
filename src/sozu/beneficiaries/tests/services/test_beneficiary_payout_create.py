"""A single payout from her page: a double click, a reload or a resubmit never pays twice."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services import beneficiary_create, beneficiary_payout_create
from sozu.disbursements.models import IdempotencyRecord, Payout
from sozu.disbursements.services.payouts import payout_pay_now
from sozu.disbursements.tests.api.helpers import usdc_balance
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ana(make_org, make_recipient) -> Beneficiary:
    org = make_org(usdc="100", channels=1)
    return beneficiary_create(
        organization_id=org.pk,
        full_name="Ana Quispe",
        stellar_address=make_recipient(),
        national_id="30111222",
        actor="user:1",
    )


def pay(b: Beneficiary, key: str = "form-7f3a", amount: str = "25", memo: str = "credito 1"):
    return beneficiary_payout_create(
        beneficiary=b, amount=amount, memo=memo, idempotency_key=key, actor="user:1"
    )


def test_the_same_key_twice_gives_the_same_payout(ana) -> None:
    first = pay(ana)
    again = pay(ana)

    assert again.pk == first.pk
    assert Payout.objects.count() == 1
    assert (first.beneficiary_id, first.destination, first.amount, first.memo) == (
        ana.pk,
        ana.stellar_address,
        Decimal("25"),
        "credito 1",
    )
    assert first.status == Payout.Status.QUEUED
    assert AuditEvent.objects.filter(action="payout.created").count() == 1


def test_a_new_key_is_a_new_payout(ana) -> None:
    assert pay(ana, key="a").pk != pay(ana, key="b").pk
    assert Payout.objects.count() == 2


def test_the_same_key_with_another_amount_is_refused(ana) -> None:
    pay(ana)
    with pytest.raises(SozuError) as exc:
        pay(ana, amount="26")
    assert exc.value.code == "idempotency_conflict"
    assert Payout.objects.count() == 1


def test_a_beneficiary_not_approved_is_not_paid_and_the_key_stays_free(ana) -> None:
    Beneficiary.objects.filter(pk=ana.pk).update(status=Beneficiary.Status.APPLIED)

    with pytest.raises(SozuError) as exc:
        pay(ana)

    assert exc.value.code == "beneficiary_not_approved"
    assert not Payout.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    Beneficiary.objects.filter(pk=ana.pk).update(status=Beneficiary.Status.APPROVED)
    assert pay(ana).status == Payout.Status.QUEUED  # the same key works once she is approved


def test_a_refused_payout_leaves_the_key_free_to_retry(ana) -> None:
    with pytest.raises(SozuError) as exc:
        pay(ana, amount="1000")  # the wallet holds 100
    assert exc.value.code == "org_underfunded"
    assert not IdempotencyRecord.objects.exists()
    assert not Payout.objects.exists()


@pytest.mark.parametrize("bad", ["", "x" * 256])
def test_a_missing_or_huge_key_is_refused(ana, bad) -> None:
    with pytest.raises(SozuError) as exc:
        pay(ana, key=bad)
    assert exc.value.code == "invalid_field"
    assert not Payout.objects.exists()


def test_concurrent_submissions_with_one_key_pay_once_on_chain(ana, localnet) -> None:
    clicks = 4
    barrier = threading.Barrier(clicks)
    results: list[object] = []

    def click() -> None:
        try:
            barrier.wait()
            results.append(pay(ana, key="double-click").pk)
        except SozuError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    payout = Payout.objects.get()
    assert len(results) == clicks
    assert set(results) <= {payout.pk, "idempotency_in_progress"}
    assert payout.pk in results
    before = usdc_balance(localnet, ana.stellar_address)

    payout = payout_pay_now(payout=payout, worker="test", wait_seconds=30)
    pay(ana, key="double-click")  # a reload after it was paid: still the same payout

    assert payout.status == Payout.Status.PAID
    assert Payout.objects.count() == 1
    assert usdc_balance(localnet, ana.stellar_address) == before + Decimal("25")
