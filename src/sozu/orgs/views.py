"""Organization pages: the switcher, the organization's wallet, and its security settings."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sozu.audit.context import web_actor, web_context
from sozu.orgs.models import Membership
from sozu.orgs.permissions import (
    SESSION_ORG_KEY,
    Action,
    current_organization,
    has_second_factor,
    org_member_required,
)
from sozu.orgs.services import organization_set_require_2fa
from sozu.web.selectors import wallet_page


@login_required
@require_http_methods(["GET", "POST"])
def switch(request: HttpRequest) -> HttpResponse:
    """Choose the organization to work in (only those the person is a member of)."""
    memberships = list(
        Membership.objects.select_related("organization")
        .filter(user_id=request.user.pk or 0)
        .order_by("organization__name")
    )
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    if request.method == "POST":
        chosen = next(
            (m for m in memberships if str(m.organization_id) == request.POST.get("organization")),
            None,
        )
        if chosen is None:
            raise Http404  # not a member: the same answer as an organization that does not exist
        request.session[SESSION_ORG_KEY] = chosen.organization_id
        return redirect(next_url or "web:home")
    return render(request, "orgs/switch.html", {"memberships": memberships, "next": next_url})


@org_member_required(Action.VIEW)
def wallet(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    qr = segno.make(org.wallet_public_key, error="m")
    qr_svg = qr.svg_inline(scale=4, dark="#1d2430", title=org.wallet_public_key)
    return render(
        request,
        "orgs/wallet.html",
        {
            "section": "wallet",
            "org": org,
            "page": wallet_page(org),
            # segno's own SVG of the public key (no user input reaches it but the key itself).
            "qr_svg": mark_safe(qr_svg),  # noqa: S308
        },
    )


@org_member_required(Action.VIEW)
def settings_index(request: HttpRequest) -> HttpResponse:
    """Configuración: members and the 2FA requirement (owners change them)."""
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
    return render(
        request,
        "orgs/settings.html",
        {"section": "settings", "org": org, "members": members, "with_2fa": with_2fa},
    )


@org_member_required(Action.MANAGE_SETTINGS)
@require_http_methods(["POST"])
def settings_require_2fa(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    required = request.POST.get("require_2fa") == "on"
    if required and not has_second_factor(request.user):
        messages.error(request, _("Activate two-step verification on your own account first."))
        return redirect("orgs:settings")
    organization_set_require_2fa(
        organization=org, required=required, actor=web_actor(request), context=web_context(request)
    )
    messages.success(
        request,
        _("Every member must now use two-step verification.")
        if required
        else _("Two-step verification is now optional for members."),
    )
    return redirect("orgs:settings")
