"""The ranking page (borrowers by repayment behaviour, with renewals) and a borrower's cycles."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sozu.audit.context import web_actor
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models_borrowers import ReminderOptOut
from sozu.credit.ranking import borrower_ranking
from sozu.credit.selectors import loan_product_list
from sozu.credit.services.renewal import Rule, renewal_eligibility, renewal_rule_set, rules_for
from sozu.orgs.permissions import Action, current_organization, org_member_required


class RenewalRuleForm(forms.Form):
    product = forms.ChoiceField(label=gettext_lazy("Product"))
    max_days_late = forms.IntegerField(
        label=gettext_lazy("Never more days late than"), min_value=0, max_value=365
    )
    increase = forms.DecimalField(
        label=gettext_lazy("Suggested increase (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        max_digits=6,
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = loan_product_list(organization_id=organization_id, active_only=False)
        cast(forms.ChoiceField, self.fields["product"]).choices = [
            (str(p.pk), p.name) for p in products
        ]


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
        "rules": _rules(org.pk),
        "rule_form": RenewalRuleForm(
            organization_id=org.pk,
            initial={"max_days_late": Rule().max_days_late, "increase": Rule().increase},
        ),
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


def _rules(organization_id: int) -> list[tuple[Any, Rule, str]]:
    """Each product with its renewal rule (or the default) and the increase as people read it."""
    products = list(loan_product_list(organization_id=organization_id, active_only=False))
    found = rules_for(p.pk for p in products)
    rows = []
    for p in products:
        rule = found.get(p.pk, Rule())
        rows.append((p, rule, f"{rule.increase.normalize():f}".replace(".", ",")))
    return rows


@org_member_required(Action.MANAGE_CREDIT_RULES)
@require_POST
def renewal_rule_view(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    form = RenewalRuleForm(request.POST, organization_id=org.pk)
    if not form.is_valid():
        messages.error(request, _("Check the renewal rule: days 0 to 365, increase 0 to 100 %."))
        return redirect("credit:ranking")
    product = loan_product_list(organization_id=org.pk, active_only=False).get(
        pk=int(form.cleaned_data["product"])
    )
    try:
        renewal_rule_set(
            product=product,
            max_days_late=form.cleaned_data["max_days_late"],
            increase=str(form.cleaned_data["increase"]),
            actor=web_actor(request),
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Renewal rule of %(name)s saved.") % {"name": product.name})
    return redirect("credit:ranking")
