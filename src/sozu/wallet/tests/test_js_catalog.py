"""The wallet JS's messages: Django's JavaScript catalog (djangojs) in the page's language."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.test import Client

import sozu.wallet

LOCALE = Path(sozu.wallet.__file__).parent / "locale" / "es" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_the_djangojs_catalog_is_complete_and_compiled() -> None:
    po = polib.pofile(str(LOCALE / "djangojs.po"))
    entries = [e for e in po if not e.obsolete]
    assert entries and po.metadata["Language"] == "es"
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []
    assert [e.msgid for e in po.untranslated_entries()] == []
    for e in entries:
        texts = [e.msgstr] if not e.msgid_plural else list(e.msgstr_plural.values())
        for text in texts:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(e.msgid))
    mo = {(m.msgid, m.msgstr) for m in polib.mofile(str(LOCALE / "djangojs.mo")) if m.msgid}
    assert {(e.msgid, e.msgstr) for e in entries} <= mo, "run `sozu compilemessages`"


@pytest.mark.django_db
def test_the_catalog_url_names_its_language_and_pages_load_it_before_their_module() -> None:
    client = Client()
    spanish = client.get("/wallet/jsi18n/es/", HTTP_ACCEPT_LANGUAGE="en")
    assert spanish.status_code == 200
    assert spanish["Content-Type"].startswith("text/javascript")
    # (the catalog is JSON: "ó" is written \u00f3)
    assert '"Algo sali\\u00f3 mal. Prob\\u00e1 de nuevo."' in spanish.content.decode()
    english = client.get("/wallet/jsi18n/en/", HTTP_ACCEPT_LANGUAGE="es")
    assert english.status_code == 200
    assert "Prob" not in english.content.decode()
    assert client.get("/wallet/jsi18n/fr/").status_code == 404

    page = client.get("/wallet/recuperar/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.index('src="/wallet/jsi18n/en/"') < page.index('type="module"')
    page = client.get("/wallet/recuperar/").content.decode()  # Spanish by default (es-ar)
    assert 'src="/wallet/jsi18n/es/"' in page
