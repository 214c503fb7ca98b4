"""Two workers following payouts at the same moment: each loan is activated exactly once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from tests.factories import PayoutFactory

from sozu.audit.models import AuditEvent
from sozu.credit.models import Cuota, Loan
from sozu.credit.services import loans_sync_disbursements
from sozu.credit.tests.factories import LoanProductFactory, draft_loan

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_activate_each_paid_loan_once() -> None:
    product = LoanProductFactory.create()
    loans = [draft_loan(product=product, cuotas=6) for _ in range(4)]
    for loan in loans:
        payout = PayoutFactory.create(
            organization=loan.organization,
            amount=loan.amount,
            paid_at=dt.datetime(2026, 9, 1, 15, tzinfo=dt.UTC),
        )
        Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.DISBURSING, payout=payout)
    barrier = threading.Barrier(2)
    moved: list[int] = []

    def work(name: str) -> None:
        try:
            barrier.wait()
            moved.append(loans_sync_disbursements(actor=f"worker:{name}"))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sum(moved) == 4
    assert set(Loan.objects.values_list("status", flat=True)) == {Loan.Status.ACTIVE}
    assert Cuota.objects.count() == 4 * 6
    assert AuditEvent.objects.filter(action="loan.disbursed").count() == 4
