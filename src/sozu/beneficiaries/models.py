"""Beneficiaries (emprendedoras): their application, one Stellar address each, attachments."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class Beneficiary(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        INACTIVE = "inactive", _("Inactive")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="beneficiaries"
    )
    full_name = models.CharField(max_length=200)
    #: G… (account) or M… (muxed account), as validated by stellar_sdk.
    stellar_address = models.CharField(max_length=69)
    email = models.EmailField(blank=True)
    #: E.164 (+54…) for rows made through the services; older rows keep what was typed.
    phone = models.CharField(max_length=40, blank=True)
    #: DNI (7 or 8 digits) or CUIL/CUIT (11) as digits only.
    national_id = models.CharField(max_length=20, blank=True, help_text=_("DNI / CUIL"))
    #: Who the number names ("dni:01234567" for a DNI and for the CUIL that contains it), so
    #: that one person cannot be registered twice in an organization; blank on legacy rows.
    identity_key = models.CharField(max_length=20, blank=True)
    locality = models.CharField(max_length=120, blank=True)
    activity = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    rejection_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    #: Read from the network: the account exists and holds an authorized USDC trustline.
    #: None until first checked.
    ready_to_receive = models.BooleanField(null=True, blank=True)
    #: Why she cannot receive yet (a failure code such as destination_no_trustline), or "".
    readiness_code = models.CharField(max_length=60, blank=True)
    readiness_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "stellar_address"], name="one_beneficiary_per_address"
            ),
            models.UniqueConstraint(
                fields=["organization", "identity_key"],
                condition=~Q(identity_key=""),
                name="one_beneficiary_per_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "national_id"]),
            # Beneficiarias: the list by name, one page read from the index.
            models.Index(
                fields=["organization", "full_name", "id"], name="beneficiary_org_name_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class AttachmentStorage(FileSystemStorage):
    """Files under MEDIA_ROOT, or VAR_DIR/media when MEDIA_ROOT is not set (read when used)."""

    @cached_property
    def base_location(self) -> str:
        root = getattr(settings, "MEDIA_ROOT", "") or Path(settings.VAR_DIR) / "media"
        return str(root)


_storage = AttachmentStorage()


def attachment_storage() -> Storage:
    return _storage


def attachment_path(instance: BeneficiaryAttachment, filename: str) -> str:
    # The services pass a random name: what the user called the file is never a path.
    return f"beneficiaries/{instance.beneficiary.organization_id}/{filename}"


class BeneficiaryAttachment(models.Model):
    """A document of her application: the signed PDF, a photo of her DNI…"""

    class Kind(models.TextChoices):
        PDF = "application/pdf", "PDF"
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, storage=attachment_storage, max_length=200)
    #: The name it had on the user's device, for display only.
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40, choices=Kind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name
