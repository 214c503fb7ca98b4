"""Solidarity groups' pages: the list with a create form, a group's detail and its grant form."""

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
from sozu.credit.models_borrowers import GroupMembership, SolidarityGroup
from sozu.credit.selectors import loan_product_list
from sozu.credit.selectors_groups import group_arrears, group_cycles, group_get, group_list
from sozu.credit.services.groups import (
    group_create,
    group_deactivate,
    group_grant,
    group_members,
)
from sozu.orgs.models import Organization
from sozu.orgs.permissions import Action, current_organization, org_member_required


def _free_beneficiaries(org: Organization) -> list[Beneficiary]:
    """Approved beneficiaries who are not in an active group."""
    busy = GroupMembership.objects.filter(active=True).values("beneficiary_id")
    return list(
        Beneficiary.objects.filter(organization=org, status=Beneficiary.Status.APPROVED)
        .exclude(pk__in=busy)
        .order_by("full_name", "id")
    )


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    members = forms.MultipleChoiceField(
        label=gettext_lazy("Members (3 to 10)"), widget=forms.CheckboxSelectMultiple
    )
    coordinator = forms.ChoiceField(label=gettext_lazy("Coordinator"))

    def __init__(self, *args: Any, people: list[Beneficiary], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(b.pk), b.full_name) for b in people]
        cast(forms.ChoiceField, self.fields["members"]).choices = choices
        cast(forms.ChoiceField, self.fields["coordinator"]).choices = [("", "—"), *choices]


def _list_context(request: HttpRequest, form: GroupForm) -> dict[str, Any]:
    org = current_organization(request)
    today = timezone.localdate()
    groups = list(group_list(organization_id=org.pk))
    rows = [(g, group_arrears(group=g, as_of=today)) for g in groups]
    return {
        "section": "credit",
        "credit_tab": "groups",
        "rows": rows,
        "form": form,
    }


@org_member_required(Action.VIEW)
def groups_page(request: HttpRequest) -> HttpResponse:
    people = _free_beneficiaries(current_organization(request))
    return render(
        request, "credit/groups/list.html", _list_context(request, GroupForm(people=people))
    )


@org_member_required(Action.MANAGE_GROUPS)
@require_POST
def group_new(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    form = GroupForm(request.POST, people=_free_beneficiaries(org))
    if form.is_valid():
        try:
            group = group_create(
                organization=org,
                name=form.cleaned_data["name"],
                member_ids=[int(x) for x in form.cleaned_data["members"]],
                coordinator_id=int(form.cleaned_data["coordinator"]),
                actor=web_actor(request),
            )
        except SozuError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
            return redirect("credit:group_detail", group_id=group.pk)
    return render(request, "credit/groups/list.html", _list_context(request, form), status=400)


def _group(request: HttpRequest, group_id: int) -> SolidarityGroup:
    try:
        return group_get(organization_id=current_organization(request).pk, group_id=group_id)
    except SozuError as exc:
        raise Http404 from exc


class GrantForm(forms.Form):
    product = forms.ChoiceField(label=gettext_lazy("Loan product"))
    cuotas = forms.IntegerField(label=gettext_lazy("Cuotas"), min_value=1, max_value=360)

    def __init__(self, *args: Any, org: Organization, members: list[Beneficiary], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["product"]).choices = [
            (str(p.pk), p.name) for p in loan_product_list(organization_id=org.pk)
        ]
        for m in members:
            self.fields[f"amount_{m.pk}"] = forms.DecimalField(
                label=m.full_name, min_value=0, decimal_places=2, max_digits=14
            )

    def amount_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("amount_")]


def _detail(
    request: HttpRequest, group: SolidarityGroup, form: GrantForm, status: int = 200
) -> HttpResponse:
    context = {
        "section": "credit",
        "credit_tab": "groups",
        "group": group,
        "members": group_members(group),
        "arrears": group_arrears(group=group, as_of=timezone.localdate()),
        "cycles": group_cycles(group=group),
        "form": form,
    }
    return render(request, "credit/groups/detail.html", context, status=status)


@org_member_required(Action.VIEW)
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    form = GrantForm(org=current_organization(request), members=group_members(group))
    return _detail(request, group, form)


@org_member_required(Action.MANAGE_GROUPS)
@require_POST
def group_grant_view(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    org = current_organization(request)
    members = group_members(group)
    form = GrantForm(request.POST, org=org, members=members)
    if form.is_valid():
        product = (
            loan_product_list(organization_id=org.pk)
            .filter(pk=int(form.cleaned_data["product"]))
            .first()
        )
        try:
            if product is None:
                raise SozuError("group_product_other_org")
            loans = group_grant(
                group=group,
                product=product,
                amounts={m.pk: form.cleaned_data[f"amount_{m.pk}"] for m in members},
                cuotas=form.cleaned_data["cuotas"],
                actor=web_actor(request),
            )
        except SozuError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(count)s loans prepared for cycle %(cycle)s; each one now needs its approval.")
                % {"count": len(loans), "cycle": group.cycle},
            )
            return redirect("credit:group_detail", group_id=group.pk)
    return _detail(request, group, form, status=400)


@org_member_required(Action.MANAGE_GROUPS)
@require_POST
def group_deactivate_view(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    try:
        group_deactivate(
            group=group, actor=web_actor(request), reason=request.POST.get("reason", "")[:200]
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The group “%(name)s” was closed; its members may join another group.")
            % {"name": group.name},
        )
    return redirect("credit:group_detail", group_id=group.pk)
