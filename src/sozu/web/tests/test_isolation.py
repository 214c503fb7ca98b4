"""Tenant isolation over EVERY URL pattern of the project (pages and API): another
organization's ids answer 404.

The patterns are discovered from the URL resolver, so pages added later are covered without
touching this file, except for one thing: a pattern whose parameter has no factory in
`ID_FACTORIES` fails the test until one is registered there (a new kind of object must say
how to make one). Patterns that are legitimately not scoped to an organization are listed,
with the reason, in `NOT_ORG_SCOPED`.

Organization A owns one object of every kind; members of organization B of every role (each
with an authenticator app, signed in with it moments ago, so that neither the role nor the
step-up is why a request is refused) and B's API key ask for A's ids with GET and POST (and
the API's own methods). The answer must be 404; a 403 (role) or 405 (method) is accepted only
when it does not depend on whose object it is, and at least one role must get the 404. B's own
ids are requested too, to prove that the URL and the factory are right (not a 404 for B).
Patterns without ids are fetched by every role and must not show A's data.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from stellar_sdk import Keypair
from tests.factories import BatchFactory, BeneficiaryFactory, PayoutFactory

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.services import beneficiary_attachment_add
from sozu.core.api import allowed_methods
from sozu.credit.models import Loan
from sozu.credit.services import loan_mark_disbursed
from sozu.credit.services.groups import group_create
from sozu.credit.services.wallet import wallet_token_issue
from sozu.credit.tests.factories import LoanProductFactory, draft_loan
from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_create
from sozu.wallet.services.invitations import invitation_create
from sozu.web.tests.helpers import PASSWORD, TOTP_SECRET, org, staff, totp_code
from sozu.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

ROLES = ("owner", "operator", "approver", "viewer")
API_PREFIX = "api/v1/"
#: The wallet's routes: asked by a beneficiary with her wallet token, not with an API key.
WALLET_PREFIX = "api/v1/wallet/"
#: What A's objects are called: none of it may appear on B's pages.
A_MARKER = "Secreto-de-A"


# --- objects of every kind: one factory per URL parameter ------------------------------------


def a_beneficiary(o: Organization) -> Any:
    return BeneficiaryFactory.create(organization=o, full_name=f"Emprendedora {A_MARKER} {o.pk}")


def an_attachment(o: Organization) -> int:
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return beneficiary_attachment_add(
        beneficiary=a_beneficiary(o), name="solicitud.pdf", content=pdf, actor="test"
    ).pk


def a_batch(o: Organization) -> int:
    batch = BatchFactory.create(organization=o, name=f"Lote {A_MARKER}")
    PayoutFactory.create(organization=o, batch=batch, line_number=1, status="validated")
    return batch.pk


def a_webhook_endpoint(o: Organization) -> int:
    return WebhookEndpoint.objects.create(
        organization=o, url=f"https://{A_MARKER.lower()}.example/hook", secret_ciphertext="x"
    ).pk


def a_payment_review(o: Organization) -> int:
    """A payment on chain waiting for review, with A's marker in its memo."""
    from django.utils import timezone
    from stellar_sdk import Keypair

    from sozu.credit.models import PaymentReview

    return PaymentReview.objects.create(
        organization=o,
        operation_id=str(uuid.uuid4().int)[:19],
        tx_hash="cd" * 32,
        source=Keypair.random().public_key,
        memo=A_MARKER,
        memo_type="text",
        asset_code="USDC",
        asset_issuer=Keypair.random().public_key,
        amount=Decimal("9"),
        received_at=timezone.now(),
        reason=PaymentReview.Reason.UNKNOWN_REFERENCE,
    ).pk


def an_audit_event(o: Organization) -> int:
    entry = Entry("user:1", "secret.thing", "batch", 1, {"note": A_MARKER})
    return audit_record(organization_id=o.pk, entry=entry).pk


def a_solidarity_group(o: Organization) -> int:
    members = [a_beneficiary(o).pk for _ in range(3)]
    return group_create(
        organization=o,
        name=f"Grupo {A_MARKER} {members[0]}",
        member_ids=members,
        coordinator_id=members[0],
        actor="test",
    ).pk


#: URL parameter name -> how to make an object of that kind in an organization (its id).
#: A new page with a new kind of id registers its factory here.
def a_recovery(o: Organization) -> int:
    from django.utils import timezone

    from sozu.wallet.models import RecoveryRequest

    b = a_beneficiary(o)
    return RecoveryRequest.objects.create(
        account=b.stellar_address,
        new_device_key=b.stellar_address,
        recovery_code_key=b.stellar_address,
        organization=o,
        beneficiary=b,
        status=RecoveryRequest.Status.PENDING_STAFF,
        otp_hash="-",
        otp_expires_at=timezone.now(),
    ).pk


