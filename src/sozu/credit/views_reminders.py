"""The reminders page: the outbox with filters, and the organization's reminder policy."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sozu.audit.context import web_actor
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models_borrowers import (
    DEFAULT_BEFORE_DAYS,
    DEFAULT_OVERDUE_DAYS,
    ReminderMessage,
    ReminderPolicy,
)
from sozu.credit.notify.twilio import twilio_signature_valid
from sozu.credit.selectors import loan_product_list
from sozu.credit.services.reminders import (
    reminder_opt_in,
    reminder_opt_out,
    reminder_policy_set,
    reminder_reply_handle,
)
from sozu.orgs.models import Organization
from sozu.orgs.permissions import Action, current_organization, org_member_required

PAGE_SIZE = 50


class OutboxFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Borrower"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *ReminderMessage.Status.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All")), *ReminderMessage.Kind.choices],
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PolicyForm(forms.Form):
    product = forms.ChoiceField(label=gettext_lazy("For"), required=False)
    before_days = forms.CharField(
        label=gettext_lazy("Days before the due date"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Comma-separated; 0 is the due date itself."),
    )
    overdue_days = forms.CharField(label=gettext_lazy("Days late"), required=False, max_length=60)
    enabled = forms.BooleanField(label=gettext_lazy("Send reminders"), required=False)

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = loan_product_list(organization_id=organization_id, active_only=False)
        cast(forms.ChoiceField, self.fields["product"]).choices = [
            ("", _("The whole organization")),
            *((str(p.pk), p.name) for p in products),
        ]


def _outbox(organization_id: int, data: dict[str, Any]) -> Any:
    rows = ReminderMessage.objects.filter(organization_id=organization_id).select_related(
        "beneficiary", "loan"
    )
    if data.get("q"):
        rows = rows.filter(
            Q(beneficiary__full_name__icontains=data["q"]) | Q(to__icontains=data["q"])
        )
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("kind"):
        rows = rows.filter(kind=data["kind"])
    since: dt.date | None = data.get("since")
    until: dt.date | None = data.get("until")
    if since:
        rows = rows.filter(day__gte=since)
    if until:
        rows = rows.filter(day__lte=until)
    return rows.order_by("-day", "-id")


@org_member_required(Action.VIEW)
def reminders_page(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    filters = OutboxFilter(request.GET or None)
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    page = Paginator(_outbox(org.pk, data), PAGE_SIZE).get_page(request.GET.get("page"))
    policy = ReminderPolicy.objects.filter(organization=org, product__isnull=True).first()
    policy_form = PolicyForm(
        organization_id=org.pk,
        initial={
            "before_days": policy.before_days if policy else DEFAULT_BEFORE_DAYS,
            "overdue_days": policy.overdue_days if policy else DEFAULT_OVERDUE_DAYS,
            "enabled": policy.enabled if policy else True,
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "section": "credit",
        "credit_tab": "reminders",
        "filters": filters,
        "filtered": bool(data and any(data.values())),
        "page": page,
        "query": query.urlencode(),
        "policy_form": policy_form,
        "product_policies": ReminderPolicy.objects.filter(
            organization=org, product__isnull=False
        ).select_related("product"),
        "status_counts": {
            s: ReminderMessage.objects.filter(organization=org, status=s).count()
            for s in (ReminderMessage.Status.QUEUED, ReminderMessage.Status.FAILED)
        },
    }
    template = (
        "credit/reminders/_outbox.html"
        if request.headers.get("HX-Request")
        else "credit/reminders/list.html"
    )
    status = 400 if filters.is_bound and filters.errors else 200
    return render(request, template, context, status=status)


@org_member_required(Action.MANAGE_CREDIT_RULES)
@require_POST
def reminders_policy(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    form = PolicyForm(request.POST, organization_id=org.pk)
    if not form.is_valid():
        messages.error(request, _("Check the reminder days."))
        return redirect("credit:reminders")
    product = None
    if form.cleaned_data["product"]:
        product = loan_product_list(organization_id=org.pk, active_only=False).get(
            pk=int(form.cleaned_data["product"])
        )
    try:
        reminder_policy_set(
            organization=org,
            product=product,
            actor=web_actor(request),
            before_days=form.cleaned_data["before_days"],
            overdue_days=form.cleaned_data["overdue_days"],
            enabled=form.cleaned_data["enabled"],
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reminder policy saved."))
    return redirect("credit:reminders")


@org_member_required(Action.MANAGE_CREDIT_RULES)
@require_POST
def reminders_opt_out_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    """Stop (or, with resume=1, resume) her reminders; back to her ranking page."""
    beneficiary = Beneficiary.objects.filter(
        organization=current_organization(request), pk=beneficiary_id
    ).first()
    if beneficiary is None:
        raise Http404
    if request.POST.get("resume") == "1":
        reminder_opt_in(beneficiary=beneficiary, actor=web_actor(request))
        messages.success(
            request, _("%(name)s will receive reminders again.") % {"name": beneficiary.full_name}
        )
    else:
        reminder_opt_out(
            beneficiary=beneficiary,
            actor=web_actor(request),
            reason=request.POST.get("reason", "")[:200],
        )
        messages.success(
            request, _("%(name)s will not receive reminders.") % {"name": beneficiary.full_name}
        )
    return redirect("credit:borrower_cycles", beneficiary_id=beneficiary.pk)


@csrf_exempt
@require_POST
def reminders_reply(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Twilio's webhook for an incoming SMS/WhatsApp: "BAJA" stops her reminders.

    Not a dashboard page: Twilio calls it, proven by X-Twilio-Signature (HMAC of this URL and
    the form with the auth token); anything unsigned is refused with 403.
    """
    organization = Organization.objects.filter(slug=org_slug).first()
    params = {key: request.POST.get(key, "") for key in request.POST}
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio_signature_valid(request.build_absolute_uri(), params, signature):
        raise PermissionDenied
    if organization is None:
        raise Http404
    count = reminder_reply_handle(
        organization=organization, phone=params.get("From", ""), text=params.get("Body", "")
    )
    body = "<Response/>"
    if count:
        with translation.override("es"):
            text = escape(_("Done: you will not receive more payment reminders."))
        body = f"<Response><Message>{text}</Message></Response>"
    return HttpResponse(body, content_type="text/xml")
