from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One append-only, hash-chained audit entry.

    ``seq`` is the entry's position in the chain (no gaps); ``entry_hash`` is
    SHA-256 over the canonical JSON of the entry including ``prev_hash``. The
    database refuses UPDATE, DELETE and TRUNCATE on this table (triggers), and
    ``opennrm audit verify`` recomputes the chain. Entries hold ids, never a
    victim's personal data.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    user_id = models.BigIntegerField(null=True)
    username = models.CharField(max_length=150)
    agency_id = models.BigIntegerField(null=True)
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32)
    object_ref = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_ref}"


class AuditHead(models.Model):
    """Single row: the chain's last position and hash, locked by each writer."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.last_seq}"
