"""Casework records beside a case: who works on it, notes and contacts, the assistance
plan, and attachments. What a user may see or write here is decided by
``opennrm.cases.selectors.case_access_for`` from the policy table (fields ``assignment``,
``notes``, ``plan``, ``attachments``; actions ``assign``, ``note``, ``plan``, ``attach``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opennrm.accounts.models import Agency, User
from opennrm.cases.models import Case
from opennrm.crypto.fields import EncryptedTextField
from opennrm.directory.models import ServiceType


class Assignment(models.Model):
    """The person of one agency who works on a case (one per case and agency: the owner's
    and, for its part, the NRM-referral agency's)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], name="assignment_one_per_agency")
        ]
        indexes = [models.Index(fields=["user", "case"], name="assignment_user_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.user_id}"


class ContactChannel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    MESSAGE = "message", _("Message")
    EMAIL = "email", _("E-mail")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


class NoteKind(models.TextChoices):
    NOTE = "note", _("Case note")
    CONTACT = "contact", _("Contact")


class Note(models.Model):
    """A case note or a contact-log entry (``kind``); contacts carry date, channel, with whom.

    ``text`` and ``contact_with`` are encrypted at rest (``opennrm.crypto.fields``): the
    database cannot search them (no substring or exact lookup; only ``isnull``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=16, choices=NoteKind.choices)
    text = EncryptedTextField(_("note"))
    contact_on = models.DateField(_("date of contact"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=ContactChannel.choices, blank=True
    )
    contact_with = EncryptedTextField(_("with whom"), max_length=200, blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    author_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "-created_at"], name="note_case_idx")]

    def __str__(self) -> str:
        return f"note {self.pk}"


class PlanItemKind(models.TextChoices):
    NEED = "need", _("Need")
    GOAL = "goal", _("Goal")
    SERVICE = "service", _("Service delivered")


class PlanItem(models.Model):
    """One line of the assistance plan: a need (a service type), a goal, or a service
    delivered with its dates."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plan_items")
    kind = models.CharField(max_length=16, choices=PlanItemKind.choices)
    service_type = models.CharField(
        _("type of service"), max_length=32, choices=ServiceType.choices, blank=True
    )
    text = EncryptedTextField(_("description"), max_length=500, blank=True)
    target_on = models.DateField(_("target date"), null=True, blank=True)
    started_on = models.DateField(pgettext_lazy("date range", "from"), null=True, blank=True)
    ended_on = models.DateField(pgettext_lazy("date range", "to"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "kind"], name="planitem_case_idx")]

    def __str__(self) -> str:
        return f"plan item {self.pk}"


class AttachmentKind(models.TextChoices):
    CONSENT = "consent", _("Signed consent")
    DOCUMENT = "document", _("Document scan")
    INTERVIEW = "interview", _("Interview record")
    OTHER = "other", _("Other")


class Attachment(models.Model):
    """A file of the case, stored encrypted (Fernet) under ``OPENNRM_DATA_DIR/attachments``."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=16, choices=AttachmentKind.choices)
    # as the uploader named it, cleaned ("passport_<name>.pdf" names the person): encrypted
    filename = EncryptedTextField(_("file name"))
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=80, unique=True)
    scanned = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "-created_at"], name="attachment_case_idx")]

    def __str__(self) -> str:
        return f"attachment {self.pk}"
