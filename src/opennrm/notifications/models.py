from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import User
from opennrm.notifications.kinds import Kind, kind_label, render_sentence


class Notification(models.Model):
    """One message to one user. No text is stored: what the reader sees is rendered from
    ``kind`` and ``params`` (codes, dates, counts) in the reader's language."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    # the pseudonymous case reference; shown only while the reader may still see the case
    case_reference = models.CharField(_("case reference"), max_length=16, blank=True)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # the same reminder is never created twice for one recipient
    dedupe_key = models.CharField(_("de-duplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe_per_recipient",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.pk} ({self.kind})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def text(self) -> str:
        """The sentence in the active language."""
        return render_sentence(self.kind, self.params)
