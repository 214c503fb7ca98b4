"""Solidarity groups: membership rules, loans granted together per cycle, arrears and PAR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models import Loan
from sozu.credit.models_borrowers import GroupLoan, GroupMembership, SolidarityGroup
from sozu.credit.selectors import loan_position
from sozu.credit.selectors_groups import group_arrears, group_cycles
from sozu.credit.services import loan_cancel, loan_mark_disbursed
from sozu.credit.services.groups import (
    group_create,
    group_deactivate,
    group_grant,
    group_members,
)
from sozu.credit.tests.borrowers.helpers import at, cuotas, pay
from sozu.credit.tests.factories import LoanProductFactory

pytestmark = pytest.mark.django_db
PAID_OUT = dt.date(2026, 3, 2)


@pytest.fixture
def product():
    return LoanProductFactory.create()


def people(product, n: int, **kwargs) -> list[Beneficiary]:
    return [
        BeneficiaryFactory.create(organization=product.organization, **kwargs) for _ in range(n)
    ]


def make_group(product, n: int = 4, name: str = "Las Costureras") -> SolidarityGroup:
    members = people(product, n)
    return group_create(
        organization=product.organization,
        name=name,
        member_ids=[m.pk for m in members],
        coordinator_id=members[0].pk,
        actor="user:1",
    )


def refused(code: str, call, *args, **kwargs) -> None:
    with pytest.raises(SozuError) as err:
        call(*args, **kwargs)
    assert err.value.code == code


def test_a_group_has_three_to_ten_approved_members_and_a_coordinator(product) -> None:
    org = product.organization
    group = make_group(product, 3)
    assert (group.cycle, group.active, group.members.count()) == (0, True, 3)
    assert AuditEvent.objects.filter(action="group.created", object_id=str(group.pk)).exists()
    for n in (2, 11):
        ids = [m.pk for m in people(product, n)]
        refused(
            "group_size_invalid",
            group_create,
            organization=org,
            name=f"G{n}",
            member_ids=ids,
            coordinator_id=ids[0],
            actor="user:1",
        )
    ids = [m.pk for m in people(product, 3)]
    refused(
        "group_coordinator_not_member",
        group_create,
        organization=org,
        name="X",
        member_ids=ids,
        coordinator_id=group.coordinator_id,
        actor="user:1",
    )
    pending = people(product, 1, status=Beneficiary.Status.APPLIED)
    refused(
        "group_member_not_approved",
        group_create,
        organization=org,
        name="X",
        member_ids=[*ids[:2], pending[0].pk],
        coordinator_id=ids[0],
        actor="user:1",
    )
    stranger = BeneficiaryFactory.create()  # another organization's
    refused(
        "group_member_not_found",
        group_create,
        organization=org,
        name="X",
        member_ids=[*ids[:2], stranger.pk],
        coordinator_id=ids[0],
        actor="user:1",
    )
    refused(
        "group_name_taken",
        group_create,
        organization=org,
        name="las costureras",
        member_ids=ids,
        coordinator_id=ids[0],
        actor="user:1",
    )
    refused(
        "group_name_missing",
        group_create,
        organization=org,
        name="  ",
        member_ids=ids,
        coordinator_id=ids[0],
        actor="user:1",
    )
    assert SolidarityGroup.objects.count() == 1  # nothing half-made


def test_a_person_is_in_at_most_one_active_group(product) -> None:
    group = make_group(product, 3)
    taken = group.members.all()[0].beneficiary
    ids = [m.pk for m in people(product, 2)] + [taken.pk]
    with pytest.raises(SozuError) as err:
        group_create(
            organization=product.organization,
            name="Otro",
            member_ids=ids,
            coordinator_id=ids[0],
            actor="user:1",
        )
    assert err.value.code == "group_member_in_other_group"
    assert err.value.params["group"] == "Las Costureras"
    assert GroupMembership.objects.filter(beneficiary=taken).count() == 1


def grant(group, product, amount="500", cuotas=2, **amounts):
    members = group.members.values_list("beneficiary_id", flat=True)
    with time_machine.travel(at(PAID_OUT), tick=False):
        return group_grant(
            group=group,
            product=product,
            cuotas=cuotas,
            actor="user:1",
            amounts={pk: amounts.get(str(pk), amount) for pk in members},
        )


def test_loans_are_granted_to_all_members_together_or_not_at_all(product) -> None:
    group = make_group(product, 4)
    members = list(group.members.values_list("beneficiary_id", flat=True))
    # One amount is above the product's maximum: no loan at all.
    with pytest.raises(SozuError) as err:
        grant(group, product, **{str(members[2]): "999999"})
    assert err.value.code == "credit_amount_out_of_range"
    assert Loan.objects.count() == 0 and GroupLoan.objects.count() == 0
    group.refresh_from_db()
    assert group.cycle == 0

    loans = grant(group, product)
    assert len(loans) == 4 and {loan.status for loan in loans} == {"draft"}
    assert sorted(loan.beneficiary_id for loan in loans) == sorted(members)
    assert set(GroupLoan.objects.values_list("group_id", "cycle")) == {(group.pk, 1)}
    group.refresh_from_db()
    assert group.cycle == 1
    # The next cycle waits until every loan of this one is finished.
    with pytest.raises(SozuError) as err:
        grant(group, product)
    assert err.value.code == "group_cycle_open"
    for loan in loans:
        loan_cancel(loan=loan, actor="user:1")
    assert len(grant(group, product)) == 4
    assert list(group_cycles(group=group)) == [2, 1]


def test_a_missing_amount_and_another_org_s_product_are_refused(product) -> None:
    group = make_group(product, 3)
    with pytest.raises(SozuError) as err:
        group_grant(group=group, product=product, cuotas=2, actor="user:1", amounts={})
    assert err.value.code == "group_amount_missing"
    with pytest.raises(SozuError) as err:
        grant(group, LoanProductFactory.create())
    assert err.value.code == "group_product_other_org"
    assert Loan.objects.count() == 0


def activate(loans) -> list[Loan]:
    out = []
    for loan in loans:
        Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.DISBURSING)
        with time_machine.travel(at(PAID_OUT), tick=False):
            out.append(loan_mark_disbursed(loan=loan, paid_at=at(PAID_OUT), actor="worker:1"))
    return out


def test_group_arrears_and_par(product) -> None:
    group = make_group(product, 4)
    loans = activate(grant(group, product, amount="600", cuotas=3))
    on_time, late_a_bit, very_late, paid_early = loans
    first, second, _third = cuotas(on_time)
    for loan in (on_time, late_a_bit):
        c1, c2, _ = cuotas(loan)
        pay(loan, c1.total, c1.due_date + dt.timedelta(days=5 if loan is late_a_bit else 0))
        pay(loan, c2.total, c2.due_date)  # late_a_bit: first pays cuota 1's late interest
    for c in cuotas(paid_early)[:2]:
        pay(paid_early, c.total, c.due_date - dt.timedelta(days=2))
    as_of = second.due_date + dt.timedelta(days=5)
    arrears = group_arrears(group=group, as_of=as_of)
    by_loan = {m.loan.pk: m for m in arrears.members}
    assert [by_loan[x.pk].days_past_due for x in loans] == [0, 5, (as_of - first.due_date).days, 0]
    assert (as_of - first.due_date).days > 30
    assert by_loan[on_time.pk].overdue == 0 and by_loan[paid_early.pk].overdue == 0
    assert by_loan[very_late.pk].overdue > first.total + second.total  # plus late interest
    assert 0 < by_loan[late_a_bit.pk].overdue < 5  # what the late interest of cuota 1 took
    assert arrears.members_late == 2
    assert arrears.overdue == by_loan[very_late.pk].overdue + by_loan[late_a_bit.pk].overdue
    # PAR30: capital of loans more than 30 days late over all capital outstanding, checked
    # against each loan's own position (selectors.loan_position).
    capital = {x.pk: loan_position(loan=x, as_of=as_of).outstanding_capital for x in loans}
    assert arrears.outstanding_capital == sum(capital.values())
    assert arrears.at_risk_capital == capital[very_late.pk] == Decimal("600")
    assert arrears.par == (capital[very_late.pk] / sum(capital.values())).quantize(
        Decimal("0.0001")
    )
    assert Decimal("0.4") < arrears.par < Decimal("0.7")


def test_closing_a_group_frees_its_members(product) -> None:
    group = make_group(product, 3)
    members = list(group.members.values_list("beneficiary_id", flat=True))
    group_deactivate(group=group, actor="user:1", reason="se disolvió")
    group.refresh_from_db()
    assert not group.active
    assert AuditEvent.objects.filter(action="group.deactivated", object_id=str(group.pk)).exists()
    assert [m.pk for m in group_members(group)] == sorted(
        members, key=lambda pk: Beneficiary.objects.get(pk=pk).full_name
    )
    refused("group_inactive", group_deactivate, group=group, actor="user:1")
    refused("group_inactive", grant, group, product)
    again = group_create(
        organization=product.organization,
        name="Nuevo",
        member_ids=members,
        coordinator_id=members[0],
        actor="user:1",
    )
    assert again.members.filter(active=True).count() == 3
