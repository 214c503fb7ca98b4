"""The Beneficiarias list and her page: what staff find, and in a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.factories import (
    BeneficiaryFactory,
    OrganizationFactory,
    PayoutFactory,
    cuil_for,
)

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.selectors import (
    beneficiary_attachment_get,
    beneficiary_detail,
    beneficiary_get,
    beneficiary_list,
)
from sozu.disbursements.models import Payout
from sozu.errors import SozuError
from sozu.orgs.models import Organization

pytestmark = pytest.mark.django_db
S = Beneficiary.Status


def names(page) -> list[str]:
    return [b.full_name for b in page.items]


def test_search_by_name_dni_or_cuil_and_address_prefix() -> None:
    org = OrganizationFactory.create()
    ana = BeneficiaryFactory.create(
        organization=org, full_name="Ana Quispe", national_id="30111222"
    )
    bea = BeneficiaryFactory.create(
        organization=org,
        full_name="Beatriz Ruiz",
        national_id=cuil_for("28234567"),
        identity_key="dni:28234567",
    )
    BeneficiaryFactory.create(organization=org, full_name="Carla Sosa")
    BeneficiaryFactory.create(full_name="Ana de otra ONG")  # another organization

    assert names(beneficiary_list(organization=org, search="ana")) == ["Ana Quispe"]
    assert names(beneficiary_list(organization=org, search="30.111")) == ["Ana Quispe"]
    # Her DNI finds her although she registered with her CUIL.
    assert names(beneficiary_list(organization=org, search="28234567")) == ["Beatriz Ruiz"]
    prefix = bea.stellar_address[:6].lower()
    assert names(beneficiary_list(organization=org, search=prefix)) == ["Beatriz Ruiz"]
    assert beneficiary_list(organization=org, search=ana.stellar_address).items == [ana]
    assert beneficiary_list(organization=org, search="zzz").total == 0


def test_filters_by_status_and_readiness() -> None:
    org = OrganizationFactory.create()
    BeneficiaryFactory.create(organization=org, full_name="A", status=S.APPLIED)
    BeneficiaryFactory.create(organization=org, full_name="B", ready_to_receive=True)
    BeneficiaryFactory.create(organization=org, full_name="C", ready_to_receive=False)
    BeneficiaryFactory.create(organization=org, full_name="D", ready_to_receive=None)

    assert names(beneficiary_list(organization=org, status="applied")) == ["A"]
    assert names(beneficiary_list(organization=org, ready=True)) == ["B"]
    assert names(beneficiary_list(organization=org, ready=False)) == ["A", "C", "D"]
    assert names(beneficiary_list(organization=org, status="approved", ready=False)) == [
        "C",
        "D",
    ]
    with pytest.raises(SozuError) as exc:
        beneficiary_list(organization=org, status="nope")
    assert exc.value.code == "invalid_field"


def test_pages_of_the_list() -> None:
    org = OrganizationFactory.create()
    for i in range(7):
        BeneficiaryFactory.create(organization=org, full_name=f"Persona {i}")

    second = beneficiary_list(organization=org, page=2, per_page=3)
    assert names(second) == ["Persona 3", "Persona 4", "Persona 5"]
    assert (second.total, second.pages, second.has_previous, second.has_next) == (7, 3, True, True)
    past_the_end = beneficiary_list(organization=org, page=99, per_page=3)
    assert (past_the_end.page, names(past_the_end)) == (3, ["Persona 6"])


def _list_queries(org: Organization) -> int:
    with CaptureQueriesContext(connection) as ctx:
        page = beneficiary_list(organization=org, search="Emprendedora", ready=False, per_page=100)
        shown = [  # what the page shows of each row
            (b.full_name, b.national_id, b.locality, b.status, b.ready_to_receive)
            for b in page.items
        ]
    assert len(shown) == page.total
    return len(ctx.captured_queries)


def test_the_list_runs_the_same_queries_for_5_or_50_rows() -> None:
    small, large = OrganizationFactory.create(), OrganizationFactory.create()
    BeneficiaryFactory.create_batch(5, organization=small)
    BeneficiaryFactory.create_batch(50, organization=large)

    assert beneficiary_list(organization=large, per_page=100).total == 50
    assert _list_queries(small) == _list_queries(large) == 2


def _detail_queries(org: Organization, b: Beneficiary) -> int:
    with CaptureQueriesContext(connection) as ctx:
        d = beneficiary_detail(organization=org, beneficiary_id=b.pk)
        shown: list[tuple[object, ...]] = [
            (p.amount, p.status, p.tx_hash, p.batch.name if p.batch else "") for p in d.payouts
        ]
        shown += [(e.actor, e.action) for e in d.audit]
        shown += [(a.original_name,) for a in d.attachments]
    assert len(shown) == len(d.payouts) + len(d.audit) + len(d.attachments)
    return len(ctx.captured_queries)


def test_her_page_runs_the_same_queries_for_5_or_50_payouts() -> None:
    counts = []
    for n in (5, 50):
        org = OrganizationFactory.create()
        b = BeneficiaryFactory.create(organization=org)
        payouts = PayoutFactory.create_batch(
            n, organization=org, beneficiary=b, destination=b.stellar_address
        )
        audit_record(
            organization_id=org.pk,
            entry=Entry("user:1", "payout.created", "payout", payouts[0].pk),
        )
        counts.append(_detail_queries(org, b))
    assert counts[0] == counts[1] == 5


def test_her_page_shows_her_payouts_totals_and_trail() -> None:
    org = OrganizationFactory.create()
    b = BeneficiaryFactory.create(organization=org)
    paid = PayoutFactory.create(organization=org, beneficiary=b, amount=Decimal("10.5"))
    PayoutFactory.create(organization=org, beneficiary=b, status=Payout.Status.FAILED)
    PayoutFactory.create(organization=org)  # somebody else's
    audit_record(
        organization_id=org.pk, entry=Entry("user:1", "beneficiary.approved", "beneficiary", b.pk)
    )
    audit_record(organization_id=org.pk, entry=Entry("worker:w", "payout.paid", "payout", paid.pk))
    audit_record(organization_id=org.pk, entry=Entry("user:1", "x", "beneficiary", b.pk + 1))

    d = beneficiary_detail(organization=org, beneficiary_id=b.pk)

    assert (d.payouts_count, d.paid_count, d.paid_amount) == (2, 1, Decimal("10.5"))
    assert [e.action for e in d.audit] == ["beneficiary.approved", "payout.paid"]


def test_another_organizations_beneficiary_is_not_found() -> None:
    b = BeneficiaryFactory.create()
    other = OrganizationFactory.create()
    for read in (beneficiary_get, beneficiary_detail):
        with pytest.raises(SozuError) as exc:
            read(organization=other, beneficiary_id=b.pk)
        assert exc.value.code == "not_found"
    with pytest.raises(SozuError):
        beneficiary_attachment_get(organization=other, attachment_id=1)
