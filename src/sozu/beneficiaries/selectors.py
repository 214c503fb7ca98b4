"""Reads for the Beneficiarias pages: the list (search, filters, pages) and her detail.

Every read is scoped to one organization (another organization's id is not_found) and runs
a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.identity import ASCII_DIGITS, ID_SEPARATORS
from sozu.beneficiaries.models import Beneficiary, BeneficiaryAttachment
from sozu.disbursements.models import Payout
from sozu.errors import SozuError
from sozu.orgs.models import Organization

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class BeneficiaryPage:
    items: list[Beneficiary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _search(qs: QuerySet[Beneficiary], text: str) -> QuerySet[Beneficiary]:
    """Name (contains, any case), DNI/CUIL (prefix, her DNI also finds her CUIL), address
    (prefix)."""
    text = text.strip()
    if not text:
        return qs
    match = Q(full_name__icontains=text)
    digits = "".join(ch for ch in text if ch in ASCII_DIGITS)
    if digits and all(ch in ASCII_DIGITS or ch in ID_SEPARATORS for ch in text):
        match |= Q(national_id__startswith=digits) | Q(identity_key__startswith=f"dni:{digits}")
        if len(digits) == 7:
            match |= Q(identity_key__startswith=f"dni:0{digits}")
    if len(text) >= 3 and text[0] in "GMgm" and text.isascii() and text.isalnum():
        match |= Q(stellar_address__startswith=text.upper())
    return qs.filter(match)


def beneficiary_list(
    *,
    organization: Organization,
    search: str = "",
    status: str | None = None,
    ready: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> BeneficiaryPage:
    """One page of her organization's beneficiaries, by name; two queries (count, rows).

    `ready`: True = ready to receive; False = not ready or never checked. A page past the
    end shows the last page.
    """
    qs = Beneficiary.objects.filter(organization=organization)
    if status:
        if status not in Beneficiary.Status.values:
            raise SozuError("invalid_field", field="status")
        qs = qs.filter(status=status)
    if ready is True:
        qs = qs.filter(ready_to_receive=True)
    elif ready is False:
        qs = qs.filter(Q(ready_to_receive=False) | Q(ready_to_receive__isnull=True))
    qs = _search(qs, search)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = qs.count()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    items = list(qs.order_by("full_name", "id")[start : start + per_page])
    return BeneficiaryPage(items=items, total=total, page=page, per_page=per_page)


def beneficiary_get(*, organization: Organization, beneficiary_id: int) -> Beneficiary:
    b = Beneficiary.objects.filter(organization=organization, pk=beneficiary_id).first()
    if b is None:
        raise SozuError("not_found")
    return b


@dataclass(frozen=True)
class BeneficiaryDetail:
    beneficiary: Beneficiary
    attachments: list[BeneficiaryAttachment]
    #: Her latest payouts (single and batch lines), newest first, up to the limit.
    payouts: list[Payout]
    payouts_count: int
    paid_count: int
    paid_amount: Decimal
    #: What happened to her and to the payouts shown, oldest first, up to the limit.
    audit: list[AuditEvent]


def beneficiary_detail(
    *,
    organization: Organization,
    beneficiary_id: int,
    payouts_limit: int = 50,
    audit_limit: int = 200,
) -> BeneficiaryDetail:
    """Her page: details, attachments, payouts with totals, audit trail; five queries."""
    b = beneficiary_get(organization=organization, beneficiary_id=beneficiary_id)
    attachments = list(b.attachments.all())
    mine = Payout.objects.filter(organization=organization, beneficiary=b)
    payouts = list(mine.select_related("batch").order_by("-created_at", "-id")[:payouts_limit])
    totals = mine.aggregate(
        n=Count("id"),
        paid=Count("id", filter=Q(status=Payout.Status.PAID)),
        paid_amount=Sum("amount", filter=Q(status=Payout.Status.PAID)),
    )
    about = Q(object_type="beneficiary", object_id=str(b.pk))
    if payouts:
        about |= Q(object_type="payout", object_id__in=[str(p.pk) for p in payouts])
    audit = list(
        AuditEvent.objects.filter(about, organization=organization).order_by("-seq")[:audit_limit]
    )
    audit.reverse()
    return BeneficiaryDetail(
        beneficiary=b,
        attachments=attachments,
        payouts=payouts,
        payouts_count=totals["n"],
        paid_count=totals["paid"],
        # SQLite sums decimals with float noise: back to the 7 decimals of USDC.
        paid_amount=Decimal(totals["paid_amount"] or 0).quantize(Decimal("0.0000001")),
        audit=audit,
    )


def beneficiary_attachment_get(
    *, organization: Organization, attachment_id: int
) -> BeneficiaryAttachment:
    """An attachment to serve (the view streams `.file`); another organization's: not_found."""
    att = (
        BeneficiaryAttachment.objects.select_related("beneficiary")
        .filter(pk=attachment_id, beneficiary__organization=organization)
        .first()
    )
    if att is None:
        raise SozuError("not_found")
    return att
