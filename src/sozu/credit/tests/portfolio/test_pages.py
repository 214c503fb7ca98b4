"""The arrears list, the follow-up log, the arrears report and the indicators (page and API)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from sozu.audit.models import AuditEvent
from sozu.credit.models import GroupLoan, Loan, LoanFollowUp, LoanState, Repayment, SolidarityGroup
from sozu.credit.services import loan_write_off, repayment_reverse
from sozu.credit.services.portfolio import loan_states_refresh
from sozu.credit.tests.factories import LoanProductFactory
from sozu.orgs.services import apikey_create
from sozu.web.tests.helpers import org, staff

from .helpers import active_loan, at, pay

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 6, 10)


@pytest.fixture
def book() -> dict[str, Any]:
    """Three monthly loans paid out on START: one pays every cuota, one stopped after the
    first, one never paid (so 1-30, 91+ buckets), and one written off."""
    organization = org()
    micro = LoanProductFactory.create(organization=organization, name="Micro")
    taller = LoanProductFactory.create(organization=organization, name="Taller")
    good = active_loan(product=micro, paid_on=START, amount="600", cuotas=6)
    stopped = active_loan(product=micro, paid_on=START, amount="1200", cuotas=6)
    never = active_loan(
        product=taller, paid_on=START, amount="900", cuotas=6, actor="user:9:ana@ong.org"
    )
    gone = active_loan(product=taller, paid_on=START, amount="300", cuotas=3)
    for cuota in good.schedule.order_by("number"):
        if cuota.due_date <= TODAY:
            pay(good, cuota.total, cuota.due_date, f"G-{cuota.number}")
    first = stopped.schedule.order_by("number")[0]
    pay(stopped, first.total, first.due_date, "S-1")
    with at(START + dt.timedelta(days=120)):
        loan_write_off(loan=gone, actor="user:2", reason="se mudó")
    loan_states_refresh(as_of=TODAY)
    for loan in (good, stopped, never):
        loan.beneficiary.full_name = f"Persona {loan.pk}"
        loan.beneficiary.save()
    return {"org": organization, "good": good, "stopped": stopped, "never": never, "gone": gone}


def client_for(organization: Any, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    client.force_login(staff(organization, role).user)
    return client


def test_the_arrears_list_shows_late_loans_with_contact_and_bucket(book) -> None:
    with at(TODAY):
        page = client_for(book["org"], "viewer").get("/creditos/mora/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Persona {book['stopped'].pk}" in html and f"Persona {book['never'].pk}" in html
    assert f"Persona {book['good'].pk}" not in html
    assert "+5491112345678" in html and "Salta" in html
    never_due = book["never"].schedule.order_by("number")[0].due_date
    assert str((TODAY - never_due).days) in html
    assert "90+" in html
    with at(TODAY):
        only_micro = client_for(book["org"], "viewer").get(
            "/creditos/mora/", {"product": book["stopped"].product_id}
        )
    assert f"Persona {book['never'].pk}" not in only_micro.content.decode()
    with at(TODAY):
        by_officer = client_for(book["org"], "viewer").get(
            "/creditos/mora/", {"officer": "user:9:ana@ong.org"}
        )
    assert f"Persona {book['stopped'].pk}" not in by_officer.content.decode()
    assert f"Persona {book['never'].pk}" in by_officer.content.decode()


def test_the_report_as_csv_xlsx_and_pdf(book) -> None:
    client = client_for(book["org"], "viewer")
    with at(TODAY):
        response = client.get("/creditos/mora/reporte.csv")
        text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {int(r["prestamo"]) for r in rows} == {book["stopped"].pk, book["never"].pk}
    state = LoanState.objects.get(loan=book["never"])
    never = next(r for r in rows if int(r["prestamo"]) == book["never"].pk)
    assert Decimal(never["vencido"]) == state.overdue.quantize(Decimal("0.01"))
    assert never["tramo"] == "90+" and never["oficial"] == "ana@ong.org"
    with at(TODAY):
        xlsx = client.get("/creditos/mora/reporte.xlsx")
        sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "prestamo" and len(values) == 3
    by_loan = {row[0]: row for row in values[1:]}
    never_row = by_loan[book["never"].pk]
    assert never_row[1] == f"Persona {book['never'].pk}" and never_row[15] == "90+"
    assert Decimal(str(never_row[11])) == state.overdue.quantize(Decimal("0.01"))
    due = never_row[13]
    assert isinstance(due, dt.datetime) and due.date() == state.oldest_unpaid_due
    with at(TODAY):
        pdf = client.get("/creditos/mora/reporte.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_promise_to_pay_is_logged_and_shows_broken_when_not_paid(book) -> None:
    loan: Loan = book["stopped"]
    url = f"/creditos/mora/{loan.pk}/seguimiento/"
    operator = client_for(book["org"], "operator")
    with at(TODAY):
        bad = operator.post(url, {"kind": "promise", "note": "", "promised_amount": "50"})
    assert bad.status_code == 400
    assert "Una promesa de pago necesita la fecha prometida." in bad.content.decode()
    assert not LoanFollowUp.objects.exists()
    with at(TODAY):
        ok = operator.post(
            url,
            {
                "kind": "promise",
                "note": "Paga el viernes",
                "promised_on": "2026-06-12",
                "promised_amount": "100",
            },
        )
    assert ok.status_code == 302
    assert AuditEvent.objects.filter(action="loan.follow_up", object_id=str(loan.pk)).exists()
    with at(TODAY):
        pending = client_for(book["org"], "viewer").get("/creditos/mora/")
    assert "Prometido para el 12/06" in pending.content.decode()
    with at(dt.date(2026, 6, 15)):
        broken = client_for(book["org"], "viewer").get("/creditos/mora/")
    assert "Promesa incumplida" in broken.content.decode()
    # A viewer reads the log but cannot add to it.
    viewer = client_for(book["org"], "viewer")
    with at(TODAY):
        assert viewer.post(url, {"kind": "call", "note": "x"}).status_code == 403
        assert "Paga el viernes" in viewer.get(url).content.decode()


def test_indicators_page_and_api(book) -> None:
    period = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
    with at(TODAY):
        page = client_for(book["org"], "viewer").get("/creditos/indicadores/", period)
    assert page.status_code == 200
    html = page.content.decode()
    assert "PAR 30" in html and "Micro" in html and "Taller" in html
    states = {s.loan_id: s for s in LoanState.objects.all()}
    gross = sum(states[book[k].pk].outstanding_capital for k in ("good", "stopped", "never"))
    at_risk = sum(states[book[k].pk].outstanding_capital for k in ("stopped", "never"))
    _key, token = apikey_create(organization=book["org"], name="bi", actor="test")
    with at(TODAY):
        api = Client().get(
            "/api/v1/credit/indicators",
            {"from": "2026-01-01", "to": "2026-06-30"},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert api.status_code == 200, api.content
    body = api.json()
    total = body["total"]
    assert Decimal(total["gross_portfolio"]) == gross
    assert total["active_loans"] == 3 and total["active_borrowers"] == 3
    assert Decimal(total["par"]["1"]) == (at_risk * 100 / gross).quantize(Decimal("0.01"))
    assert Decimal(total["disbursed"]) == Decimal("3000")
    assert total["written_off_count"] == 1
    assert Decimal(total["written_off"]) == states[book["gone"].pk].outstanding_capital
    assert {p["product"] for p in body["by_product"]} == {"Micro", "Taller"}
    with at(TODAY):
        wrong = client_for(book["org"], "viewer").get(
            "/creditos/indicadores/", {"date_from": "2026-07-01", "date_to": "2026-01-01"}
        )
        assert wrong.status_code == 400
        refused = Client().get(
            "/api/v1/credit/indicators",
            {"from": "2026-07-01", "to": "2026-01-01"},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert refused.status_code == 400 and refused.json()["code"] == "portfolio_period_invalid"
    assert Client().get("/api/v1/credit/indicators").status_code == 401


def test_indicators_and_the_report_by_solidarity_group(book) -> None:
    organization = book["org"]
    rosas = SolidarityGroup.objects.create(
        organization=organization,
        name="Las Rosas",
        coordinator=book["stopped"].beneficiary,
        created_by="user:1",
    )
    pinos = SolidarityGroup.objects.create(
        organization=organization,
        name="Los Pinos",
        coordinator=book["good"].beneficiary,
        created_by="user:1",
    )
    for group, key in ((rosas, "stopped"), (rosas, "never"), (pinos, "good"), (pinos, "gone")):
        GroupLoan.objects.create(group=group, loan=book[key], cycle=1)
    paid_by_good = sum(r.amount for r in Repayment.objects.filter(loan=book["good"]))
    mistake = pay(book["good"], "10", TODAY - dt.timedelta(days=3), "G-X")
    with at(TODAY):  # entered by mistake and reversed: not collected
        repayment_reverse(repayment=mistake, actor="user:2", reason="duplicado")
    states = {s.loan_id: s for s in LoanState.objects.all()}
    stopped, never, good = (states[book[k].pk] for k in ("stopped", "never", "good"))
    _key, token = apikey_create(organization=organization, name="bi", actor="test")

    with at(TODAY):
        api = Client().get(
            "/api/v1/credit/indicators",
            {"from": "2026-01-01", "to": "2026-06-30"},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        page = client_for(organization, "viewer").get(
            "/creditos/indicadores/", {"date_from": "2026-01-01", "date_to": "2026-06-30"}
        )
        report = client_for(organization, "viewer").get("/creditos/mora/reporte.csv")
        text = b"".join(report.streaming_content).decode()  # type: ignore[attr-defined]

    by_group = {g["group"]: g for g in api.json()["by_group"]}
    assert list(by_group) == ["Las Rosas", "Los Pinos"]
    r, p = by_group["Las Rosas"], by_group["Los Pinos"]
    gross = stopped.outstanding_capital + never.outstanding_capital
    assert Decimal(r["gross_portfolio"]) == gross
    assert (r["active_loans"], r["active_borrowers"]) == (2, 2)
    assert Decimal(r["par"]["30"]) == Decimal("100.00")  # both more than 30 days late
    assert Decimal(r["disbursed"]) == Decimal("2100") and r["disbursed_count"] == 2
    assert (r["written_off"], r["written_off_count"]) == ("0", 0)
    assert Decimal(p["gross_portfolio"]) == good.outstanding_capital
    assert (p["active_loans"], p["par"]["1"]) == (1, "0.00")
    assert Decimal(p["disbursed"]) == Decimal("900")  # 600 + the 300 written off
    assert Decimal(p["collected"]) == paid_by_good
    assert Decimal(p["written_off"]) == states[book["gone"].pk].outstanding_capital
    assert p["written_off_count"] == 1
    html = page.content.decode()
    assert "Por grupo solidario" in html and "Las Rosas" in html and "Los Pinos" in html
    rows = {int(x["prestamo"]): x for x in csv.DictReader(io.StringIO(text))}
    assert (rows[book["never"].pk]["grupo"], rows[book["stopped"].pk]["grupo"]) == (
        "Las Rosas",
        "Las Rosas",
    )


def test_without_groups_the_page_says_so(book) -> None:
    with at(TODAY):
        page = client_for(book["org"], "viewer").get("/creditos/indicadores/")
    html = page.content.decode()
    assert "Ningún préstamo se otorgó a un grupo solidario." in html
