"""The dashboard's side of the wallet: staff invite a beneficiary to link her wallet."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sozu.beneficiaries.models import Beneficiary
from sozu.orgs.permissions import Action, current_organization, org_member_required
from sozu.wallet.errors import SozuError
from sozu.wallet.models import Invitation
from sozu.wallet.services.invitations import invitation_create, invitation_revoke


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_POST
def invite(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    org = current_organization(request)
    b = Beneficiary.objects.filter(organization=org, pk=beneficiary_id).first()
    if b is None:
        raise Http404
    try:
        issued = invitation_create(beneficiary=b, actor=_actor(request))
    except SozuError as exc:
        messages.error(request, exc.message)
        return redirect("beneficiaries:detail", beneficiary_id=b.pk)
    link = request.build_absolute_uri(f"/wallet/?invitacion={issued.code}")
    text = _(
        "Hi %(name)s, %(org)s invites you to Sozu Wallet to receive your payments. "
        "Open this link in Chrome: %(link)s (code %(code)s)"
    ) % {"name": b.full_name.split(" ")[0], "org": org.name, "link": link, "code": issued.code}
    phone = "".join(ch for ch in (b.phone or "") if ch.isdigit())
    response = render(
        request,
        "wallet/invitation_issued.html",
        {
            "section": "beneficiaries",
            "b": b,
            "invitation": issued.invitation,
            "code": issued.code,
            "link": link,
            "whatsapp": f"https://wa.me/{phone}?text={quote(text)}",
            "sms": f"sms:{'+' + phone if phone else ''}?body={quote(text)}",
        },
    )
    response["Cache-Control"] = "no-store"  # the code is shown once
    return response


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_POST
def revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    org = current_organization(request)
    inv = Invitation.objects.filter(organization=org, pk=invitation_id).first()
    if inv is None:
        raise Http404
    invitation_revoke(invitation=inv, actor=_actor(request))
    messages.success(request, _("The invitation was cancelled: its link no longer works."))
    return redirect("beneficiaries:detail", beneficiary_id=inv.beneficiary_id)


@org_member_required(Action.REVIEW_BENEFICIARY)
@require_POST
def recovery_confirm_view(request: HttpRequest, recovery_id: int) -> HttpResponse:
    from sozu.wallet.models import RecoveryRequest
    from sozu.wallet.services.recovery import recovery_confirm

    org = current_organization(request)
    req = RecoveryRequest.objects.filter(organization=org, pk=recovery_id).first()
    if req is None:
        raise Http404
    try:
        recovery_confirm(request=req, actor=_actor(request))
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Confirmed: she can now finish the recovery on her new phone."))
    return redirect("beneficiaries:detail", beneficiary_id=req.beneficiary_id)
