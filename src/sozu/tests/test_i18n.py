"""The Spanish translation: complete, placeholders intact, and compiled (.mo matches .po)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.utils import translation

from sozu import errors
from sozu.errors import SozuError

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
LOCALE_DIR = Path(settings.LOCALE_PATHS[0]) / "es" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"


def _template(code: str, language: str) -> str:
    with translation.override(language):
        return str(errors.MESSAGES[code][0])


def _dummy_params(code: str) -> dict[str, Any]:
    names = PLACEHOLDER.findall(_template(code, "en"))
    return {name: f"<{name}-value>" for name in names}


def _render(code: str, language: str) -> str:
    with translation.override(language):
        return SozuError(code, **_dummy_params(code)).message


@pytest.mark.parametrize("code", sorted(errors.MESSAGES))
def test_every_error_message_is_translated_and_filled(code: str) -> None:
    params = _dummy_params(code)
    english = _render(code, "en")
    spanish = _render(code, "es")

    for text in (english, spanish):
        assert text.strip()
        assert "%(" not in text, text
        for value in params.values():
            assert value in text, f"{value} missing from {text!r}"
    assert spanish != english, f"{code} is not translated into Spanish"
    # The Spanish template uses exactly the English placeholders, no more, no fewer.
    assert sorted(PLACEHOLDER.findall(_template(code, "es"))) == sorted(params)


@pytest.mark.parametrize(
    ("code", "params", "spanish", "english"),
    [
        (
            "op_no_trust",
            {},
            "El destino no tiene una línea de confianza (trustline) de USDC.",
            "The destination has no USDC trustline.",
        ),
        (
            "op_underfunded",
            {},
            "La billetera de la organización no tiene USDC suficientes.",
            "The organization's wallet does not have enough USDC.",
        ),
        (
            "invalid_address",
            {"address": "GABC"},
            "La dirección “GABC” no es una dirección Stellar válida (G… o M…).",
            "“GABC” is not a valid Stellar address (G… or M…).",
        ),
        (
            "org_underfunded",
            {"available": "10", "needed": "25"},
            "La billetera de la organización tiene 10 USDC disponibles; se necesitan 25.",
            "The organization's wallet has 10 USDC available; 25 are needed.",
        ),
        (
            "too_many_lines",
            {"count": 30000, "max": 20000},
            "El lote tiene 30000 líneas; el máximo es 20000.",
            "The batch has 30000 lines; the maximum is 20000.",
        ),
    ],
)
def test_key_messages(code: str, params: dict[str, Any], spanish: str, english: str) -> None:
    with translation.override("es"):
        assert SozuError(code, **params).message == spanish
    with translation.override("en"):
        assert SozuError(code, **params).message == english


def test_default_language_is_argentinian_spanish() -> None:
    assert settings.LANGUAGE_CODE == "es-ar"
    with translation.override(settings.LANGUAGE_CODE):
        assert SozuError("amount_missing").message == "Falta el monto."
        assert SozuError("amount_missing").as_dict()["message"] == "Falta el monto."


def test_model_labels_are_translated() -> None:
    from sozu.disbursements.models import Batch, Payout

    with translation.override("es"):
        assert str(Batch.Status.PARTIALLY_PAID.label) == "Pagado parcialmente"
        assert str(Payout.Status.IN_FLIGHT.label) == "En curso"
    with translation.override("en"):
        assert str(Batch.Status.PARTIALLY_PAID.label) == "Partially paid"


def _po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_po_is_complete_and_has_no_fuzzy_entries() -> None:
    po = _po()
    assert po.metadata["Language"] == "es"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    entries = [e for e in po if not e.obsolete]
    assert entries, "the catalog is empty"
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []
    assert [e.msgid for e in po.untranslated_entries()] == []


def test_po_translations_keep_placeholders() -> None:
    for entry in _po():
        if entry.obsolete:
            continue
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == expected, entry.msgid


def _catalog(entries: list[polib.POEntry] | list[polib.MOEntry]) -> dict[tuple[str, str], object]:
    catalog: dict[tuple[str, str], object] = {}
    for e in entries:
        if e.msgid == "" or e.obsolete or "fuzzy" in e.flags:
            continue  # the header changes with every makemessages run; it holds no text
        value: object = e.msgstr
        if e.msgid_plural:
            value = (e.msgid_plural, tuple(sorted(e.msgstr_plural.items())))
        if value:
            catalog[(e.msgctxt or "", e.msgid)] = value
    return catalog


def test_mo_is_compiled_from_the_current_po() -> None:
    """`sozu compilemessages` was run after the last edit of the .po (both are committed)."""
    assert MO_PATH.exists(), "run `sozu compilemessages` from src/sozu and commit the .mo"
    po_catalog = _catalog(list(_po()))
    mo_catalog = _catalog(list(polib.mofile(str(MO_PATH))))
    stale = {k: v for k, v in po_catalog.items() if mo_catalog.get(k) != v}
    extra = sorted(set(mo_catalog) - set(po_catalog))
    assert not stale and not extra, (
        "django.mo is out of date: run `sozu compilemessages` from src/sozu. "
        f"Differs: {sorted(stale)[:5]}; only in .mo: {extra[:5]}"
    )
