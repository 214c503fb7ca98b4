"""An operator imports beneficiaries from a spreadsheet: preview every row, then confirm."""

from __future__ import annotations

import pytest
from django.utils import translation
from tests.factories import BeneficiaryFactory, OrganizationFactory, cuil_for, random_address

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services import (
    MAX_IMPORT_ROWS,
    beneficiary_import_confirm,
    beneficiary_import_preview,
)
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db


def csv_bytes(header: str, *rows: str, sep: str = ",", bom: bool = False) -> bytes:
    text = "\n".join([header.replace(",", sep), *rows]) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def messages(row) -> list[str]:
    with translation.override("es"):
        return [e.message for e in row.errors]


def test_a_spanish_excel_file_with_bom_and_semicolons_previews_and_saves_each_ok_row() -> None:
    org = OrganizationFactory.create()
    a1, a2 = random_address(), random_address()
    data = csv_bytes(
        "Nombre;DNI;Teléfono;Dirección Stellar;Localidad;Actividad;Notas;Color favorito",
        f"Ana Quispe;30.111.222;0387 15-555-0101;{a1};Salta;Panadería;;azul",
        f"Beatriz Ruiz;{cuil_for('28234567')};+54 9 11 5555-0102;{a2};Jujuy;Costura;nueva;",
        sep=";",
        bom=True,
    )

    preview = beneficiary_import_preview(organization=org, data=data)

    assert [r.ok for r in preview.rows] == [True, True]
    assert preview.ignored_columns == ("Color favorito",)
    assert preview.rows[0].values["phone"] == "+5493875550101"
    assert not Beneficiary.objects.exists()  # the preview saves nothing

    saved = beneficiary_import_confirm(
        organization=org, data=data, fingerprint=preview.fingerprint, actor="user:3"
    )

    assert sorted(b.full_name for b in saved) == ["Ana Quispe", "Beatriz Ruiz"]
    rows = Beneficiary.objects.filter(organization=org).order_by("full_name")
    assert [(b.national_id, b.status, b.locality) for b in rows] == [
        ("30111222", "applied", "Salta"),
        (cuil_for("28234567"), "applied", "Jujuy"),
    ]
    assert AuditEvent.objects.filter(action="beneficiary.created", actor="user:3").count() == 2


def test_english_headers_in_any_case_with_commas() -> None:
    org = OrganizationFactory.create()
    data = csv_bytes("FULL NAME,National ID,Address,phone", f"Ana,30111222,{random_address()},")
    preview = beneficiary_import_preview(organization=org, data=data)
    assert [r.ok for r in preview.rows] == [True]


def test_each_bad_row_says_what_is_wrong_in_spanish_and_only_ok_rows_are_saved() -> None:
    org = OrganizationFactory.create()
    taken = BeneficiaryFactory.create(organization=org, national_id="25000111")
    good, dup = random_address(), random_address()
    data = csv_bytes(
        "nombre,dni,telefono,direccion stellar",
        f"Ana Quispe,30111222,,{good}",  # line 2: OK
        f"Bea,20-12345678-5,,{random_address()}",  # 3: bad check digit
        f"Carla,31222333,011 4321-1234,{random_address()}",  # 4: ambiguous phone
        "Dora,32333444,,GNOPE",  # 5: bad address
        f"Eva,30.111.222,,{dup}",  # 6: same DNI as line 2
        f"Fabi,25000111,,{random_address()}",  # 7: DNI already in the organization
        f"Gabi,33444555,,{taken.stellar_address}",  # 8: address already in the organization
        f"Hilda,34555666,,{good}",  # 9: same address as line 2
        f"Ines,35666777,,{random_address()},extra",  # 10: one field too many
    )

    preview = beneficiary_import_preview(organization=org, data=data)

    by_line = {r.line: r for r in preview.rows}
    assert [r.line for r in preview.ok_rows] == [2]
    assert messages(by_line[3]) == ["El dígito verificador del CUIL “20-12345678-5” es incorrecto."]
    assert messages(by_line[4])[0].startswith("Escribí el teléfono “011 4321-1234”")
    assert messages(by_line[5]) == [
        "La dirección “GNOPE” no es una dirección Stellar válida (G… o M…)."
    ]
    assert messages(by_line[6]) == ["Repite el campo DNI/CUIL de la línea 2."]
    assert messages(by_line[7]) == [
        "Ya existe una beneficiaria con el DNI/CUIL 25000111 en esta organización."
    ]
    assert [e.code for e in by_line[8].errors] == ["beneficiary_exists"]
    assert messages(by_line[9]) == ["Repite el campo dirección Stellar de la línea 2."]
    assert messages(by_line[10]) == ["La línea 10 tiene más campos que el encabezado (4)."]

    saved = beneficiary_import_confirm(
        organization=org, data=data, fingerprint=preview.fingerprint, actor="user:3"
    )
    assert [b.full_name for b in saved] == ["Ana Quispe"]
    assert Beneficiary.objects.filter(organization=org).count() == 2


