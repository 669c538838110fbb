from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import Agency, User
from opennrm.cases.models import Case


class ScreeningStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")


MODE_LABEL = _("Interview")


class ScreeningMode(models.TextChoices):
    """Chosen by the officer at the start (see ``opennrm.screening.Mode``)."""

    SHORT = "short", _("Short: first contact, the deciding questions only")
    FULL = "full", _("Full: formal interview, every question")


class Screening(models.Model):
    """One indicator screening: the answers, the catalogue version and the explained outcome.

    A draft belongs to the responder who started it; once attached to a case it is
    visible to whoever may see the case.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    set_id = models.CharField(_("indicator set"), max_length=32)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    interviewee_language = models.CharField(_("interviewee's language"), max_length=8, blank=True)
    answers = models.JSONField(default=dict)
    mode = models.CharField(
        _("interview"), max_length=8, choices=ScreeningMode.choices, default=ScreeningMode.FULL
    )
    status = models.CharField(
        max_length=16, choices=ScreeningStatus.choices, default=ScreeningStatus.DRAFT
    )
    catalogue_version = models.CharField(max_length=16)
    outcome = models.CharField(max_length=32, blank=True)
    result = models.JSONField(default=dict, blank=True)
    forced_criminality = models.BooleanField(default=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="screenings"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"screening {self.public_id}"
