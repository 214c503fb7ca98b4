"""Append-only, hash-chained audit log: who did what, when, and with which transaction."""

from __future__ import annotations

from django.db import models


class ChainHead(models.Model):
    """The last link of one organization's chain; locked to append in order."""

    organization = models.OneToOneField(
        "orgs.Organization", null=True, on_delete=models.PROTECT, related_name="audit_head"
    )
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain head {self.organization_id}: {self.last_seq}"


class AuditEvent(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", null=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    seq = models.BigIntegerField()
    created_at = models.DateTimeField()
    actor = models.CharField(max_length=120)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    tx_hash = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["organization_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "seq"], name="audit_unique_seq"),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.object_type}:{self.object_id}"
