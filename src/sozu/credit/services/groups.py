"""Solidarity groups (grupos solidarios): 3 to 10 approved members who borrow together.

Rules, each enforced here (and the last by the database too):
1. Members are approved beneficiaries of the group's organization, 3 to 10 of them; the
   coordinator is one of them; a person is in at most one active group (a partial unique
   constraint on active memberships).
2. `group_grant` prepares one loan per member with the existing `loan_prepare` (every check
   of a single loan applies), all or none in one transaction, and links each to the group and
   its new cycle. A new cycle starts only when every loan of the previous one is finished
   (paid off, written off or cancelled).
3. Every change writes its audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models import Loan, LoanProduct
from sozu.credit.models_borrowers import GroupLoan, GroupMembership, SolidarityGroup
from sozu.credit.services.loans import loan_prepare
from sozu.orgs.models import Organization

MIN_MEMBERS = 3
MAX_MEMBERS = 10
FINISHED = (Loan.Status.PAID_OFF, Loan.Status.WRITTEN_OFF, Loan.Status.CANCELLED)


def _members(organization: Organization, member_ids: Sequence[int]) -> list[Beneficiary]:
    ids = list(dict.fromkeys(int(i) for i in member_ids))
    if not MIN_MEMBERS <= len(ids) <= MAX_MEMBERS:
        raise SozuError("group_size_invalid", count=len(ids))
    found = {b.pk: b for b in Beneficiary.objects.filter(organization=organization, pk__in=ids)}
    if len(found) != len(ids):
        raise SozuError("group_member_not_found")
    members = [found[i] for i in ids]
    for member in members:
        if member.status != Beneficiary.Status.APPROVED:
            raise SozuError(
                "group_member_not_approved",
                name=member.full_name,
                status=Beneficiary.Status(member.status).label,
            )
    return members


def _check_free(members: Sequence[Beneficiary], group: SolidarityGroup | None = None) -> None:
    taken = GroupMembership.objects.filter(beneficiary__in=members, active=True).select_related(
        "group", "beneficiary"
    )
    if group is not None:
        taken = taken.exclude(group=group)
    other = taken.first()
    if other is not None:
        raise SozuError(
            "group_member_in_other_group", name=other.beneficiary.full_name, group=other.group.name
        )


def group_create(
    *,
    organization: Organization,
    name: str,
    member_ids: Sequence[int],
    coordinator_id: int,
    actor: str,
) -> SolidarityGroup:
    """A new active group with its members and coordinator (cycle 0: nothing granted yet)."""
    name = (name or "").strip()
    if not name:
        raise SozuError("group_name_missing")
    members = _members(organization, member_ids)
    if int(coordinator_id) not in {m.pk for m in members}:
        raise SozuError("group_coordinator_not_member")
    if SolidarityGroup.objects.filter(organization=organization, name__iexact=name).exists():
        raise SozuError("group_name_taken", name=name)
    try:
        with transaction.atomic():
            _check_free(members)
            group = SolidarityGroup.objects.create(
                organization=organization,
                name=name,
                coordinator_id=int(coordinator_id),
                created_by=actor,
            )
            GroupMembership.objects.bulk_create(
                GroupMembership(group=group, beneficiary=m) for m in members
            )
            audit_record(
                organization_id=organization.pk,
                entry=Entry(
                    actor,
                    "group.created",
                    "solidarity_group",
                    group.pk,
                    {
                        "name": name,
                        "members": [m.pk for m in members],
                        "coordinator": int(coordinator_id),
                    },
                ),
            )
    except IntegrityError as exc:
        # Another request put one of them in a group, or took the name, meanwhile.
        _check_free(members)
        raise SozuError("group_name_taken", name=name) from exc
    return group


def group_members(group: SolidarityGroup) -> list[Beneficiary]:
    """Its members (of a closed group: those it had when it was closed)."""
    rows = group.members.filter(active=True) if group.active else group.members.all()
    return [
        m.beneficiary
        for m in rows.select_related("beneficiary").order_by(
            "beneficiary__full_name", "beneficiary_id"
        )
    ]


def group_grant(
    *,
    group: SolidarityGroup,
    product: LoanProduct,
    amounts: Mapping[int, Any],
    cuotas: Any,
    actor: str,
) -> list[Loan]:
    """Prepare the next cycle's loans, one per active member, all or none.

    `amounts` maps each member's beneficiary id to her amount (each checked by loan_prepare
    against the product). The loans start as drafts and follow the usual maker-checker path.
    """
    if product.organization_id != group.organization_id:
        raise SozuError("group_product_other_org")
    with transaction.atomic():
        locked = SolidarityGroup.objects.select_for_update().get(pk=group.pk)
        if not locked.active:
            raise SozuError("group_inactive", name=locked.name)
        open_loans = GroupLoan.objects.filter(group=locked, cycle=locked.cycle).exclude(
            loan__status__in=FINISHED
        )
        if locked.cycle and open_loans.exists():
            raise SozuError("group_cycle_open", cycle=locked.cycle, name=locked.name)
        members = group_members(locked)
        if not MIN_MEMBERS <= len(members) <= MAX_MEMBERS:
            raise SozuError("group_size_invalid", count=len(members))
        cycle = locked.cycle + 1
        loans = []
        for member in members:
            amount = amounts.get(member.pk)
            if amount is None or str(amount).strip() == "":
                raise SozuError("group_amount_missing", name=member.full_name)
            loan = loan_prepare(
                product=product, beneficiary=member, amount=amount, cuotas=cuotas, actor=actor
            )
            GroupLoan.objects.create(group=locked, loan=loan, cycle=cycle)
            loans.append(loan)
        locked.cycle = cycle
        locked.save(update_fields=["cycle"])
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor,
                "group.granted",
                "solidarity_group",
                locked.pk,
                {"cycle": cycle, "product": product.pk, "loans": [loan.pk for loan in loans]},
            ),
        )
    group.cycle = cycle
    return loans


def group_deactivate(*, group: SolidarityGroup, actor: str, reason: str = "") -> SolidarityGroup:
    """Close a group: its members are free to join another one. Its loans are not touched."""
    with transaction.atomic():
        locked = SolidarityGroup.objects.select_for_update().get(pk=group.pk)
        if not locked.active:
            raise SozuError("group_inactive", name=locked.name)
        locked.active = False
        locked.save(update_fields=["active"])
        GroupMembership.objects.filter(group=locked, active=True).update(active=False)
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor, "group.deactivated", "solidarity_group", locked.pk, {"reason": reason}
            ),
        )
    return locked
