"""Configuración (owners): members, approval policy and limits, API keys, webhook endpoints.

The pages are for owners only. Every change goes through an audited service and needs a
fresh second factor (step-up), both from `org_member_required` with the change's action.
A new API key or webhook secret is shown once, in the answer to the POST that made it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sozu.audit.context import web_actor, web_context
from sozu.errors import SozuError
from sozu.orgs.models import ApiKey, Membership
from sozu.orgs.permissions import (
    Action,
    current_organization,
    get_for_org_or_404,
    org_member_required,
)
from sozu.orgs.services import (
    apikey_create,
    apikey_revoke,
    member_invite,
    membership_remove,
    membership_set_role,
    organization_update_limits,
)
from sozu.webhooks.models import WebhookEndpoint
from sozu.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_rotate_secret,
)

OWNER = [Membership.Role.OWNER]
ROLE_CHOICES = Membership.Role.choices


def _page(
    request: HttpRequest, template: str, tab: str, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        f"orgs/{template}",
        {"section": "settings", "tab": tab, "org": current_organization(request), **extra},
        status=status,
    )


# --- members ---------------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLE_CHOICES)


def _members_page(
    request: HttpRequest, form: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    org = current_organization(request)
    members = list(
        Membership.objects.select_related("user").filter(organization=org).order_by("user__email")
    )
    from allauth.mfa.models import Authenticator

    with_2fa = set(
        Authenticator.objects.filter(
            user_id__in=[m.user_id for m in members],
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
        ).values_list("user_id", flat=True)
    )
    return _page(
        request,
        "config_members.html",
        "members",
        status=status,
        members=members,
        with_2fa=with_2fa,
        form=form or InviteForm(initial={"role": Membership.Role.OPERATOR}),
        roles=ROLE_CHOICES,
    )


@org_member_required(Action.VIEW, roles=OWNER)
@require_GET
def config_members(request: HttpRequest) -> HttpResponse:
    return _members_page(request)


@org_member_required(Action.MANAGE_MEMBERS)
@require_POST
def config_member_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form, status=400)
    try:
        m = member_invite(
            organization=current_organization(request),
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            actor=web_actor(request),
            site_url=request.build_absolute_uri("/"),
            context=web_context(request),
        )
    except SozuError as exc:
        form.add_error(None, exc.message)
        return _members_page(request, form, status=exc.status)
    messages.success(
        request,
        _("%(email)s was invited: they got an email with a link.") % {"email": m.user.email},
    )
    return redirect("config:members")


@org_member_required(Action.MANAGE_MEMBERS)
@require_POST
def config_member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    m = get_for_org_or_404(Membership, request, pk=membership_id)
    try:
        membership_set_role(
            organization=current_organization(request),
            membership_id=m.pk,
            role=str(request.POST.get("role", "")),
            actor=web_actor(request),
            context=web_context(request),
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role changed."))
    return redirect("config:members")


@org_member_required(Action.MANAGE_MEMBERS)
@require_POST
def config_member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    m = get_for_org_or_404(Membership, request, pk=membership_id)
    try:
        membership_remove(
            organization=current_organization(request),
            membership_id=m.pk,
            actor=web_actor(request),
            context=web_context(request),
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(email)s no longer belongs to the organization.") % {"email": m.user.email}
        )
    return redirect("config:members")


# --- approval policy and limits ---------------------------------------------------------------

MIN_MONEY = Decimal("0.0000001")


def money_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        help_text=help_text,
        max_digits=20,
        decimal_places=7,
        min_value=MIN_MONEY,
    )


class PolicyForm(forms.Form):
    batch_approvals_required = forms.IntegerField(
        label=gettext_lazy("Approvals a batch needs"), min_value=1, max_value=10
    )
    step_up_payout_threshold = money_field(
        gettext_lazy("Single payouts above this amount ask for the second factor again (USDC)"),
        required=False,
        help_text=gettext_lazy("Empty: a single payout never asks for it."),
    )
    max_payout_amount = money_field(gettext_lazy("Maximum per payout (USDC)"))
    max_batch_total = money_field(gettext_lazy("Maximum per batch (USDC)"))
    max_lines_per_batch = forms.IntegerField(
        label=gettext_lazy("Maximum lines per batch"), min_value=1, max_value=100_000
    )
    daily_cap = money_field(gettext_lazy("Daily cap, rolling 24 hours (USDC)"))


def _plain(value: Any) -> Any:
    """1000000.0000000 → 1000000: the stored 7 decimals are noise in a form."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _policy_initial(request: HttpRequest) -> dict[str, Any]:
    org = current_organization(request)
    return {f: _plain(getattr(org, f)) for f in PolicyForm.base_fields}


@org_member_required(Action.VIEW, roles=OWNER)
@require_GET
def config_policy(request: HttpRequest) -> HttpResponse:
    return _page(
        request, "config_policy.html", "policy", form=PolicyForm(initial=_policy_initial(request))
    )


