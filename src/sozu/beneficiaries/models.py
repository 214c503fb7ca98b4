"""Beneficiaries (emprendedoras): one Stellar address each, with contact details."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Beneficiary(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="beneficiaries"
    )
    full_name = models.CharField(max_length=200)
    stellar_address = models.CharField(max_length=56)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    national_id = models.CharField(max_length=20, blank=True, help_text=_("DNI / CUIT"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "stellar_address"], name="one_beneficiary_per_address"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name
