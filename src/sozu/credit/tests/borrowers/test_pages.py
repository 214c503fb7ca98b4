"""The borrowers' pages (Django test client): reminders outbox, groups, ranking, renewal."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from tests.factories import BeneficiaryFactory

from sozu.credit.models import Loan
from sozu.credit.models_borrowers import ReminderOptOut, ReminderPolicy, SolidarityGroup
from sozu.credit.services.groups import group_create
from sozu.credit.services.reminders import reminder_opt_out, reminders_enqueue
from sozu.credit.tests.borrowers.helpers import active_loan, at, cuotas, pay_all
from sozu.credit.tests.factories import LoanProductFactory
from sozu.web.tests.helpers import org, staff

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(TODAY, 12), tick=False):
        yield


@pytest.fixture
def organization():
    return org()


def client_for(organization, role: str) -> Client:
    membership = staff(organization, role)
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    client.force_login(membership.user)
    return client


def test_the_pages_need_a_member_and_show_the_tabs(organization) -> None:
    for url in ("/creditos/recordatorios/", "/creditos/grupos/", "/creditos/ranking/"):
        assert Client().get(url).status_code == 302
        page = client_for(organization, "viewer").get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert 'aria-current="page"' in html and 'class="subnav"' in html


def test_the_outbox_lists_and_filters_reminders(organization) -> None:
    product = LoanProductFactory.create(organization=organization)
    ana = active_loan(
        product=product,
        beneficiary=BeneficiaryFactory.create(organization=organization, full_name="Ana Gómez"),
    )
    bea = active_loan(
        product=product,
        beneficiary=BeneficiaryFactory.create(organization=organization, full_name="Beatriz Ruiz"),
    )
    due = cuotas(ana)[0].due_date
    reminders_enqueue(now=at(due - dt.timedelta(days=3)))
    reminder_opt_out(beneficiary=bea.beneficiary, actor="user:1")
    reminders_enqueue(now=at(due + dt.timedelta(days=1)))
    client = client_for(organization, "viewer")
    html = client.get("/creditos/recordatorios/").content.decode()
    assert "Ana Gómez" in html and "Beatriz Ruiz" in html and "vence en 3 días" in html
    only_late = client.get("/creditos/recordatorios/", {"kind": "overdue"}).content.decode()
    assert "Ana Gómez" in only_late and "Beatriz Ruiz" not in only_late
    by_name = client.get("/creditos/recordatorios/", {"q": "beatriz"}).content.decode()
    assert "Beatriz Ruiz" in by_name and "Ana Gómez" not in by_name
    partial = client.get("/creditos/recordatorios/", {"status": "queued"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Ana Gómez" in partial.content.decode()
    bad = client.get("/creditos/recordatorios/", {"since": "ayer"})
    assert bad.status_code == 400
    # The viewer sees the policy but cannot change it.
    assert client.post("/creditos/recordatorios/politica/", {"before_days": "1"}).status_code == 403


def test_the_policy_form_saves_or_explains(organization) -> None:
    client = client_for(organization, "operator")
    ok = client.post(
        "/creditos/recordatorios/politica/",
        {"before_days": "5, 1", "overdue_days": "2", "enabled": "on"},
        follow=True,
    )
    assert "Política de avisos guardada." in ok.content.decode()
    policy = ReminderPolicy.objects.get(organization=organization)
    assert (policy.before_days, policy.overdue_days, policy.enabled) == ("5,1", "2", True)
    bad = client.post(
        "/creditos/recordatorios/politica/",
        {"before_days": "mañana", "overdue_days": ""},
        follow=True,
    )
    assert "Los días de aviso deben ser números enteros" in bad.content.decode()
    assert ReminderPolicy.objects.get(organization=organization).before_days == "5,1"


def test_a_group_is_created_from_the_page_and_its_loans_granted(organization) -> None:
    product = LoanProductFactory.create(organization=organization, name="Grupal")
    people = [BeneficiaryFactory.create(organization=organization) for _ in range(3)]
    client = client_for(organization, "operator")
    page = client.get("/creditos/grupos/").content.decode()
    assert all(p.full_name in page for p in people)
    too_few = client.post(
        "/creditos/grupos/nuevo/",
        {"name": "Flores", "members": [people[0].pk, people[1].pk], "coordinator": people[0].pk},
    )
    assert too_few.status_code == 400
    assert "Un grupo solidario tiene entre 3 y 10 integrantes, no 2." in too_few.content.decode()
    assert SolidarityGroup.objects.count() == 0
    created = client.post(
        "/creditos/grupos/nuevo/",
        {"name": "Flores", "members": [p.pk for p in people], "coordinator": people[1].pk},
    )
    group = SolidarityGroup.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/creditos/grupos/{group.pk}/"
    detail = client.get(f"/creditos/grupos/{group.pk}/").content.decode()
    assert "Flores" in detail and people[1].full_name in detail and "Otorgar el ciclo 1" in detail

    form = {"product": product.pk, "cuotas": 4} | {f"amount_{p.pk}": "300" for p in people}
    too_much = client.post(
        f"/creditos/grupos/{group.pk}/otorgar/", form | {f"amount_{people[2].pk}": "99999"}
    )
    assert too_much.status_code == 400 and Loan.objects.count() == 0
    granted = client.post(f"/creditos/grupos/{group.pk}/otorgar/", form, follow=True)
    assert "3 préstamos preparados para el ciclo 1" in granted.content.decode()
    assert Loan.objects.filter(status="draft", group_link__cycle=1).count() == 3
    # A viewer cannot create or grant.
    viewer = client_for(organization, "viewer")
    assert viewer.post("/creditos/grupos/nuevo/", {"name": "X"}).status_code == 403
    assert viewer.post(f"/creditos/grupos/{group.pk}/otorgar/", form).status_code == 403


def test_another_organization_s_group_is_not_found(organization) -> None:
    other = org()
    members = [BeneficiaryFactory.create(organization=other) for _ in range(3)]
    group = group_create(
        organization=other,
        name="Ajeno",
        member_ids=[m.pk for m in members],
        coordinator_id=members[0].pk,
        actor="user:9",
    )
    client = client_for(organization, "operator")
    assert client.get(f"/creditos/grupos/{group.pk}/").status_code == 404
    assert client.post(f"/creditos/grupos/{group.pk}/otorgar/", {}).status_code == 404
    assert "Ajeno" not in client.get("/creditos/grupos/").content.decode()


def test_the_ranking_shows_reasons_and_renewals(organization) -> None:
    product = LoanProductFactory.create(organization=organization)
    good = active_loan(
        product=product,
        amount="1000",
        beneficiary=BeneficiaryFactory.create(organization=organization, full_name="Carla Puntual"),
    )
    pay_all(good)
    late = active_loan(
        product=product,
        beneficiary=BeneficiaryFactory.create(organization=organization, full_name="Dora Demora"),
    )
    pay_all(late, days_late=12)
    client = client_for(organization, "viewer")
    html = client.get("/creditos/ranking/").content.decode()
    assert html.index("Carla Puntual") < html.index("Dora Demora")
    assert "2 de 2 cuotas pagadas se pagaron a tiempo." in html
    assert "1.200,00 USDC" in html
    renewals = client.get("/creditos/ranking/", {"renewal": "1"}).content.decode()
    assert "Carla Puntual" in renewals and "Dora Demora" not in renewals
    mine = client.get(f"/creditos/ranking/{late.beneficiary_id}/").content.decode()
    assert "Historial de ciclos" in mine and late.reference in mine
    assert "tuvo 12 días de atraso; el producto permite 7" in mine
    stranger = BeneficiaryFactory.create()
    assert client.get(f"/creditos/ranking/{stranger.pk}/").status_code == 404


def test_staff_stop_and_resume_her_reminders(organization) -> None:
    loan = active_loan(product=LoanProductFactory.create(organization=organization))
    url = f"/creditos/recordatorios/baja/{loan.beneficiary_id}/"
    viewer = client_for(organization, "viewer")
    assert viewer.post(url).status_code == 403
    operator = client_for(organization, "operator")
    page = operator.post(url, {"reason": "lo pidió por teléfono"}, follow=True).content.decode()
    assert "no recibirá más avisos" in page and "Pidió no recibir avisos" in page
    opt_out = ReminderOptOut.objects.get(beneficiary=loan.beneficiary)
    assert opt_out.reason == "lo pidió por teléfono"
    assert reminders_enqueue(now=at(cuotas(loan)[0].due_date)).opted_out == 1
    again = operator.post(url, {"resume": "1"}, follow=True).content.decode()
    assert "volverá a recibir avisos" in again and "Recibe avisos de pago." in again
    assert not ReminderOptOut.objects.filter(beneficiary=loan.beneficiary).exists()
    stranger = BeneficiaryFactory.create()
    assert operator.post(f"/creditos/recordatorios/baja/{stranger.pk}/").status_code == 404


def test_policies_per_product_and_renewal_rules_from_the_pages(organization) -> None:
    product = LoanProductFactory.create(organization=organization, name="Semilla")
    operator = client_for(organization, "operator")
    saved = operator.post(
        "/creditos/recordatorios/politica/",
        {"product": product.pk, "before_days": "2", "overdue_days": "", "enabled": "on"},
        follow=True,
    ).content.decode()
    assert "Semilla: días antes del vencimiento 2; días de atraso —." in saved
    policy = ReminderPolicy.objects.get(product=product)
    assert (policy.before_days, policy.overdue_days) == ("2", "")

    page = operator.get("/creditos/ranking/").content.decode()
    assert "Semilla: como máximo 7 días de atraso, +20 %." in page
    done = operator.post(
        "/creditos/ranking/renovacion/",
        {"product": product.pk, "max_days_late": "3", "increase": "12.5"},
        follow=True,
    ).content.decode()
    assert "Regla de renovación de Semilla guardada." in done
    assert "Semilla: como máximo 3 días de atraso, +12,5 %." in done
    bad = operator.post(
        "/creditos/ranking/renovacion/",
        {"product": product.pk, "max_days_late": "3", "increase": "150"},
        follow=True,
    ).content.decode()
    assert "Revise la regla de renovación" in bad
    viewer = client_for(organization, "viewer")
    assert viewer.post("/creditos/ranking/renovacion/", {}).status_code == 403
    other = LoanProductFactory.create()
    refused = operator.post(
        "/creditos/ranking/renovacion/",
        {"product": other.pk, "max_days_late": "3", "increase": "10"},
        follow=True,
    )
    assert (
        refused.status_code == 200
        and not other.__class__.objects.filter(renewal_rule__isnull=False, pk=other.pk).exists()
    )


def test_an_operator_closes_a_group_from_its_page(organization) -> None:
    members = [BeneficiaryFactory.create(organization=organization) for _ in range(3)]
    group = group_create(
        organization=organization,
        name="Cierre",
        member_ids=[m.pk for m in members],
        coordinator_id=members[0].pk,
        actor="user:1",
    )
    url = f"/creditos/grupos/{group.pk}/cerrar/"
    assert client_for(organization, "viewer").post(url).status_code == 403
    page = client_for(organization, "operator").post(url, {"reason": "fin"}, follow=True)
    html = page.content.decode()
    assert "quedó cerrado" in html and members[1].full_name in html
    assert "Otorgar el ciclo" not in html and "Cerrar el grupo" not in html
    group.refresh_from_db()
    assert not group.active
