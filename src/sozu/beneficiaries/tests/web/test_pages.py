"""Beneficiarias pages through the test client: what each role may do, what staff see, and
that another organization's ids answer 404 everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.factories import (
    BeneficiaryFactory,
    PayoutFactory,
    application,
    cuil_for,
    random_address,
)

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import Beneficiary, BeneficiaryAttachment
from sozu.beneficiaries.services import beneficiary_attachment_add
from sozu.beneficiaries.tests.web.helpers import PDF, PNG, signed_in, text
from sozu.orgs.models import Organization
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db
S = Beneficiary.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def attach(b: Beneficiary, name: str = "solicitud.pdf", data: bytes = PDF) -> BeneficiaryAttachment:
    return beneficiary_attachment_add(
        beneficiary=b, name=name, content=SimpleUploadedFile(name, data), actor="test"
    )


# --- permissions: the foundation's table, per role ------------------------------------------

#: (name, method, needs a beneficiary in status, data) → roles allowed.
ACTIONS = [
    ("list", "get", None, {}, {"owner", "operator", "approver", "viewer"}),
    ("detail", "get", S.APPLIED, {}, {"owner", "operator", "approver", "viewer"}),
    ("new", "get", None, {}, {"operator"}),
    ("new", "post", None, "application", {"operator"}),
    ("import", "get", None, {}, {"operator"}),
    ("edit", "get", S.APPLIED, {}, {"operator"}),
    ("edit", "post", S.APPLIED, {"locality": "Cafayate"}, {"operator"}),
    ("approve", "post", S.APPLIED, {}, {"operator", "approver"}),
    ("reject", "post", S.APPLIED, {"reason": "Faltan datos"}, {"operator", "approver"}),
    ("deactivate", "post", S.APPROVED, {}, {"operator"}),
    ("reactivate", "post", S.INACTIVE, {}, {"operator", "approver"}),
    ("reopen", "post", S.REJECTED, {}, {"operator"}),
    ("check-all", "post", None, {}, {"operator", "approver"}),
]


@pytest.mark.parametrize("role", ["owner", "operator", "approver", "viewer"])
@pytest.mark.parametrize(("name", "method", "status", "data", "allowed"), ACTIONS)
def test_each_role_may_do_what_the_permission_table_says(
    role, name, method, status, data, allowed
) -> None:
    o = org()
    client, _ = signed_in(o, role)
    args = []
    if status:
        b = BeneficiaryFactory.create(organization=o, status=status)
        args = [b.pk]
    if data == "application":
        data = application()
    r = getattr(client, method)(reverse(f"beneficiaries:{name}", args=args), data)
    if role in allowed:
        assert r.status_code in (200, 302), (role, name, r.status_code)
    else:
        assert r.status_code == 403, (role, name, r.status_code)
        if status:
            assert Beneficiary.objects.get(pk=args[0]).status == status  # nothing changed
        if name == "new" and method == "post":
            assert not Beneficiary.objects.filter(organization=o).exists()


def test_a_viewer_sees_her_page_without_any_button_that_changes_it() -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o, status=S.APPLIED, full_name="Ana Quispe")
    attach(b)
    client, _ = signed_in(o, "viewer")
    page = text(client.get(reverse("beneficiaries:detail", args=[b.pk])))
    assert "Ana Quispe" in page and "solicitud.pdf" in page
    for label in ("Aprobar", "Rechazar", "Editar", "Verificar ahora", "Quitar", "Adjuntar"):
        assert label not in page
    listing = text(client.get(reverse("beneficiaries:list")))
    assert "Nueva solicitud" not in listing and "Importar CSV" not in listing


# --- isolation: another organization's ids answer 404 on every beneficiary URL -------------


def beneficiary_urls() -> list[URLPattern]:
    resolver = get_resolver()
    app = next(
        r
        for r in resolver.url_patterns
        if isinstance(r, URLResolver) and r.app_name == "beneficiaries"  # this app's include
    )
    return [p for p in app.url_patterns if isinstance(p, URLPattern)]


def test_another_organizations_ids_answer_404_on_every_beneficiary_url() -> None:
    # The operator may use every one of these URLs in her own organization.
    mine, theirs = org(), org()
    client, _ = signed_in(mine, "operator")
    hers = BeneficiaryFactory.create(organization=theirs, status=S.APPLIED)
    their_file = attach(hers)
    checked = 0
    for pattern in beneficiary_urls():
        keys = set(pattern.pattern.converters)
        if not keys:
            continue
        kwargs = {k: hers.pk if k == "beneficiary_id" else their_file.pk for k in keys}
        url = reverse(f"beneficiaries:{pattern.name}", kwargs=kwargs)
        for method in ("get", "post"):
            r = getattr(client, method)(url, {"reason": "x", "locality": "y"})
            assert r.status_code in (404, 405), (url, method, r.status_code)
            if r.status_code == 404:
                checked += 1
    assert checked >= 12
    hers.refresh_from_db()
    assert hers.status == S.APPLIED and hers.locality == "Salta"
    assert BeneficiaryAttachment.objects.filter(pk=their_file.pk).exists()


# --- list: search, filters, pages, constant queries ----------------------------------------


def test_the_list_searches_and_filters_by_status_and_readiness() -> None:
    o = org()
    BeneficiaryFactory.create(organization=o, full_name="Ana Quispe", ready_to_receive=True)
    BeneficiaryFactory.create(
        organization=o, full_name="Beatriz Ruiz", status=S.APPLIED, ready_to_receive=None
    )
    BeneficiaryFactory.create(organization=o, full_name="Carla Sosa", ready_to_receive=False)
    BeneficiaryFactory.create(full_name="Ana de otra ONG")
    client, _ = signed_in(o, "viewer")
    url = reverse("beneficiaries:list")

    page = text(client.get(url))
    assert "3 beneficiarias" in page and "otra ONG" not in page
    assert "Ana Quispe" in text(client.get(url, {"q": "ana"}))
    assert "Beatriz" not in text(client.get(url, {"q": "ana"}))
    applied = text(client.get(url, {"status": "applied"}))
    assert "Beatriz Ruiz" in applied and "Ana Quispe" not in applied
    ready = text(client.get(url, {"ready": "si"}))
    assert "Ana Quispe" in ready and "Carla" not in ready and "Beatriz" not in ready
    not_ready = text(client.get(url, {"ready": "no"}))
    assert "Carla Sosa" in not_ready and "Beatriz Ruiz" in not_ready and "Ana" not in not_ready
    # A bad filter value is ignored, never a 500.
    r = client.get(url, {"status": "zzz", "page": "x", "q": "carla"})
    assert r.status_code == 200
    assert "Carla Sosa" in text(r) and "Ana Quispe" not in text(r)


def test_htmx_gets_only_the_results_and_the_pager_keeps_the_filters() -> None:
    o = org()
    BeneficiaryFactory.create_batch(55, organization=o, status=S.APPLIED)
    client, _ = signed_in(o, "viewer")
    url = reverse("beneficiaries:list")
    full = text(client.get(url, {"status": "applied"}))
    assert "Página 1 de 2" in full and 'href="?status=applied&amp;page=2"' in full
    fragment = text(client.get(url, {"status": "applied", "page": "2"}, HTTP_HX_REQUEST="true"))
    assert "<html" not in fragment and "Página 2 de 2" in fragment
    assert fragment.count("<tr>") == 5 + 1  # five rows and the header


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_and_her_page_run_the_same_queries_for_5_and_50_rows() -> None:
    small, big = org(), org()
    for o, n in ((small, 5), (big, 50)):
        for b in BeneficiaryFactory.create_batch(n, organization=o):
            PayoutFactory.create(organization=o, beneficiary=b, destination=b.stellar_address)
        top = Beneficiary.objects.filter(organization=o).first()
        assert top is not None
        PayoutFactory.create_batch(n, organization=o, beneficiary=top)
        for _ in range(n // 5):
            attach(top)
    client_small, _ = signed_in(small, "viewer")
    client_big, _ = signed_in(big, "viewer")
    url = reverse("beneficiaries:list")
    assert count_queries(client_small, url) == count_queries(client_big, url)

    def detail(o: Organization) -> str:
        top = Beneficiary.objects.filter(organization=o).order_by("full_name", "id")[0]
        return reverse("beneficiaries:detail", args=[top.pk])

    assert count_queries(client_small, detail(small)) == count_queries(client_big, detail(big))


# --- the application form ----------------------------------------------------------------


def test_an_application_with_mistakes_shows_each_in_spanish_under_its_field_and_saves_nothing():
    o = org()
    client, _ = signed_in(o, "operator")
    r = client.post(
        reverse("beneficiaries:new"),
        application(
            full_name="",
            national_id="27-30111222-0",
            phone="4444",
            stellar_address="GABC",
        ),
    )
    page = text(r)
    assert r.status_code == 400
    assert "no se guardó nada" in page
    assert 'id="id_full_name_error"' in page and "Falta el nombre" in page
    assert 'id="id_national_id_error"' in page and "dígito verificador" in page
    assert 'id="id_phone_error"' in page
    assert 'id="id_stellar_address_error"' in page and "no es una dirección Stellar" in page
    assert 'value="4444"' in page  # what she typed is kept
    assert not Beneficiary.objects.filter(organization=o).exists()


def test_a_valid_application_is_saved_with_its_attachments_and_shown_on_her_page() -> None:
    o = org()
    client, _ = signed_in(o, "operator")
    dni = "30111222"
    r = client.post(
        reverse("beneficiaries:new"),
        {
            **application(national_id=cuil_for(dni), phone="0387 15-555-0101"),
            "attachments": [
                SimpleUploadedFile("solicitud firmada.pdf", PDF, "application/pdf"),
                SimpleUploadedFile("dni.png", PNG, "image/png"),
            ],
        },
    )
    b = Beneficiary.objects.get(organization=o)
    assert r.status_code == 302 and r["Location"] == reverse("beneficiaries:detail", args=[b.pk])
    assert b.status == S.APPLIED and b.phone == "+5493875550101"
    assert sorted(a.original_name for a in b.attachments.all()) == [
        "dni.png",
        "solicitud firmada.pdf",
    ]
    page = text(client.get(r["Location"]))
    assert "Solicitud de Ana Quispe guardada" in page
    # Stored as E.164, shown as people write it (here and in the edit form, which reads it back).
    assert "+54 9 387 555-0101" in page and "+5493875550101" not in page
    edit = text(client.get(reverse("beneficiaries:edit", args=[b.pk])))
    assert 'value="+54 9 387 555-0101"' in edit
    assert "solicitud firmada.pdf" in page and "Inscripta" in page
    # Her DNI again (even written as the CUIL's DNI) is refused.
    again = client.post(reverse("beneficiaries:new"), application(national_id=dni))
    assert again.status_code == 400 and "Ya existe una beneficiaria con el DNI/CUIL" in text(again)


def test_a_bad_attachment_refuses_the_whole_application() -> None:
    o = org()
    client, _ = signed_in(o, "operator")
    r = client.post(
        reverse("beneficiaries:new"),
        {
            **application(),
            "attachments": [
                SimpleUploadedFile("contrato.docx", b"PK\x03\x04zz", "application/zip")
            ],
        },
    )
    assert r.status_code == 400
    assert 'id="id_attachments_error"' in text(r) and "contrato.docx" in text(r)
    assert not Beneficiary.objects.filter(organization=o).exists()
    assert not BeneficiaryAttachment.objects.exists()


def test_htmx_checks_one_field_and_saves_nothing() -> None:
    o = org()
    client, _ = signed_in(o, "operator")
    r = client.post(
        reverse("beneficiaries:new") + "?validate=national_id",
        {**application(national_id="20-12345678-0")},
        HTTP_HX_REQUEST="true",
    )
    page = text(r)
    assert r.status_code == 200 and "<html" not in page
    assert 'id="row-national_id"' in page and "dígito verificador" in page
    assert "row-phone" not in page
    assert not Beneficiary.objects.exists()


def test_editing_her_details_changes_them_and_keeps_her_history() -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o, locality="Salta")
    client, _ = signed_in(o, "operator")
    url = reverse("beneficiaries:edit", args=[b.pk])
    bad = client.post(url, {"phone": "12"})
    assert bad.status_code == 400 and 'id="id_phone_error"' in text(bad)
    r = client.post(url, {"locality": "Cafayate", "full_name": b.full_name})
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.locality == "Cafayate"
    page = text(client.get(reverse("beneficiaries:detail", args=[b.pk])))
    assert "Datos modificados" in page


# --- status actions ------------------------------------------------------------------------


def test_an_application_is_rejected_only_with_a_reason_then_reopened() -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o, status=S.APPLIED)
    approver, _ = signed_in(o, "approver")
    operator, _ = signed_in(o, "operator")
    url = reverse("beneficiaries:reject", args=[b.pk])
    r = approver.post(url, {"reason": "  "}, follow=True)
    assert "Indicá el motivo del rechazo" in text(r)
    b.refresh_from_db()
    assert b.status == S.APPLIED
    r = approver.post(url, {"reason": "El DNI no coincide con la foto"}, follow=True)
    b.refresh_from_db()
    assert b.status == S.REJECTED
    assert "El DNI no coincide con la foto" in text(r)
    operator.post(reverse("beneficiaries:reopen", args=[b.pk]))
    b.refresh_from_db()
    assert b.status == S.APPLIED


def test_approve_deactivate_reactivate_each_audited() -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o, status=S.APPLIED, full_name="Ana Quispe")
    approver, m = signed_in(o, "approver")
    operator, _ = signed_in(o, "operator")
    r = approver.post(reverse("beneficiaries:approve", args=[b.pk]), follow=True)
    assert "Ana Quispe fue aprobada" in text(r)
    operator.post(reverse("beneficiaries:deactivate", args=[b.pk]), {"reason": "Se mudó"})
    b.refresh_from_db()
    assert b.status == S.INACTIVE
    # Approving an inactive one is refused with a message; nothing changes.
    r = approver.post(reverse("beneficiaries:approve", args=[b.pk]), follow=True)
    assert "no puede" in text(r)
    b.refresh_from_db()
    assert b.status == S.INACTIVE
    approver.post(reverse("beneficiaries:reactivate", args=[b.pk]))
    b.refresh_from_db()
    assert b.status == S.APPROVED
    actions = list(
        AuditEvent.objects.filter(object_type="beneficiary", object_id=str(b.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["beneficiary.approved", "beneficiary.deactivated", "beneficiary.reactivated"]
    page = text(approver.get(reverse("beneficiaries:detail", args=[b.pk])))
    assert "Desactivada" in page and "Se mudó" in page and "Reactivada" in page
    assert m.user.email in page  # who did it


# --- attachments -------------------------------------------------------------------------


def test_an_attachment_downloads_from_her_organization_only() -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o)
    att = attach(b, "solicitud firmada.pdf")
    client, _ = signed_in(o, "viewer")
    r = client.get(reverse("beneficiaries:attachment", args=[att.pk]))
    assert r.status_code == 200
    assert r.getvalue() == PDF
    assert r["Content-Type"] == "application/pdf"
    assert "attachment" in r["Content-Disposition"] and "solicitud" in r["Content-Disposition"]
    outsider, _ = signed_in(org(), "viewer")
    assert outsider.get(reverse("beneficiaries:attachment", args=[att.pk])).status_code == 404


def test_an_operator_adds_and_removes_a_document_on_her_page() -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o)
    client, _ = signed_in(o, "operator")
    url = reverse("beneficiaries:attachment-add", args=[b.pk])
    r = client.post(url, {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00")}, follow=True)
    assert "virus.pdf" in text(r) and not b.attachments.exists()
    client.post(url, {"file": SimpleUploadedFile("foto.png", PNG)})
    att = b.attachments.get()
    client.post(reverse("beneficiaries:attachment-remove", args=[att.pk]))
    assert not b.attachments.exists()


# --- CSV import -----------------------------------------------------------------------------


def csv_file(rows: list[str]) -> SimpleUploadedFile:
    body = "nombre;dni;telefono;direccion stellar;localidad\n" + "\n".join(rows) + "\n"
    return SimpleUploadedFile("beneficiarias.csv", body.encode(), "text/csv")


def test_a_csv_import_previews_each_row_saves_nothing_then_confirms_the_good_ones() -> None:
    o = org()
    client, _ = signed_in(o, "operator")
    a1, a2 = random_address(), random_address()
    rows = [
        f"Ana Quispe;30111222;+54 9 387 555-0101;{a1};Salta",
        f"Beatriz Ruiz;20-12345678-0;+54 9 387 555-0102;{random_address()};Salta",
        "Carla Sosa;28234567;+54 9 387 555-0103;GNOTANADDRESS;Jujuy",
        f"Dora Paz;30111222;+54 9 387 555-0104;{a2};Tucumán",
    ]
    url = reverse("beneficiaries:import")
    r = client.post(url, {"file": csv_file(rows)})
    page = text(r)
    assert r.status_code == 200
    assert "1 fila está bien" in page and "3 filas tienen errores" in page
    assert "dígito verificador" in page  # line 3
    assert "no es una dirección Stellar" in page  # line 4
    assert "Repite" in page and "línea 2" in page  # line 5 repeats Ana's DNI
    assert not Beneficiary.objects.filter(organization=o).exists()

    # Confirming the preview with a changed fingerprint (a stale page) saves nothing.
    csv_text = "nombre;dni;telefono;direccion stellar;localidad\n" + "\n".join(rows) + "\n"
    stale = client.post(url, {"csv_text": csv_text, "fingerprint": "0" * 64, "confirm": "1"})
    assert stale.status_code == 409 and not Beneficiary.objects.exists()

    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page)
    assert found is not None
    fingerprint = found.group(1)
    r = client.post(url, {"csv_text": csv_text, "fingerprint": fingerprint, "confirm": "1"})
    assert r.status_code == 302
    assert list(Beneficiary.objects.filter(organization=o).values_list("full_name", "status")) == [
        ("Ana Quispe", S.APPLIED)
    ]


def test_a_file_that_is_not_a_csv_is_refused_with_a_clear_message() -> None:
    o = org()
    client, _ = signed_in(o, "operator")
    r = client.post(
        reverse("beneficiaries:import"),
        {"file": SimpleUploadedFile("x.csv", b"nombre,telefono\nAna,1\n")},
    )
    assert r.status_code == 400 and "El archivo CSV debe tener las columnas" in text(r)


# --- English ---------------------------------------------------------------------------------


def test_pages_speak_english_when_the_browser_asks_for_it() -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o, status=S.APPLIED, ready_to_receive=True)
    client, _ = signed_in(o, "operator")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = text(client.get(reverse("beneficiaries:detail", args=[b.pk])))
    assert "Approve application" in page and "She is ready to receive USDC." in page
    r = client.post(reverse("beneficiaries:new"), application(national_id="1"))
    assert "is not a DNI" in text(r)


# --- ready to receive, read from the local network -----------------------------------------


def test_check_now_reads_the_network_and_shows_why_she_cannot_receive(
    net_settings, make_recipient
) -> None:
    o = org()
    ready = BeneficiaryFactory.create(organization=o, stellar_address=make_recipient())
    no_line = BeneficiaryFactory.create(
        organization=o, stellar_address=make_recipient(trustline=False)
    )
    client, _ = signed_in(o, "approver")
    page = text(client.get(reverse("beneficiaries:detail", args=[ready.pk])))
    assert "Todavía no se verificó en la red" in page and "Verificar ahora" in page

    r = client.post(reverse("beneficiaries:check", args=[ready.pk]), follow=True)
    assert "lista para recibir" in text(r) and "Verificado en la red el" in text(r)
    ready.refresh_from_db()
    assert ready.ready_to_receive is True

    fragment = text(
        client.post(reverse("beneficiaries:check", args=[no_line.pk]), HTTP_HX_REQUEST="true")
    )
    assert "<html" not in fragment and 'id="readiness"' in fragment
    assert "Todavía no puede recibir USDC" in fragment and "trustline" in fragment
    listing = text(client.get(reverse("beneficiaries:list"), {"ready": "si"}))
    assert ready.full_name in listing and no_line.full_name not in listing


def test_check_all_asks_the_network_about_every_approved_beneficiary(
    net_settings, make_recipient
) -> None:
    o = org()
    a = BeneficiaryFactory.create(organization=o, stellar_address=make_recipient())
    b = BeneficiaryFactory.create(organization=o, stellar_address=make_recipient(trustline=False))
    applied = BeneficiaryFactory.create(
        organization=o, status=S.APPLIED, stellar_address=make_recipient()
    )
    client, _ = signed_in(o, "operator")
    r = client.post(reverse("beneficiaries:check-all"), {"query": "status=approved"})
    assert r.status_code == 302 and r["Location"] == "/beneficiarias/?status=approved"
    page = text(client.get(r["Location"]))
    assert "Se verificaron en la red 2 beneficiarias aprobadas" in page
    for x in (a, b, applied):
        x.refresh_from_db()
    assert (a.ready_to_receive, b.ready_to_receive, applied.ready_to_receive) == (True, False, None)


def test_removing_an_attachment_with_htmx_redirects_the_whole_page() -> None:
    o = org()
    att = attach(BeneficiaryFactory.create(organization=o))
    client, _ = signed_in(o, "operator")
    page = text(client.get(reverse("beneficiaries:detail", args=[att.beneficiary_id])))
    assert "hx-confirm=" in page  # the browser asks first
    url = reverse("beneficiaries:attachment-remove", args=[att.pk])
    r = client.post(url, HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == reverse("beneficiaries:detail", args=[att.beneficiary_id])
    assert not BeneficiaryAttachment.objects.exists()


@pytest.mark.urls("sozu.beneficiaries.tests.web.urls_with_payouts")
def test_her_page_links_to_the_single_payout_form_of_the_pagos_pages() -> None:
    o = org()
    approved = BeneficiaryFactory.create(organization=o, status=S.APPROVED)
    applied = BeneficiaryFactory.create(organization=o, status=S.APPLIED)
    pay = reverse("payouts:new", args=[approved.pk])
    operator, _ = signed_in(o, "operator")
    viewer, _ = signed_in(o, "viewer")

    def page(client: Client, b: Beneficiary) -> str:
        return text(client.get(reverse("beneficiaries:detail", args=[b.pk])))

    assert f'href="{pay}"' in page(operator, approved)
    assert "Pagarle" not in page(operator, applied)
    assert "Pagarle" not in page(viewer, approved)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("30111222", "30.111.222"), ("5111222", "5.111.222"), ("27301112223", "27-30111222-3")],
)
def test_her_dni_or_cuil_is_shown_as_people_write_it(stored, shown) -> None:
    o = org()
    b = BeneficiaryFactory.create(organization=o, national_id=stored)
    client, _ = signed_in(o, "viewer")
    assert f"<dd>{shown}</dd>" in text(client.get(reverse("beneficiaries:detail", args=[b.pk])))
    assert f">{shown}</td>" in text(client.get(reverse("beneficiaries:list")))


def test_each_action_from_the_pages_is_audited_with_ip_and_browser() -> None:
    o = org()
    client, m = signed_in(o, "operator")
    client.defaults["HTTP_USER_AGENT"] = "Firefox de prueba"
    client.post(reverse("beneficiaries:new"), application())
    b = Beneficiary.objects.get(organization=o)
    client.post(reverse("beneficiaries:approve", args=[b.pk]))
    client.post(reverse("beneficiaries:deactivate", args=[b.pk]), {"reason": "Se mudó"})
    events = AuditEvent.objects.filter(object_type="beneficiary", object_id=str(b.pk))
    assert [e.action for e in events.order_by("seq")] == [
        "beneficiary.created",
        "beneficiary.approved",
        "beneficiary.deactivated",
    ]
    for e in events:
        assert e.actor == f"user:{m.user.pk}:{m.user.email}"
        assert e.data["ip"] == "127.0.0.1" and e.data["user_agent"] == "Firefox de prueba"
