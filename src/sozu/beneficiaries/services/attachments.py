"""Documents attached to an application: PDF, JPEG or PNG, recognized by their content."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary, BeneficiaryAttachment
from sozu.errors import SozuError

K = BeneficiaryAttachment.Kind
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
#: The first bytes of each accepted type, and the extensions a file of that type may have.
MAGIC: dict[str, bytes] = {
    K.PDF: b"%PDF-",
    K.JPEG: b"\xff\xd8\xff",
    K.PNG: b"\x89PNG\r\n\x1a\n",
}
EXTENSIONS: dict[str, str] = {".pdf": K.PDF, ".jpg": K.JPEG, ".jpeg": K.JPEG, ".png": K.PNG}
STORED_EXTENSION: dict[str, str] = {K.PDF: ".pdf", K.JPEG: ".jpg", K.PNG: ".png"}


def sniff_type(head: bytes) -> str | None:
    for kind, magic in MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def _display_name(name: str) -> str:
    # Only the last path component, without control characters, for display.
    base = PurePath(name.replace("\\", "/")).name
    return "".join(ch for ch in base if ch.isprintable())[:200] or "archivo"


@dataclass(frozen=True)
class CheckedFile:
    """An accepted document, read into memory: its display name, type and bytes."""

    name: str
    content_type: str
    data: bytes


def attachment_check(*, name: str, content: IO[bytes]) -> CheckedFile:
    """Read and check a document without storing it (a form checks every file first, so
    that a bad one refuses the whole application before anything is saved).

    Refused unless it is a PDF, JPEG or PNG by content and by name, not empty and at most
    MAX_ATTACHMENT_BYTES; at most one byte over the limit is read.
    """
    shown = _display_name(name)
    data = content.read(MAX_ATTACHMENT_BYTES + 1)
    if not data:
        raise SozuError("attachment_empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise SozuError("attachment_too_large", max_mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    claimed = EXTENSIONS.get(PurePath(shown).suffix.lower())
    actual = sniff_type(data[:16])
    if claimed is None or actual is None:
        raise SozuError("attachment_type_not_allowed", name=shown)
    if claimed != actual:
        raise SozuError(
            "attachment_content_mismatch", name=shown, extension=PurePath(shown).suffix.lower()
        )
    return CheckedFile(shown, actual, data)


def beneficiary_attachment_add(
    *,
    beneficiary: Beneficiary,
    name: str,
    content: IO[bytes] | CheckedFile,
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> BeneficiaryAttachment:
    """Store a document of hers; refused (nothing stored) as `attachment_check` says.

    `content` is any binary file object (e.g. Django's UploadedFile), or a file that
    `attachment_check` already accepted.
    """
    checked = (
        content
        if isinstance(content, CheckedFile)
        else attachment_check(name=name, content=content)
    )
    shown, actual, data = checked.name, checked.content_type, checked.data
    attachment = BeneficiaryAttachment(
        beneficiary=beneficiary,
        original_name=shown,
        content_type=actual,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    # The file is written first; if the row cannot be saved the file is removed again.
    attachment.file.save(
        f"{uuid.uuid4().hex}{STORED_EXTENSION[actual]}", ContentFile(data), save=False
    )
    try:
        with transaction.atomic():
            attachment.save()
            audit_record(
                organization_id=beneficiary.organization_id,
                entry=Entry(
                    actor,
                    "beneficiary.attachment_added",
                    "beneficiary",
                    beneficiary.pk,
                    {
                        "attachment": attachment.pk,
                        "name": shown,
                        "type": actual,
                        "size": len(data),
                        "sha256": attachment.sha256,
                        **(context or {}),
                    },
                ),
            )
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


def beneficiary_attachment_remove(
    *,
    attachment: BeneficiaryAttachment,
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Remove a document (uploaded by mistake); the audit keeps its name and checksum."""
    with transaction.atomic():
        att = BeneficiaryAttachment.objects.select_for_update().get(pk=attachment.pk)
        beneficiary = att.beneficiary
        audit_record(
            organization_id=beneficiary.organization_id,
            entry=Entry(
                actor,
                "beneficiary.attachment_removed",
                "beneficiary",
                beneficiary.pk,
                {
                    "attachment": att.pk,
                    "name": att.original_name,
                    "sha256": att.sha256,
                    **(context or {}),
                },
            ),
        )
        name = att.file.name
        att.delete()
    # The file goes only once the row is gone for good.
    att.file.storage.delete(name)
