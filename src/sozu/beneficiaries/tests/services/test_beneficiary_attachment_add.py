"""Attaching her signed application or a photo: PDF, JPEG or PNG by content, at most 5 MB."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import BeneficiaryAttachment
from sozu.beneficiaries.services import (
    MAX_ATTACHMENT_BYTES,
    beneficiary_attachment_add,
    beneficiary_attachment_remove,
)
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("solicitud firmada.pdf", PDF, "application/pdf"),
        ("DNI frente.JPG", JPEG, "image/jpeg"),
        ("foto.jpeg", JPEG, "image/jpeg"),
        ("local.png", PNG, "image/png"),
    ],
)
def test_a_document_is_stored_under_media_with_a_random_name(media, name, data, kind) -> None:
    b = BeneficiaryFactory.create()

    att = beneficiary_attachment_add(
        beneficiary=b, name=name, content=SimpleUploadedFile(name, data), actor="user:4"
    )

    att.refresh_from_db()
    assert (att.original_name, att.content_type, att.size) == (name, kind, len(data))
    stored = Path(att.file.path)
    assert stored.is_relative_to(media / "beneficiaries" / str(b.organization_id))
    assert name not in stored.name
    assert stored.read_bytes() == data
    event = AuditEvent.objects.get(action="beneficiary.attachment_added")
    assert event.data["attachment"] == att.pk and event.data["sha256"] == att.sha256


def test_a_path_in_the_file_name_is_only_shown_never_used(media) -> None:
    b = BeneficiaryFactory.create()
    att = beneficiary_attachment_add(
        beneficiary=b, name="../../etc/solicitud.pdf", content=io.BytesIO(PDF), actor="u"
    )
    assert att.original_name == "solicitud.pdf"
    assert Path(att.file.path).is_relative_to(media)


@pytest.mark.parametrize(
    ("name", "data", "code", "spanish"),
    [
        ("vacío.pdf", b"", "attachment_empty", "El archivo está vacío."),
        (
            "planilla.xlsx",
            b"PK\x03\x04" + b"\x00" * 20,
            "attachment_type_not_allowed",
            "“planilla.xlsx” no es un archivo PDF, JPEG ni PNG; solo se aceptan esos tipos.",
        ),
        (
            "virus.pdf",
            b"MZ\x90\x00" + b"\x00" * 20,  # a Windows program named .pdf
            "attachment_type_not_allowed",
            "“virus.pdf” no es un archivo PDF, JPEG ni PNG; solo se aceptan esos tipos.",
        ),
        (
            "foto.png",
            JPEG,
            "attachment_content_mismatch",
            "El contenido de “foto.png” no corresponde a su extensión (.png).",
        ),
        (
            "sin-extension",
            PDF,
            "attachment_type_not_allowed",
            "“sin-extension” no es un archivo PDF, JPEG ni PNG; solo se aceptan esos tipos.",
        ),
    ],
)
def test_other_files_are_refused_in_spanish_and_nothing_is_stored(
    media, name, data, code, spanish
) -> None:
    b = BeneficiaryFactory.create()

    with pytest.raises(SozuError) as exc:
        beneficiary_attachment_add(beneficiary=b, name=name, content=io.BytesIO(data), actor="u")

    assert exc.value.code == code
    with translation.override("es"):
        assert exc.value.message == spanish
    assert not BeneficiaryAttachment.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_file_over_the_limit_is_refused(media) -> None:
    b = BeneficiaryFactory.create()
    big = PDF + b"0" * MAX_ATTACHMENT_BYTES

    with pytest.raises(SozuError) as exc:
        beneficiary_attachment_add(
            beneficiary=b, name="big.pdf", content=io.BytesIO(big), actor="u"
        )

    assert exc.value.code == "attachment_too_large"
    with translation.override("es"):
        assert exc.value.message == "El archivo pesa más de 5 MB."
    assert not BeneficiaryAttachment.objects.exists()


def test_without_media_root_files_go_to_var_dir_media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = ""
    settings.VAR_DIR = tmp_path
    b = BeneficiaryFactory.create()
    att = beneficiary_attachment_add(
        beneficiary=b, name="a.pdf", content=io.BytesIO(PDF), actor="u"
    )
    assert Path(att.file.path).is_relative_to(tmp_path / "media")


def test_a_document_uploaded_by_mistake_is_removed_with_its_file_and_audited(media) -> None:
    b = BeneficiaryFactory.create()
    att = beneficiary_attachment_add(
        beneficiary=b, name="a.pdf", content=io.BytesIO(PDF), actor="u"
    )
    path = Path(att.file.path)

    beneficiary_attachment_remove(attachment=att, actor="user:4")

    assert not path.exists()
    assert not BeneficiaryAttachment.objects.exists()
    event = AuditEvent.objects.get(action="beneficiary.attachment_removed")
    assert (event.actor, event.data["name"]) == ("user:4", "a.pdf")
