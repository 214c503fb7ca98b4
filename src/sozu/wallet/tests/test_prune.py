"""`sozu wallet prune`: spent challenges are forgotten, invitations that expired are marked."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.wallet.models import Invitation, Sep10Challenge, WebAuthnChallenge
from sozu.wallet.services import invitations
from sozu.wallet.services.housekeeping import PruneResult, wallet_prune

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _challenges() -> None:
    for name, expires in [("old", NOW - HOUR), ("used-old", NOW - HOUR), ("new", NOW + HOUR)]:
        WebAuthnChallenge.objects.create(
            challenge=f"webauthn-{name}",
            purpose=WebAuthnChallenge.Purpose.LOGIN,
            expires_at=expires,
            used_at=NOW - 2 * HOUR if name == "used-old" else None,
        )
    for name, expires in [("old", NOW - HOUR), ("valid", NOW + HOUR)]:
        # An answered challenge still inside its time bounds is what refuses its replay: kept.
        Sep10Challenge.objects.create(
            tx_hash=name.ljust(64, "0"), account="G" * 56, used_at=NOW - HOUR, expires_at=expires
        )


def test_prune_deletes_expired_challenges_and_keeps_the_ones_that_still_guard_a_replay() -> None:
    _challenges()

    result = wallet_prune(actor="test", now=NOW)

    assert result == PruneResult(webauthn_challenges=2, sep10_challenges=1, invitations_expired=0)
    assert list(WebAuthnChallenge.objects.values_list("challenge", flat=True)) == ["webauthn-new"]
    assert list(Sep10Challenge.objects.values_list("tx_hash", flat=True)) == [
        "valid".ljust(64, "0")
    ]


def test_prune_marks_each_invitation_that_expired_unused_once_and_audits_it() -> None:
    hours = dt.timedelta(hours=72)  # SOZU_WALLET_INVITATION_HOURS
    expired_one = BeneficiaryFactory.create()
    expired = invitations.invitation_create(
        beneficiary=expired_one, actor="user:1", now=NOW - hours - HOUR
    ).invitation
    cancelled = invitations.invitation_create(
        beneficiary=BeneficiaryFactory.create(), actor="user:1", now=NOW - hours - HOUR
    ).invitation
    invitations.invitation_revoke(invitation=cancelled, actor="user:1", now=NOW - 2 * hours)
    still_open = invitations.invitation_create(
        beneficiary=BeneficiaryFactory.create(), actor="user:1", now=NOW - HOUR
    ).invitation

    first = wallet_prune(actor="worker:w1", now=NOW)
    again = wallet_prune(actor="worker:w1", now=NOW + HOUR)

    assert first.invitations_expired == 1 and again.invitations_expired == 0
    marks = dict(Invitation.objects.values_list("pk", "expired_at"))
    assert marks == {expired.pk: NOW, cancelled.pk: None, still_open.pk: None}
    event = AuditEvent.objects.get(action="wallet.invitation_expired")
    assert event.actor == "worker:w1"
    assert event.organization_id == expired_one.organization_id
    assert event.object_id == str(expired_one.pk)
    # The open one expires later: the next run marks it.
    assert wallet_prune(actor="worker:w1", now=NOW + 72 * HOUR).invitations_expired == 1


def test_the_command_prunes_at_the_current_time() -> None:
    _challenges()
    out = StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("wallet", "prune", stdout=out)

    assert out.getvalue().strip() == (
        "WebAuthn challenges deleted: 2; SEP-10 challenges deleted: 1; "
        "invitations marked expired: 0"
    )
    assert WebAuthnChallenge.objects.count() == 1 and Sep10Challenge.objects.count() == 1
