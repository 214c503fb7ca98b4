"""List pages run a fixed number of queries; another organization's ids answer 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.factories import BatchFactory, BeneficiaryFactory

from sozu.disbursements.models import Batch, Payout
from sozu.orgs.models import Organization
from sozu.web.tests.helpers import TOTP_SECRET, org, staff

pytestmark = pytest.mark.django_db


def add_rows(o: Organization, n: int) -> Batch:
    """A batch of n lines to n beneficiaries, half paid (with a hash), and n single payouts."""
    batch = BatchFactory.create(organization=o, line_count=n, total_amount=Decimal(n))
    people = BeneficiaryFactory.create_batch(n, organization=o)
    rows = []
    for i, b in enumerate(people):
        paid = i % 2 == 0
        for in_batch in (True, False):
            rows.append(
                Payout(
                    organization=o,
                    batch=batch if in_batch else None,
                    line_number=i + 1,
                    beneficiary=b,
                    destination=b.stellar_address,
                    amount=Decimal("1.5"),
                    status=Payout.Status.PAID if paid else Payout.Status.FAILED,
                    failure_code="" if paid else "op_no_trust",
                    tx_hash=f"{i:064x}" if paid else "",
                    created_by="user:1",
                )
            )
    Payout.objects.bulk_create(rows)
    BatchFactory.create_batch(n, organization=o)
    return batch


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
        assert r.status_code == 200, url
        r.content  # noqa: B018 - render everything
    return len(ctx.captured_queries)


def viewer(o: Organization) -> Client:
    client = Client()
    client.force_login(staff(o, "viewer").user)
    return client


def test_list_pages_run_the_same_queries_for_5_and_50_rows():
    small, big = org(), org()
    small_batch, big_batch = add_rows(small, 5), add_rows(big, 50)
    pages = [
        ("batches:list", ()),
        ("batches:detail", ("batch",)),
        ("payouts:list", ()),
        ("batches:pick", ()),
    ]
    for name, args in pages:
        counts = []
        for o, batch in ((small, small_batch), (big, big_batch)):
            client = viewer(o) if name != "batches:pick" else operator(o)
            url = reverse(name, args=[batch.pk] if args else [])
            client.get(url)  # warm the session and the membership lookups
            counts.append(queries(client, url))
        assert counts[0] == counts[1], (name, counts)


def operator(o: Organization) -> Client:
    client = Client()
    client.force_login(staff(o, "operator").user)
    return client


def test_payouts_are_filtered_by_status_kind_and_batch():
    o = org()
    batch = add_rows(o, 4)
    client = viewer(o)
    page = client.get(reverse("payouts:list"), {"status": "failed", "kind": "batch"})
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("La red rechazó") == 0  # op_no_trust is not that message
    ids = {p.pk for p in page.context["page"]}
    expected = set(
        Payout.objects.filter(organization=o, batch=batch, status="failed").values_list(
            "pk", flat=True
        )
    )
    assert ids == expected and len(ids) == 2
    assert "El destino no tiene una línea de confianza (trustline) de USDC." in body
    # "Todos" (estados, tipos, lotes), not the "Todas" of beneficiarias nor an English "All".
    assert body.count('<option value="">Todos</option>') == 2 and ">All<" not in body
    batches = client.get(reverse("batches:list")).content.decode()
    assert '<option value="">Todos</option>' in batches


def test_another_organizations_batch_and_payout_answer_404():
    mine, other = org(), org()
    theirs = add_rows(other, 2)
    their_payout = theirs.lines.get(line_number=1)
    b = BeneficiaryFactory.create(organization=other)
    client = Client()
    client.force_login(staff(mine, "operator", totp_secret=TOTP_SECRET).user)
    gets = [
        reverse("batches:detail", args=[theirs.pk]),
        reverse("batches:export", args=[theirs.pk]),
        reverse("payouts:detail", args=[their_payout.pk]),
        reverse("payouts:new", args=[b.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for action in ("submit", "cancel", "pause"):
        url = reverse(f"batches:{action}", args=[theirs.pk])
        assert client.post(url).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.status == "validated" and theirs.submitted_at is None
    # Their rows never show on our lists.
    assert their_payout.destination not in client.get(reverse("payouts:list")).content.decode()
    assert f"#{theirs.pk} " not in client.get(reverse("batches:list")).content.decode()


def test_a_beneficiary_of_another_org_is_not_in_the_picking_list():
    mine, other = org(), org()
    BeneficiaryFactory.create(organization=mine, full_name="Ana Mía")
    BeneficiaryFactory.create(organization=other, full_name="Berta Ajena")
    BeneficiaryFactory.create(organization=mine, full_name="Carla Pendiente", status="applied")
    body = operator(mine).get(reverse("batches:pick")).content.decode()
    assert "Ana Mía" in body
    assert "Berta Ajena" not in body and "Carla Pendiente" not in body


def test_the_pages_speak_english_to_an_english_browser():
    o = org()
    add_rows(o, 2)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff(o, "viewer").user)
    assert "New batch" not in client.get(reverse("batches:list")).content.decode()  # viewer
    body = client.get(reverse("batches:list")).content.decode()
    assert "<h1>Batches</h1>" in body and "Lotes</h1>" not in body
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    spanish.force_login(staff(o, "viewer").user)
    assert "<h1>Lotes</h1>" in spanish.get(reverse("batches:list")).content.decode()


def test_filtering_payouts_with_htmx_answers_only_the_results():
    o = org()
    add_rows(o, 3)
    client = viewer(o)
    url = reverse("payouts:list")
    r = client.get(url, {"status": "paid"}, headers={"HX-Request": "true"})
    body = r.content.decode()
    assert r.status_code == 200
    assert body.lstrip().startswith('<div id="results"') and "<html" not in body
    assert body.count('href="/pagos/') == len(r.context["page"].object_list) == 2 * 2
    full = client.get(url, {"status": "paid"}).content.decode()
    assert "<html" in full and 'hx-target="#results"' in full


def test_the_batch_lines_pager_and_filters_answer_only_the_lines_with_htmx():
    o = org()
    batch = add_rows(o, 60)  # two pages of 50 lines
    client = viewer(o)
    url = reverse("batches:detail", args=[batch.pk])
    full = client.get(url).content.decode()
    # Without JS the pager and the filters are plain links to the whole page.
    assert 'href="?page=2"' in full and 'href="?status=failed"' in full
    assert 'hx-get="?page=2" hx-target="#lines" hx-swap="outerHTML" hx-push-url="true"' in full
    assert 'hx-target="#lines"' in full.split('href="?status=failed"', 1)[1].split(">", 1)[0]
    r = client.get(url, {"page": "2"}, headers={"HX-Request": "true", "HX-Target": "lines"})
    body = r.content.decode()
    assert r.status_code == 200
    assert body.lstrip().startswith('<section id="lines"') and "<html" not in body
    assert 'id="live"' not in body and "Página 2 de 2" in body
    assert [p.line_number for p in r.context["page"]] == list(range(51, 61))
    r = client.get(url, {"status": "paid"}, headers={"HX-Request": "true", "HX-Target": "lines"})
    assert {p.status for p in r.context["page"]} == {"paid"}
    assert 'href="?status=paid&amp;page=2"' not in r.content.decode()  # 30 paid: one page
    # The live poll (target #live) still gets the whole live part, lines included.
    live = client.get(url, {"page": "2"}, headers={"HX-Request": "true", "HX-Target": "live"})
    assert live.content.decode().lstrip().startswith('<div id="live"')
    assert 'id="lines"' in live.content.decode()
    # htmx rebuilding a page missing from its history cache gets the whole page.
    restore = client.get(
        url, {"page": "2"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()