def test_confirm_refuses_when_someone_registered_a_row_in_between_and_saves_nothing() -> None:
    org = OrganizationFactory.create()
    data = csv_bytes(
        "nombre,dni,direccion",
        f"Ana,30111222,{random_address()}",
        f"Bea,31222333,{random_address()}",
    )
    preview = beneficiary_import_preview(organization=org, data=data)
    BeneficiaryFactory.create(organization=org, national_id="31222333")  # meanwhile

    with pytest.raises(SozuError) as exc:
        beneficiary_import_confirm(
            organization=org, data=data, fingerprint=preview.fingerprint, actor="u"
        )

    assert exc.value.code == "import_changed"
    assert Beneficiary.objects.filter(organization=org).count() == 1
    assert not AuditEvent.objects.exists()


def test_confirm_refuses_another_file_than_the_one_previewed() -> None:
    org = OrganizationFactory.create()
    shown = csv_bytes("nombre,dni,direccion", f"Ana,30111222,{random_address()}")
    other = csv_bytes("nombre,dni,direccion", f"Ana,30111223,{random_address()}")
    fingerprint = beneficiary_import_preview(organization=org, data=shown).fingerprint
    with pytest.raises(SozuError) as exc:
        beneficiary_import_confirm(organization=org, data=other, fingerprint=fingerprint, actor="u")
    assert exc.value.code == "import_changed"
    assert not Beneficiary.objects.exists()


def test_a_file_with_only_bad_rows_has_nothing_to_save() -> None:
    org = OrganizationFactory.create()
    data = csv_bytes("nombre,dni,direccion", "Ana,123,GNOPE")
    preview = beneficiary_import_preview(organization=org, data=data)
    with pytest.raises(SozuError) as exc:
        beneficiary_import_confirm(
            organization=org, data=data, fingerprint=preview.fingerprint, actor="u"
        )
    assert exc.value.code == "import_nothing_to_save"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"nombre,dni,direccion\nAna,30111222,G\x00A\n", "csv_nul_bytes"),
        ("nombre,dni,dirección\n".encode("latin-1"), "csv_not_utf8"),
        (b"\xef\xbb\xbf  \n", "csv_empty"),
        (b"nombre,dni\nAna,30111222\n", "csv_missing_column"),
        (b"Nombre,DNI,nombre,direccion\n", "csv_duplicate_column"),
        (b"nombre,dni,cuil,direccion\n", "csv_duplicate_column"),  # two names for one field
        (b"nombre,dni,direccion\n" + b"x" * (2 * 1024 * 1024), "file_too_large"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data: bytes, code: str) -> None:
    org = OrganizationFactory.create()
    with pytest.raises(SozuError) as exc:
        beneficiary_import_preview(organization=org, data=data)
    assert exc.value.code == code
    with translation.override("es"):
        assert exc.value.message and exc.value.message != code


def test_too_many_rows_are_refused() -> None:
    org = OrganizationFactory.create()
    rows = [f"P{i},{30_000_000 + i},G" for i in range(MAX_IMPORT_ROWS + 1)]
    with pytest.raises(SozuError) as exc, translation.override("es"):
        beneficiary_import_preview(organization=org, data=csv_bytes("nombre,dni,direccion", *rows))
    assert (
        exc.value.message
        == f"El archivo tiene {MAX_IMPORT_ROWS + 1} filas; el máximo es {MAX_IMPORT_ROWS}."
    )


def test_confirming_twice_saves_once() -> None:
    org = OrganizationFactory.create()
    data = csv_bytes("nombre,dni,direccion", f"Ana,30111222,{random_address()}")
    preview = beneficiary_import_preview(organization=org, data=data)
    beneficiary_import_confirm(
        organization=org, data=data, fingerprint=preview.fingerprint, actor="u"
    )

    with pytest.raises(SozuError) as exc:
        beneficiary_import_confirm(
            organization=org, data=data, fingerprint=preview.fingerprint, actor="u"
        )

    assert exc.value.code == "import_changed"
    assert Beneficiary.objects.filter(organization=org).count() == 1