@org_member_required(Action.MANAGE_SETTINGS)
@require_POST
def config_policy_save(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _page(request, "config_policy.html", "policy", status=400, form=form)
    try:
        organization_update_limits(
            organization_id=current_organization(request).pk,
            changes=dict(form.cleaned_data),
            actor=web_actor(request),
        )
    except (SozuError, ValidationError) as exc:
        text = exc.message if isinstance(exc, SozuError) else " ".join(exc.messages)
        form.add_error(None, text)
        return _page(request, "config_policy.html", "policy", status=400, form=form)
    messages.success(request, _("Policy and limits saved."))
    return redirect("config:policy")


# --- API keys --------------------------------------------------------------------------------


class NameForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name (what it is for)"), max_length=100, required=False
    )


def _keys_page(request: HttpRequest, *, token: str = "", status: int = 200) -> HttpResponse:
    keys = ApiKey.objects.filter(organization=current_organization(request)).order_by("-created_at")
    return _page(
        request,
        "config_apikeys.html",
        "apikeys",
        status=status,
        keys=keys,
        token=token,
        form=NameForm(),
    )


@org_member_required(Action.VIEW, roles=OWNER)
@require_GET
def config_apikeys(request: HttpRequest) -> HttpResponse:
    return _keys_page(request)


@org_member_required(Action.MANAGE_API_KEYS)
@require_POST
def config_apikey_create(request: HttpRequest) -> HttpResponse:
    form = NameForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    _key, token = apikey_create(
        organization=current_organization(request), name=name.strip(), actor=web_actor(request)
    )
    # Shown in this answer only: it is not stored anywhere but as its hash.
    response = _keys_page(request, token=token, status=201)
    response["Cache-Control"] = "no-store"
    return response


@org_member_required(Action.MANAGE_API_KEYS)
@require_POST
def config_apikey_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_for_org_or_404(ApiKey, request, pk=key_id)
    if key.revoked_at is None:
        apikey_revoke(key=key, actor=web_actor(request))
        messages.success(request, _("The key %(prefix)s… was revoked.") % {"prefix": key.prefix})
    return redirect("config:apikeys")


# --- webhooks --------------------------------------------------------------------------------


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("URL that receives the events (HTTPS)"),
        max_length=500,
        assume_scheme="https",
    )


def _webhooks_page(
    request: HttpRequest,
    *,
    form: WebhookForm | None = None,
    secret: str = "",
    secret_for: WebhookEndpoint | None = None,
    status: int = 200,
) -> HttpResponse:
    endpoints = WebhookEndpoint.objects.filter(organization=current_organization(request)).order_by(
        "-created_at"
    )
    return _page(
        request,
        "config_webhooks.html",
        "webhooks",
        status=status,
        endpoints=endpoints,
        secret=secret,
        secret_for=secret_for,
        form=form or WebhookForm(),
    )


@org_member_required(Action.VIEW, roles=OWNER)
@require_GET
def config_webhooks(request: HttpRequest) -> HttpResponse:
    return _webhooks_page(request)


@org_member_required(Action.MANAGE_WEBHOOKS)
@require_POST
def config_webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _webhooks_page(request, form=form, status=400)
    try:
        _endpoint, secret = webhook_endpoint_create(
            organization=current_organization(request),
            url=form.cleaned_data["url"],
            actor=web_actor(request),
        )
    except SozuError as exc:
        form.add_error("url", exc.message)
        return _webhooks_page(request, form=form, status=exc.status)
    response = _webhooks_page(request, secret=secret, status=201)
    response["Cache-Control"] = "no-store"
    return response


@org_member_required(Action.MANAGE_WEBHOOKS)
@require_POST
def config_webhook_disable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_org_or_404(WebhookEndpoint, request, pk=endpoint_id)
    try:
        webhook_endpoint_disable(endpoint=endpoint, actor=web_actor(request))
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The endpoint no longer receives events."))
    return redirect("config:webhooks")


@org_member_required(Action.MANAGE_WEBHOOKS)
@require_POST
def config_webhook_enable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_org_or_404(WebhookEndpoint, request, pk=endpoint_id)
    try:
        webhook_endpoint_enable(endpoint=endpoint, actor=web_actor(request))
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The endpoint receives events again (those of the meantime are not sent).")
        )
    return redirect("config:webhooks")


@org_member_required(Action.MANAGE_WEBHOOKS)
@require_POST
def config_webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_for_org_or_404(WebhookEndpoint, request, pk=endpoint_id)
    endpoint, secret = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=web_actor(request))
    # Shown in this answer only; the old secret stopped signing at once.
    response = _webhooks_page(request, secret=secret, secret_for=endpoint)
    response["Cache-Control"] = "no-store"
    return response