ID_FACTORIES: dict[str, Callable[[Organization], int]] = {
    "batch_id": a_batch,
    "payout_id": lambda o: PayoutFactory.create(organization=o, amount=Decimal("3")).pk,
    "beneficiary_id": lambda o: a_beneficiary(o).pk,
    "attachment_id": an_attachment,
    "membership_id": lambda o: staff(o, "viewer").pk,
    "member_id": lambda o: staff(o, "viewer").pk,
    "key_id": lambda o: apikey_create(organization=o, name="otra", actor="test")[0].pk,
    "apikey_id": lambda o: apikey_create(organization=o, name="otra", actor="test")[0].pk,
    "endpoint_id": a_webhook_endpoint,
    "webhook_id": a_webhook_endpoint,
    "event_id": an_audit_event,
    "product_id": lambda o: LoanProductFactory.create(organization=o).pk,
    "review_id": a_payment_review,
    "loan_id": lambda o: draft_loan(product=LoanProductFactory.create(organization=o)).pk,
    "invitation_id": lambda o: (
        invitation_create(beneficiary=a_beneficiary(o), actor="test").invitation.pk
    ),
    "recovery_id": lambda o: a_recovery(o),
    # borrowers (E)
    "group_id": a_solidarity_group,
}


def an_active_loan(o: Organization) -> Loan:
    """A loan paid out to a new beneficiary of the organization (what her wallet shows)."""
    loan = draft_loan(product=LoanProductFactory.create(organization=o))
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.DISBURSING)
    return loan_mark_disbursed(loan=loan, paid_at=timezone.now(), actor="test")


#: The wallet's URL parameters -> an object of that kind in an organization, and whose it is.
WALLET_ID_FACTORIES: dict[str, Callable[[Organization], Loan]] = {"loan_id": an_active_loan}


def wallet_client(loan: Loan) -> Client:
    token = wallet_token_issue(beneficiary=loan.beneficiary, actor="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


#: Patterns that are not about one organization's data, so not checked (route prefix -> why).
NOT_ORG_SCOPED: dict[str, str] = {
    "cuenta/": "allauth: the person's own account (sign-in, 2FA, password reset by email key)",
    "static/": "static files (whitenoise; public by nature)",
    "localnet/": "the embedded local network's own pages (no organization)",
    "metrics": "Prometheus metrics of the process (no organization's rows)",
    "api/v1/openapi.json": "the API's public contract",
    "api/v1/.*": "the API's catch-all problem+json 404",
    "wallet/api/": "the recipient's wallet: SEP-10 per account, no organization's session",
    "wallet/jsi18n/": "the wallet's message catalog for a language (public, no data)",
    "creditos/recordatorios/respuesta/": (
        "Twilio's webhook for borrowers' answers (BAJA): no session, proven by Twilio's "
        "signature; the organization is in the URL"
    ),
}
if settings.SOZU_ADMIN_PATH:
    NOT_ORG_SCOPED[settings.SOZU_ADMIN_PATH] = "Django admin: superusers, every organization"


# --- discovering the patterns ----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # "lotes/<int:batch_id>/"
    name: str
    callback: Any

    @property
    def params(self) -> list[str]:
        # Route syntax <int:batch_id> and regex groups (?P<name>…), each name once.
        return list(dict.fromkeys(re.findall(r"<(?:\w+:)?(\w+)>", self.route)))

    @property
    def is_api(self) -> bool:
        return self.route.lstrip("^").startswith(API_PREFIX)

    @property
    def is_wallet(self) -> bool:
        return self.route.lstrip("^").startswith(WALLET_PREFIX)

    def url(self, ids: dict[str, int]) -> str:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), self.route)
        return "/" + path.lstrip("^").rstrip("$")


