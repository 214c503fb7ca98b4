"""Lotes in the browser's place (test client): upload, preview, fix, confirm, approve, execute."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import override
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder
from stellar_sdk.operation import ChangeTrust, Payment
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.tests.api.helpers import transaction_on_network
from sozu.disbursements.tests.web.helpers import signed_in, text
from sozu.disbursements.worker import Worker
from sozu.errors import message_for

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client, csv_text: str, *, name: str = "Marzo", confirm: bool = False):
    data = {"name": name, "csv_text": csv_text}
    if confirm:
        data["confirm"] = "1"
    return client.post(reverse("batches:new"), data)


def test_a_csv_with_three_bad_rows_shows_each_error_then_the_fixed_file_is_created(org, recipient):
    operator, _ = signed_in(org, "operator")
    a, b = recipient(), recipient()
    bad = f"destination,amount,memo\n{a},10,marzo\nGXXXX,5,\n{b},abc,\n{b},3,{'m' * 30}\n"
    r = upload(operator, bad)
    assert r.status_code == 400
    page = text(r)
    assert "3 filas tienen errores" in page
    assert escape("La dirección “GXXXX” no es una dirección Stellar válida (G… o M…).") in page
    assert escape("“abc” no es un monto válido.") in page
    assert "El memo supera los 28 bytes." in page
    assert "Confirmar y crear el lote" not in page
    assert Batch.objects.count() == 0

    good = f"destination,amount,memo\n{a},10,marzo\n{b},2.5,\n"
    r = upload(operator, good)
    assert r.status_code == 200
    assert "Las 2 líneas son válidas" in text(r)
    assert Batch.objects.count() == 0  # a preview saves nothing

    r = upload(operator, good, confirm=True)
    batch = Batch.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("batches:detail", args=[batch.pk])
    assert batch.name == "Marzo" and batch.line_count == 2
    assert sorted(p.destination for p in batch.lines.all()) == sorted([a, b])


def test_confirming_a_file_that_became_invalid_saves_nothing(org, recipient):
    operator, _ = signed_in(org, "operator")
    a = recipient()
    r = upload(operator, f"destination,amount\n{a},5000\n", confirm=True)  # org has 1000 USDC
    assert r.status_code == 400
    assert "USDC" in text(r)
    assert Batch.objects.count() == 0


def test_operator_prepares_approver_approves_and_executes_and_every_line_is_on_chain(
    org, recipient, net_settings
):
    operator, op_member = signed_in(org, "operator")
    approver, ap_member = signed_in(org, "approver")
    dests = [recipient() for _ in range(3)]
    csv_text = "destination,amount\n" + "".join(f"{d},1.5\n" for d in dests)
    upload(operator, csv_text, confirm=True)
    batch = Batch.objects.get()
    detail = reverse("batches:detail", args=[batch.pk])

    r = operator.post(reverse("batches:submit", args=[batch.pk]), {"scheduled_for": ""})
    assert r.status_code == 302
    # The operator's role cannot approve or execute; the page does not offer it either.
    assert operator.post(reverse("batches:approve", args=[batch.pk])).status_code == 403
    assert operator.post(reverse("batches:execute", args=[batch.pk])).status_code == 403
    assert "Aprobar" not in re.sub(
        r"Aprobación|aprobación|aprobaci", "", text(operator.get(detail))
    )
    batch.refresh_from_db()
    assert batch.status == "validated" and not batch.approvals.exists()

    # Executing before the approval is refused with the reason.
    r = approver.post(reverse("batches:execute", args=[batch.pk]), follow=True)
    assert "Este lote tiene 0 de las 1 aprobaciones que necesita." in text(r)
    batch.refresh_from_db()
    assert batch.status == "validated"

    r = approver.post(reverse("batches:approve", args=[batch.pk]), follow=True)
    assert "Lote aprobado." in text(r)
    r = approver.post(reverse("batches:execute", args=[batch.pk]), follow=True)
    assert r.status_code == 200
    batch.refresh_from_db()
    assert batch.status == "executing"
    fragment = approver.get(detail, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in text(fragment)  # the page polls while paying
    assert "<html" not in text(fragment)  # only the #live fragment
    assert "Lote en ejecución: se están pagando las líneas." in text(fragment)
    assert 'hx-swap-oob="true"' not in text(fragment)  # the flash message stays while paying

    Worker("test", threads=2).run(until_idle=True)
    batch.refresh_from_db()
    assert batch.status == "completed"
    page = text(approver.get(detail, headers={"HX-Request": "true"}))
    assert 'value="100"' in page and "100 %" in page
    assert "every 2s" not in page  # finished: polling stops
    # The notice turns into the outcome, and the stale "executing" message above is cleared.
    assert "Lote pagado: se pagaron las 3 líneas (4,50 USDC)." in page
    assert "Lote en ejecución" not in page
    assert '<div id="messages" hx-swap-oob="true"></div>' in page
    for p in batch.lines.all():
        assert p.status == Payout.Status.PAID
        assert transaction_on_network(net_settings, p.tx_hash)["successful"] is True
        assert f"{net_settings.url}/transactions/{p.tx_hash}" in page
    actions = set(
        AuditEvent.objects.filter(organization=org, object_type="batch").values_list(
            "action", flat=True
        )
    )
    assert {"batch.created", "batch.submitted", "batch.approved", "batch.executed"} <= actions
    approval = AuditEvent.objects.get(organization=org, action="batch.approved")
    assert approval.actor.startswith(f"user:{ap_member.user.pk}:")
    created = AuditEvent.objects.get(organization=org, action="batch.created")
    assert created.actor.startswith(f"user:{op_member.user.pk}:")


def test_a_viewer_sees_batches_but_every_action_is_refused(org, recipient):
    operator, _ = signed_in(org, "operator")
    viewer, _ = signed_in(org, "viewer")
    upload(operator, f"destination,amount\n{recipient()},1\n", confirm=True)
    batch = Batch.objects.get()
    assert viewer.get(reverse("batches:list")).status_code == 200
    assert viewer.get(reverse("batches:detail", args=[batch.pk])).status_code == 200
    assert viewer.get(reverse("batches:new")).status_code == 403
    for name in ("submit", "approve", "execute", "pause", "resume", "cancel", "retry"):
        assert viewer.post(reverse(f"batches:{name}", args=[batch.pk])).status_code == 403, name
    batch.refresh_from_db()
    assert batch.status == "validated" and batch.submitted_at is None


def test_cancel_pause_and_export(org, recipient):
    operator, _ = signed_in(org, "operator")
    d = recipient()
    upload(operator, f"destination,amount,memo\n{d},1,=HYPERLINK()\n", confirm=True)
    batch = Batch.objects.get()
    export = operator.get(reverse("batches:export", args=[batch.pk]))
    body = export.getvalue().decode()
    assert d in body and "'=HYPERLINK()" in body
    r = operator.post(reverse("batches:pause", args=[batch.pk]), follow=True)
    # A draft cannot be paused: the refusal is shown in Spanish and nothing changes.
    assert "No se puede pausar un lote que está validado." in text(r)
    r = operator.post(reverse("batches:cancel", args=[batch.pk]), follow=True)
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert batch.lines.get().status == "cancelled"


def test_a_batch_sent_with_a_date_is_scheduled_and_a_past_date_is_refused(org, recipient):
    operator, _ = signed_in(org, "operator")
    upload(operator, f"destination,amount\n{recipient()},1\n", confirm=True)
    batch = Batch.objects.get()
    url = reverse("batches:submit", args=[batch.pk])
    r = operator.post(url, {"scheduled_for": "2020-01-01T09:00"}, follow=True)
    assert "fecha programada (ya pasó)" in text(r)
    batch.refresh_from_db()
    assert batch.submitted_at is None
    when = timezone.localtime() + dt.timedelta(days=2)
    operator.post(url, {"scheduled_for": when.strftime("%Y-%m-%dT%H:%M")})
    batch.refresh_from_db()
    assert batch.submitted_at is not None
    assert timezone.localtime(batch.scheduled_for).strftime("%Y-%m-%d %H:%M") == when.strftime(
        "%Y-%m-%d %H:%M"
    )
    assert "Programado para el" in text(operator.get(reverse("batches:detail", args=[batch.pk])))


def _as(kp: Keypair, net, *ops) -> None:
    server = Server(net.url)
    tx = TransactionBuilder(
        server.load_account(kp.public_key), net.passphrase, base_fee=100
    ).set_timeout(60)
    for op in ops:
        tx.append_operation(op)
    built = tx.build()
    built.sign(kp)
    server.submit_transaction(built)


def test_a_failed_line_shows_its_reason_in_spanish_and_a_retry_pays_it(
    org, recipient, net_settings
):
    usdc = Asset(net_settings.usdc_code, net_settings.usdc_issuer)
    rosa = Keypair.random()
    net_settings.fund(rosa.public_key, xlm="10", usdc="1")
    operator, _ = signed_in(org, "operator")
    approver, _ = signed_in(org, "approver")
    upload(operator, f"destination,amount\n{recipient()},1\n{rosa.public_key},2\n", confirm=True)
    batch = Batch.objects.get()
    # After the batch was checked, she gives her USDC back and removes her trustline.
    _as(
        rosa,
        net_settings,
        Payment(destination=net_settings.usdc_issuer, asset=usdc, amount="1"),
        ChangeTrust(asset=usdc, limit="0"),
    )
    operator.post(reverse("batches:submit", args=[batch.pk]))
    approver.post(reverse("batches:approve", args=[batch.pk]))
    approver.post(reverse("batches:execute", args=[batch.pk]))
    Worker("test", threads=2).run(until_idle=True)
    batch.refresh_from_db()
    failed = batch.lines.get(destination=rosa.public_key)
    assert batch.status == "partially_paid" and failed.status == "failed"
    detail = reverse("batches:detail", args=[batch.pk])
    page = text(approver.get(detail, {"status": "failed"}))
    with override("es"):
        reason = message_for(failed.failure_code)
    with override("en"):
        english = message_for(failed.failure_code)
    assert reason != english and "USDC" in reason  # e.g. "El destino no tiene … USDC."
    assert escape(reason) in page
    assert "Reintentar la línea fallida" in page
    assert "Lote pagado en parte: 1 de 2 líneas pagadas (1,00 USDC); con error: 1." in page

    # She adds the trustline again; the approver retries the failed line and it is paid.
    _as(rosa, net_settings, ChangeTrust(asset=usdc))
    r = approver.post(reverse("batches:retry", args=[batch.pk]), follow=True)
    assert "Las líneas fallidas vuelven a la cola." in text(r)
    Worker("test", threads=2).run(until_idle=True)
    failed.refresh_from_db()
    batch.refresh_from_db()
    assert failed.status == "paid" and batch.status == "completed"
    assert transaction_on_network(net_settings, failed.tx_hash)["successful"] is True


def test_a_batch_is_built_by_ticking_beneficiaries_with_a_shared_or_own_amount(org, recipient):
    ana = BeneficiaryFactory.create(organization=org, stellar_address=recipient())
    eva = BeneficiaryFactory.create(organization=org, stellar_address=recipient())
    BeneficiaryFactory.create(organization=org, stellar_address=recipient())  # not ticked
    operator, _ = signed_in(org, "operator")
    r = operator.post(
        reverse("batches:pick"),
        {
            "name": "Abril",
            "default_amount": "20",
            "memo": "abril",
            "pick": [str(ana.pk), str(eva.pk)],
            f"amount_{eva.pk}": "35.5",
        },
    )
    assert r.status_code == 200
    page = text(r)
    assert "Las 2 líneas son válidas" in page and "55,50 USDC" in page
    assert Batch.objects.count() == 0
    csv_text = r.context["csv_text"]
    operator.post(
        reverse("batches:new"),
        {"confirm": "1", "name": "Abril", "csv_text": csv_text, "from_pick": "1"},
    )
    batch = Batch.objects.get()
    got = {(p.beneficiary_id, p.amount, p.memo) for p in batch.lines.all()}
    assert got == {(ana.pk, Decimal("20"), "abril"), (eva.pk, Decimal("35.5"), "abril")}
    r = operator.post(reverse("batches:pick"), {"default_amount": "20"})
    assert r.status_code == 400 and "Marcá al menos una beneficiaria." in text(r)


def test_the_picking_form_keeps_ticks_and_amounts_across_pages_and_searches(
    org, recipient, monkeypatch
):
    from sozu.disbursements.views import batches as batch_views

    monkeypatch.setattr(batch_views, "PICK_PAGE_SIZE", 2)
    ana, bea, eva = (
        BeneficiaryFactory.create(organization=org, full_name=n, stellar_address=recipient())
        for n in ("Ana Pérez", "Bea Ruiz", "Eva Gómez")
    )
    operator, _ = signed_in(org, "operator")
    url = reverse("batches:pick")
    page1 = operator.get(url)
    assert [b.pk for b in page1.context["page"]] == [ana.pk, bea.pk]
    # Page 1: Ana ticked with her own amount, Bea not; the pager posts the page first.
    r = operator.post(
        url,
        {
            "name": "Mayo",
            "default_amount": "10",
            "shown": [ana.pk, bea.pk],
            "pick": [ana.pk],
            f"amount_{ana.pk}": "12.5",
            f"amount_{bea.pk}": "",
            "goto": "2",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"{url}?page=2"
    page2 = operator.get(r["Location"])
    assert [b.pk for b in page2.context["page"]] == [eva.pk]
    assert 'value="Mayo"' in text(page2) and "1 beneficiaria marcada" in text(page2)
    # Page 2: Eva ticked, then a search for Ana: she is still ticked with her amount.
    r = operator.post(
        f"{url}?page=2",
        {
            "name": "Mayo",
            "default_amount": "10",
            "shown": [eva.pk],
            "pick": [eva.pk],
            "q": "Ana",
            "search": "1",
        },
    )
    assert r["Location"] == f"{url}?q=Ana"
    found = operator.get(r["Location"])
    [row] = found.context["page"]
    assert row.pk == ana.pk and row.picked and row.pick_amount == "12.5"
    body = text(found)
    assert f'id="pick-{ana.pk}" checked' in body and 'value="12.5"' in body
    assert "2 beneficiarias marcadas" in body
    # Unticking Ana in the search results removes only her; the others stay.
    r = operator.post(
        f"{url}?q=Ana",
        {"name": "Mayo", "default_amount": "10", "shown": [ana.pk], "q": "Ana", "search": "clear"},
    )
    assert r["Location"] == url
    page1 = operator.get(url)
    assert not any(b.picked for b in page1.context["page"])
    r = operator.post(
        url,
        {
            "name": "Mayo",
            "default_amount": "10",
            "shown": [ana.pk, bea.pk],
            "pick": [ana.pk, bea.pk],
            f"amount_{ana.pk}": "7",
            "check": "1",
        },
    )
    assert r.status_code == 200 and r.context["from_pick"] is True
    assert "Las 3 líneas son válidas" in text(r) and "27,00 USDC" in text(r)
    assert f"Bea Ruiz (#{bea.pk})" in text(r)  # the preview names whom each line pays
    assert Batch.objects.count() == 0
    r = operator.post(
        reverse("batches:new"),
        {"confirm": "1", "name": "Mayo", "csv_text": r.context["csv_text"], "from_pick": "1"},
    )
    batch = Batch.objects.get()
    assert batch.name == "Mayo"
    got = {(p.beneficiary_id, p.amount) for p in batch.lines.all()}
    assert got == {(ana.pk, Decimal("7")), (bea.pk, Decimal("10")), (eva.pk, Decimal("10"))}
    # The draft became the batch: the form starts empty again.
    assert "0 beneficiarias marcadas" in text(operator.get(url))


def test_untick_all_empties_the_draft(org, recipient):
    ana = BeneficiaryFactory.create(organization=org, stellar_address=recipient())
    operator, _ = signed_in(org, "operator")
    url = reverse("batches:pick")
    operator.post(url, {"shown": [ana.pk], "pick": [ana.pk], "goto": "1"})
    assert operator.get(url).context["picked_count"] == 1
    operator.post(url, {"shown": [ana.pk], "pick": [ana.pk], "clear": "1"})
    assert operator.get(url).context["picked_count"] == 0
