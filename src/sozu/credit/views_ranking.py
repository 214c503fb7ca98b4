"""The ranking page (borrowers by repayment behaviour, with renewals) and a borrower's cycles."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.models_borrowers import ReminderOptOut
from sozu.credit.ranking import borrower_ranking
from sozu.credit.services.renewal import renewal_eligibility
from sozu.orgs.permissions import Action, current_organization, org_member_required


@org_member_required(Action.VIEW)
def ranking_page(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    ranking = borrower_ranking(organization_id=org.pk, as_of=timezone.localdate())
    only = request.GET.get("renewal") == "1"
    rows = [s for s in ranking if s.renewal and s.renewal.eligible] if only else ranking
    context = {
        "section": "credit",
        "credit_tab": "ranking",
        "rows": rows,
        "only_renewals": only,
        "eligible_count": sum(1 for s in ranking if s.renewal and s.renewal.eligible),
    }
    return render(request, "credit/ranking/list.html", context)


@org_member_required(Action.VIEW)
def borrower_cycles(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    org = current_organization(request)
    beneficiary = Beneficiary.objects.filter(organization=org, pk=beneficiary_id).first()
    if beneficiary is None:
        raise Http404
    context = {
        "section": "credit",
        "credit_tab": "ranking",
        "beneficiary": beneficiary,
        "renewal": renewal_eligibility(beneficiary, as_of=timezone.localdate()),
        "opted_out": ReminderOptOut.objects.filter(beneficiary=beneficiary).first(),
    }
    return render(request, "credit/ranking/borrower.html", context)