def routes(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, (namespace, p.namespace)))
            yield from routes(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = ":".join(filter(None, (namespace, p.name or "")))
            yield Route(prefix + str(p.pattern), name, p.callback)


def not_org_scoped(route: Route) -> bool:
    bare = route.route.lstrip("^").rstrip("$")
    return any(bare.startswith(prefix) for prefix in NOT_ORG_SCOPED)


# --- who asks ---------------------------------------------------------------------------------


def signed_in(email: str) -> Client:
    """The real sign-in, password then the authenticator code: the second factor is fresh."""
    client = Client()
    r = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert r["Location"] == reverse("mfa_authenticate")
    r = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    assert r.status_code == 302 and r["Location"] == reverse("web:home"), r.content[:300]
    return client


@dataclass
class World:
    a: Organization
    b: Organization
    members: dict[str, Client]  # B's members by role
    api: Client  # B's API key
    wallet: Client  # the wallet of a beneficiary of B with a loan


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # attachments' files
    settings.USDC_ISSUER = Keypair.random().public_key  # payment requests name the asset
    a = org(name=f"Asociación {A_MARKER}")
    b = org(name="Asociación Beta")
    staff(a, "owner")
    members = {}
    for role in ROLES:
        m = staff(b, role, totp_secret=TOTP_SECRET)
        members[role] = signed_in(m.user.email)
    _, token = apikey_create(organization=b, name="b", actor="test")
    wallet = wallet_client(an_active_loan(b))
    return World(a, b, members, Client(HTTP_AUTHORIZATION=f"Bearer {token}"), wallet)


def body_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def ask(client: Client, method: str, url: str) -> int:
    return client.generic(method, url).status_code


# --- the test ----------------------------------------------------------------------------------


def test_another_organizations_ids_answer_404_on_every_url(world: World) -> None:
    found = [r for r in routes() if not not_org_scoped(r)]
    with_ids = [r for r in found if r.params]
    unknown = sorted({p for r in with_ids for p in r.params if p not in ID_FACTORIES})
    assert not unknown, (
        f"URL parameters without a factory: {unknown}; register one in ID_FACTORIES "
        "(or, if the page is not about an organization's data, in NOT_ORG_SCOPED)"
    )
    assert sum(r.is_api for r in with_ids) >= 12  # the API's own; pages join as they are added

    problems: list[str] = []
    for route in with_ids:
        if route.is_wallet:
            problems += wallet_refuses(route, world)
            continue
        theirs = route.url({p: ID_FACTORIES[p](world.a) for p in route.params})
        mine = route.url({p: ID_FACTORIES[p](world.b) for p in route.params})
        if route.is_api:
            problems += api_refuses(route, theirs, mine, world)
        else:
            problems += pages_refuse(route, theirs, mine, world)
    assert not problems, "\n".join(problems)


def api_refuses(route: Route, theirs: str, mine: str, world: World) -> list[str]:
    problems = []
    accepted = set(allowed_methods(route.callback))
    for method in sorted(accepted | {"GET", "POST"}):
        status = ask(world.api, method, theirs)
        expected = 404 if method in accepted else 405
        if status != expected:
            problems.append(f"API {method} {theirs} ({route.name}): {status}, not {expected}")
    if not any(ask(world.api, m, mine) != 404 for m in sorted(accepted)):
        problems.append(f"API {mine} ({route.name}): 404 for B's own object too (bad factory?)")
    return problems


def wallet_refuses(route: Route, world: World) -> list[str]:
    """A beneficiary of B asks for A's objects and for another B beneficiary's: 404 both;
    her own are found (the factory and the URL are right)."""
    problems = []
    hers = {p: WALLET_ID_FACTORIES[p](world.b) for p in route.params}
    client = wallet_client(next(iter(hers.values())))
    mine = route.url({p: o.pk for p, o in hers.items()})
    others = (
        route.url({p: WALLET_ID_FACTORIES[p](world.a).pk for p in route.params}),
        route.url({p: WALLET_ID_FACTORIES[p](world.b).pk for p in route.params}),
    )
    accepted = set(allowed_methods(route.callback))
    for theirs in others:
        for method in sorted(accepted | {"GET", "POST"}):
            status = ask(client, method, theirs)
            expected = 404 if method in accepted else 405
            if status != expected:
                problems.append(
                    f"wallet {method} {theirs} ({route.name}): {status}, not {expected}"
                )
    if not any(ask(client, m, mine) == 200 for m in sorted(accepted)):
        problems.append(f"wallet {mine} ({route.name}): not found for her own object")
    return problems


def pages_refuse(route: Route, theirs: str, mine: str, world: World) -> list[str]:
    problems = []
    for method in ("GET", "POST"):
        answers = {role: ask(client, method, theirs) for role, client in world.members.items()}
        statuses = set(answers.values())
        if not statuses <= {403, 404, 405}:
            problems.append(f"{method} {theirs} ({route.name}): {answers}")
        elif 404 not in statuses:
            # The method is not accepted (a POST-only action asked with GET): fine only if
            # the answer does not depend on whose object it is.
            refusing = [role for role, status in answers.items() if status == 405]
            if not refusing:
                problems.append(f"{method} {theirs} ({route.name}): no role got 404: {answers}")
            elif ask(world.members[refusing[0]], method, mine) != 405:
                problems.append(f"{method} {theirs} ({route.name}): 405 only for A's object")
    own = [ask(client, method, mine) for method in ("GET",) for client in world.members.values()]
    if all(s in (404, 405) for s in own):
        own += [ask(client, "POST", mine) for client in world.members.values()]
    if all(s == 404 for s in own if s != 405):
        problems.append(f"{mine} ({route.name}): 404 for B's own object too (bad factory?)")
    return problems


def test_pages_and_lists_without_ids_show_only_the_own_organizations_data(world: World) -> None:
    # One object of every kind in A, named with the marker where it has a name.
    for make in ID_FACTORIES.values():
        make(world.a)
    without_ids = [r for r in routes() if not r.params and not not_org_scoped(r)]
    assert len(without_ids) >= 5
    leaks = []
    for route in without_ids:
        url = route.url({})
        if route.is_wallet:
            clients = [world.wallet]
        else:
            clients = [world.api] if route.is_api else list(world.members.values())
        for client in clients:
            r = client.get(url)
            if r.status_code == 200 and (
                A_MARKER in body_of(r) or world.a.wallet_public_key in body_of(r)
            ):
                leaks.append(f"{url} ({route.name}) shows organization A's data")
    assert not leaks, "\n".join(sorted(set(leaks)))
