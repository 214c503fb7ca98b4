"""The permission table, role by role and action by action, written out independently here."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from sozu.audit.models import AuditEvent
from sozu.orgs.permissions import (
    PERMISSIONS,
    Action,
    get_for_org_or_404,
    org_member_required,
    role_can,
)
from sozu.web.tests.helpers import TOTP_SECRET, org, staff

OWN, OPE, APP, VIE = "owner", "operator", "approver", "viewer"
#: What the issue asks for: owner = members, settings, limits, API keys, webhooks; operator =
#: beneficiaries, prepares batches and payouts; approver = approves and executes; viewer = reads.
EXPECTED: dict[str, set[str]] = {
    "view": {OWN, OPE, APP, VIE},
    "export": {OWN, OPE, APP, VIE},
    "manage_beneficiaries": {OPE},
    "review_beneficiary": {OPE, APP},
    "prepare_batch": {OPE},
    "cancel_batch": {OPE, APP},
    "pause_batch": {OWN, OPE, APP},
    "approve_batch": {APP},
    "execute_batch": {APP},
    "send_payout": {OPE, APP},
    "manage_members": {OWN},
    "manage_settings": {OWN},
    "manage_api_keys": {OWN},
    "manage_webhooks": {OWN},
    # credit: the owner sets the products; an operator prepares, an approver approves (and
    # writes off what someone else asked to write off); both take repayments.
    "manage_loan_products": {OWN},
    "prepare_loan": {OPE},
    "approve_loan": {APP},
    "record_repayment": {OPE, APP},
    "reverse_repayment": {OPE, APP},
    "request_write_off": {OPE, APP},
    "write_off": {APP},
    "manage_groups": {OPE},
    "follow_up_loan": {OPE, APP},
    "manage_credit_rules": {OWN, OPE},
    "assign_payment": {OPE},
    "return_payment": {OPE},
}


def test_the_table_covers_every_action() -> None:
    assert {a.value for a in Action} == set(EXPECTED) == {a.value for a in PERMISSIONS}


@pytest.mark.parametrize("role", [OWN, OPE, APP, VIE])
@pytest.mark.parametrize("action", list(EXPECTED))
def test_role_by_action(role: str, action: str) -> None:
    assert role_can(role, Action(action)) is (role in EXPECTED[action])


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("done")


def _request(user: object, membership: object = None) -> HttpRequest:
    request = RequestFactory().post("/x", REMOTE_ADDR="127.0.0.1")
    request.user = user  # type: ignore[assignment]
    request.membership = membership  # type: ignore[attr-defined]
    request.organization = getattr(membership, "organization", None)  # type: ignore[attr-defined]
    request.session = {}  # type: ignore[assignment]
    request._messages = []  # type: ignore[attr-defined]
    return request


@pytest.mark.django_db
@pytest.mark.parametrize("role", [OWN, OPE, APP, VIE])
@pytest.mark.parametrize("action", [a for a in Action if a not in {Action.VIEW, Action.EXPORT}])
def test_the_decorator_enforces_the_table(role: str, action: Action) -> None:
    """Every role x action through the decorator: refused (403) exactly where the table says.

    The member has a second factor; step-up is then the only other thing asked (a redirect).
    """
    m = staff(org(), role, totp_secret=TOTP_SECRET)
    view = org_member_required(action)(_ok)
    request = _request(m.user, m)
    if role not in EXPECTED[action.value]:
        with pytest.raises(PermissionDenied):
            view(request)
        return
    response = view(request)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "/cuenta/2fa/reauthenticate/" in response["Location"]


@pytest.mark.django_db
def test_a_member_without_second_factor_cannot_approve_or_execute() -> None:
    m = staff(org(), APP)
    for action in (
        Action.APPROVE_BATCH,
        Action.EXECUTE_BATCH,
        Action.SEND_PAYOUT,
        Action.APPROVE_LOAN,
        Action.WRITE_OFF,
    ):
        with pytest.raises(PermissionDenied):
            org_member_required(action)(_ok)(_request(m.user, m))


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_sign_in() -> None:
    response = org_member_required()(_ok)(_request(AnonymousUser()))
    assert response.status_code == 302 and "/cuenta/login/" in response["Location"]


@pytest.mark.django_db
def test_another_organizations_row_answers_404() -> None:
    mine, other = org(), org()
    m = staff(mine, VIE)
    staff(other, VIE)
    theirs = AuditEvent.objects.filter(organization=other).first()
    ours = AuditEvent.objects.filter(organization=mine).first()
    assert theirs is not None and ours is not None
    request = _request(m.user, m)
    assert get_for_org_or_404(AuditEvent, request, pk=ours.pk) == ours
    with pytest.raises(Http404):
        get_for_org_or_404(AuditEvent, request, pk=theirs.pk)
    with pytest.raises(Http404):
        get_for_org_or_404(AuditEvent.objects.all(), request, pk=theirs.pk)


@pytest.mark.django_db
def test_step_up_asks_a_passkey_of_someone_without_an_authenticator_app() -> None:
    from allauth.mfa.models import Authenticator
    from django.contrib.sessions.backends.db import SessionStore

    m = staff(org(), OWN)
    Authenticator.objects.create(user=m.user, type=Authenticator.Type.WEBAUTHN, data={})
    request = _request(m.user, m)
    request.session = SessionStore()  # allauth keeps the POST in the session
    response = org_member_required(Action.MANAGE_SETTINGS)(_ok)(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/cuenta/2fa/webauthn/reauthenticate/")
