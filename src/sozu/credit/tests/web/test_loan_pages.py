"""The loan pages through the real sign-in: list, products, preparing, one loan and its forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.credit.models import Loan, LoanProduct, Repayment
from sozu.credit.services import repayment_record
from sozu.credit.tests.factories import LoanProductFactory, draft_loan
from sozu.credit.tests.web.helpers import BA, active_loan
from sozu.disbursements.tests.web.helpers import signed_in, text
from sozu.web.tests.helpers import org as make_org

pytestmark = pytest.mark.django_db
L = Loan.Status
#: The pages are looked at on this day (Buenos Aires), 2 cuotas after the loans were paid out.
TODAY = dt.datetime(2026, 5, 20, 10, tzinfo=BA)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=True):
        yield


def test_the_list_filters_searches_and_reads_a_constant_number_of_queries() -> None:
    o = make_org()
    client, _ = signed_in(o, "viewer")
    weekly = LoanProductFactory.create(organization=o, name="Semanal", frequency="weekly")
    ana = active_loan(o, name="Ana Quispe", national_id="30111222")
    active_loan(o, name="Berta Mamani", national_id="28999888", product=weekly)
    draft_loan(product=LoanProductFactory.create(organization=o, name="Otro"))
    url = reverse("credit:loans")

    page = text(client.get(url))
    assert "Ana Quispe" in page and "Berta Mamani" in page
    # Ana paid nothing: two monthly cuotas are overdue (2 Apr moved? no: 2 Apr 2026 is a
    # Thursday holiday, so 6 Apr; and 4 May), the oldest 44 days late.
    assert f'data-loan="{ana.pk}"' in page
    assert "Semanal" in page

    page = text(client.get(url, {"q": "3011"}))
    assert "Ana Quispe" in page and "Berta Mamani" not in page
    page = text(client.get(url, {"q": "berta"}))
    assert "Berta Mamani" in page and "Ana Quispe" not in page
    page = text(client.get(url, {"product": weekly.pk}))
    assert "Berta Mamani" in page and "Ana Quispe" not in page
    page = text(client.get(url, {"status": "draft"}))
    assert "Ana Quispe" not in page and "Otro" in page
    page = text(client.get(url, {"status": "nonsense"}))
    assert "Ana Quispe" in page

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(6):
        loan = active_loan(o, name=f"Persona {i}", national_id=f"4100000{i}")
        first = loan.schedule.order_by("number").first()
        assert first is not None
        repayment_record(
            loan=loan,
            amount=first.total,
            received_on=first.due_date,
            method="cash",
            reference=f"R-{i}",
            actor="user:3",
        )
    assert queries() == few


def test_the_list_shows_next_due_overdue_and_days_past_due() -> None:
    o = make_org()
    client, _ = signed_in(o, "viewer")
    loan = active_loan(o)
    cuotas = list(loan.schedule.order_by("number"))
    page = text(client.get(reverse("credit:loans")))
    row = page.split(f'data-loan="{loan.pk}"')[1].split("</tr>")[0]
    assert cuotas[0].due_date.strftime("%d/%m/%Y") in row  # the oldest unpaid cuota
    days = (dt.date(2026, 5, 20) - cuotas[0].due_date).days
    assert f">{days}</td>" in row


def test_an_owner_creates_a_product_and_stops_offering_it() -> None:
    o = make_org()
    owner, _ = signed_in(o, "owner")
    url = reverse("credit:products")
    data = {
        "name": "Microcrédito semanal",
        "currency": "USDC",
        "min_amount": "100",
        "max_amount": "50",
        "min_cuotas": "4",
        "max_cuotas": "24",
        "frequency": "weekly",
        "system": "flat",
        "tna": "80",
        "iva": "21",
        "origination_fee": "0",
        "insurance": "0",
        "late_tna": "90",
        "grace_days": "2",
        "prepayment": "reduce_cuota",
    }
    r = owner.post(url, data)
    assert r.status_code == 400
    assert "Revisá este valor." in text(r)
    assert not LoanProduct.objects.exists()

    r = owner.post(url, {**data, "max_amount": "1.500"})
    assert r.status_code == 302
    product = LoanProduct.objects.get()
    assert (product.max_amount, product.prepayment) == (Decimal("1500"), "reduce_cuota")
    page = text(owner.get(url))
    assert "Microcrédito semanal" in page and "Reduce la cuota" in page

    operator, _ = signed_in(o, "operator")
    assert operator.post(url, {**data, "name": "Otro"}).status_code == 403
    deactivate = reverse("credit:product_deactivate", args=[product.pk])
    assert operator.post(deactivate).status_code == 403
    assert owner.post(deactivate).status_code == 302
    product.refresh_from_db()
    assert not product.active


def test_an_operator_previews_and_prepares_a_loan_from_her_page() -> None:
    o = make_org()
    operator, member = signed_in(o, "operator")
    product = LoanProductFactory.create(organization=o, name="Mensual")
    ana = BeneficiaryFactory.create(organization=o, full_name="Ana Quispe")
    her_page = text(operator.get(reverse("beneficiaries:detail", args=[ana.pk])))
    link = f"{reverse('credit:loan_new')}?beneficiary={ana.pk}"
    assert link in her_page.replace("&amp;", "&")

    form = text(operator.get(link))
    assert f'<option value="{ana.pk}" selected>' in form
    data = {
        "beneficiary": ana.pk,
        "product": product.pk,
        "amount": "5000",
        "cuotas": "6",
        "first_due": "2026-06-15",
        "action": "preview",
    }
    r = operator.post(reverse("credit:loan_new"), data)
    assert r.status_code == 400  # 5000 is above the product's 2000
    assert "Este producto presta entre 50 y 2000" in text(r), text(r)[-4000:]

    r = operator.post(reverse("credit:loan_new"), {**data, "amount": "1.000"})
    page = text(r)
    assert r.status_code == 200 and "Cronograma (vista previa)" in page
    assert page.count('<td class="num">6</td>') == 1  # six rows
    assert not Loan.objects.exists()

    r = operator.post(reverse("credit:loan_new"), {**data, "amount": "1000", "action": "submit"})
    loan = Loan.objects.get()
    assert r["Location"] == reverse("credit:loan_detail", args=[loan.pk])
    assert (loan.status, loan.first_due, loan.amount) == (
        L.PENDING_APPROVAL,
        dt.date(2026, 6, 15),
        Decimal("1000"),
    )
    assert loan.prepared_by.startswith(f"user:{member.user.pk}:")
    page = text(operator.get(r["Location"]))
    assert "Aprobar y desembolsar" not in page  # an operator cannot approve


def test_approving_asks_for_a_fresh_second_factor_and_never_the_preparer() -> None:
    o = make_org()
    approver, member = signed_in(o, "approver")
    loan = draft_loan(product=LoanProductFactory.create(organization=o))
    Loan.objects.filter(pk=loan.pk).update(status=L.PENDING_APPROVAL)
    url = reverse("credit:loan_approve", args=[loan.pk])
    with time_machine.travel(TODAY + dt.timedelta(minutes=30), tick=True):
        r = approver.post(url)
    assert r.status_code == 302 and r["Location"].startswith(reverse("mfa_reauthenticate"))
    loan.refresh_from_db()
    assert loan.status == L.PENDING_APPROVAL

    # Whoever prepared it (here: this approver) is refused with the reason, nothing changes.
    Loan.objects.filter(pk=loan.pk).update(prepared_by=f"user:{member.user.pk}:{member.user.email}")
    r = approver.post(url, follow=True)
    assert "Quien preparó un crédito no puede aprobarlo" in text(r)
    loan.refresh_from_db()
    assert loan.status == L.PENDING_APPROVAL


def test_recording_a_manual_repayment_pays_the_cuota_and_bad_input_reads_in_spanish() -> None:
    o = make_org()
    operator, _ = signed_in(o, "operator")
    loan = active_loan(o)
    first = loan.schedule.order_by("number").first()
    assert first is not None
    url = reverse("credit:repayment_new", args=[loan.pk])
    base = {"method": "cash", "amount": "10", "received_on": "2026-05-19", "reference": "REC-1"}
    for field, value, message in (
        ("amount", "0", "Un pago debe ser mayor que cero"),
        ("amount", "diez", "Un pago debe ser mayor que cero"),
        ("received_on", "2026-05-21", "no puede ser posterior a hoy"),
        ("received_on", "ayer", "no es una fecha"),
        ("reference", " ", "Este campo es obligatorio."),
    ):
        r = operator.post(url, {**base, field: value})
        assert r.status_code == 400, (field, value)
        assert message in text(r), (field, value, message)
    assert not Repayment.objects.exists()

    # The first cuota with its late interest, paid in cash today.
    from sozu.credit.selectors import loan_position

    owed = loan_position(loan=loan).cuotas[0].outstanding
    amount = str(owed).replace(".", ",")
    r = operator.post(url, {**base, "amount": amount, "received_on": "2026-05-20"})
    assert r.status_code == 302
    page = text(operator.get(reverse("credit:loan_detail", args=[loan.pk])))
    row = page.split(f'data-cuota="{first.number}"')[1].split("</tr>")[0]
    assert "Pagada" in row
    assert "REC-1" in page


def test_a_reversal_needs_a_reason_and_adds_an_entry() -> None:
    o = make_org()
    operator, _ = signed_in(o, "operator")
    loan = active_loan(o)
    payment = repayment_record(
        loan=loan,
        amount="100",
        received_on="2026-05-10",
        method="transfer",
        reference="T-9",
        actor="user:3",
    )
    url = reverse("credit:repayment_reverse", args=[loan.pk])
    r = operator.post(url, {"repayment": payment.pk, "reason": " "}, follow=True)
    assert "Decí por qué se revierte el pago." in text(r)
    assert not Repayment.objects.filter(kind="reversal").exists()
    r = operator.post(url, {"repayment": payment.pk, "reason": "Transferencia rechazada"})
    assert r.status_code == 302
    reversal = Repayment.objects.get(kind="reversal")
    assert reversal.reverses_id == payment.pk and reversal.reason == "Transferencia rechazada"
    payment.refresh_from_db()
    assert payment.amount == Decimal("100")  # never edited
    page = text(operator.get(reverse("credit:loan_detail", args=[loan.pk])))
    assert "Transferencia rechazada" in page and "Reversión" in page


def test_a_write_off_is_asked_by_one_and_approved_by_another_approver() -> None:
    o = make_org()
    first, _ = signed_in(o, "approver")
    second, _ = signed_in(o, "approver")
    loan = active_loan(o)
    ask = reverse("credit:write_off_request", args=[loan.pk])
    r = first.post(ask, {"reason": ""})
    assert r.status_code == 400 and "Este campo es obligatorio." in text(r)
    assert first.post(ask, {"reason": "Sin contacto hace 6 meses"}).status_code == 302
    approve = reverse("credit:write_off_approve", args=[loan.pk])
    r = first.post(approve, follow=True)
    assert "no puede aprobarlo" in text(r)
    loan.refresh_from_db()
    assert loan.status == L.ACTIVE
    second.post(approve)
    loan.refresh_from_db()
    assert loan.status == L.WRITTEN_OFF
    assert AuditEvent.objects.filter(action="loan.written_off").count() == 1


def test_her_credit_is_applied_as_a_prepayment_from_the_page() -> None:
    o = make_org()
    operator, _ = signed_in(o, "operator")
    product = LoanProductFactory.create(organization=o, prepayment="reduce_term", late_tna=0)
    loan = active_loan(o, product=product, paid_at=dt.datetime(2026, 5, 18, 11, tzinfo=BA))
    repayment_record(
        loan=loan,
        amount="400",
        received_on="2026-05-20",
        method="cash",
        reference="R-1",
        actor="user:3",
    )
    page = text(operator.get(reverse("credit:loan_detail", args=[loan.pk])))
    assert "Aplicar su saldo a favor como prepago" in page
    r = operator.post(reverse("credit:loan_prepay", args=[loan.pk]), follow=True)
    page = text(r)
    assert "Prepago" in page
    assert loan.schedule.filter(kind="cuota").count() < 6
    assert loan.schedule_changes.count() == 1


def test_approving_a_write_off_asks_for_a_fresh_second_factor() -> None:
    o = make_org()
    approver, _ = signed_in(o, "approver")
    loan = active_loan(o)
    Loan.objects.filter(pk=loan.pk).update(
        write_off_requested_by="user:999:otra@example.org", write_off_reason="Incobrable"
    )
    with time_machine.travel(TODAY + dt.timedelta(minutes=30), tick=True):
        r = approver.post(reverse("credit:write_off_approve", args=[loan.pk]))
    assert r.status_code == 302 and r["Location"].startswith(reverse("mfa_reauthenticate"))
    loan.refresh_from_db()
    assert loan.status == L.ACTIVE


def test_a_viewer_reads_the_loan_but_is_offered_no_action_and_refused_any() -> None:
    o = make_org()
    viewer, _ = signed_in(o, "viewer")
    loan = active_loan(o)
    page = text(viewer.get(reverse("credit:loan_detail", args=[loan.pk])))
    assert "Ana Quispe" in page and 'id="loan-schedule"' in page
    assert "Registrar el pago" not in page and "Pedir el castigo" not in page
    for name in ("repayment_new", "write_off_request", "loan_prepay", "repayment_reverse"):
        assert viewer.post(reverse(f"credit:{name}", args=[loan.pk])).status_code == 403
    assert viewer.get(reverse("credit:loan_new")).status_code == 403
