"""Staff invite a beneficiary to Sozu Wallet from her page; the code is shown once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.tests.web.helpers import signed_in, text
from sozu.wallet.models import Invitation
from sozu.wallet.services.invitations import code_hash
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db


def test_an_operator_invites_her_and_sees_the_code_once(settings: Any) -> None:
    o = org()
    her = BeneficiaryFactory.create(organization=o, full_name="Ana Mamani", phone="+5493884123456")
    client, _m = signed_in(o, "operator")
    detail = text(client.get(f"/beneficiarias/{her.pk}/"))
    assert "Invitar a Sozu Wallet" in detail

    response = client.post(f"/beneficiarias/{her.pk}/invitar-billetera/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = text(response)
    code = re.search(r'id="invitation-code">([0-9A-Z-]{14})<', page)
    assert code is not None
    inv = Invitation.objects.get(beneficiary=her)
    assert inv.code_hash == code_hash(code.group(1)) and code.group(1) not in inv.code_hash
    assert "https://wa.me/5493884123456?text=" in page
    assert f"/wallet/?invitacion={code.group(1)}" in page
    assert AuditEvent.objects.filter(action="wallet.invitation_created").count() == 1

    detail = text(client.get(f"/beneficiarias/{her.pk}/"))
    assert code.group(1) not in detail  # never shown again
    assert f"…{inv.hint}" in detail and "Enviar una nueva invitación" in detail

    cancel = client.post(f"/beneficiarias/invitaciones/{inv.pk}/cancelar/")
    assert cancel.status_code == 302
    inv.refresh_from_db()
    assert inv.revoked_at is not None


def test_a_viewer_cannot_invite_and_a_rejected_application_cannot_be_invited() -> None:
    o = org()
    her = BeneficiaryFactory.create(organization=o)
    viewer, _m = signed_in(o, "viewer")
    assert viewer.post(f"/beneficiarias/{her.pk}/invitar-billetera/").status_code == 403
    assert not Invitation.objects.exists()

    rejected = BeneficiaryFactory.create(organization=o, status="rejected")
    operator, _m = signed_in(o, "operator")
    response = operator.post(f"/beneficiarias/{rejected.pk}/invitar-billetera/", follow=True)
    assert "solo se pueden enviar" in text(response).lower()
    assert not Invitation.objects.exists()
