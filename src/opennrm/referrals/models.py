from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import Agency, User
from opennrm.cases.models import Case, CaseGrant, Consent
from opennrm.cases.policy import AccessPurpose
from opennrm.crypto.fields import EncryptedTextField


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired (no answer in time)")


#: statuses in which the receiving agency still works with the person
OPEN_STATUSES = frozenset(
    {
        ReferralStatus.SENT,
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
    }
)
#: statuses that wait for the receiving agency's answer (the response deadline runs)
AWAITING_ANSWER = frozenset({ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED})
CLOSED_STATUSES = frozenset(
    {
        ReferralStatus.DECLINED,
        ReferralStatus.COMPLETED,
        ReferralStatus.WITHDRAWN,
        ReferralStatus.EXPIRED,
    }
)


class Referral(models.Model):
    """A person referred to one service, with the consent (or legal basis) it rests on and
    the grant that lets the receiving agency see what its sharing profile allows."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: what the service was when the referral was made (the directory can change later)
    service_name = models.CharField(_("service"), max_length=300)
    service_type = models.CharField(_("type of service"), max_length=32)
    sending_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    receiving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=32, choices=AccessPurpose.choices)
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    legal_basis = models.CharField(_("legal basis"), max_length=32, blank=True)
    legal_basis_note = EncryptedTextField(_("written legal basis"), max_length=1000, blank=True)
    grant = models.OneToOneField(
        CaseGrant, on_delete=models.SET_NULL, null=True, blank=True, related_name="referral"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    needs = models.JSONField(_("needs"), default=list, blank=True)
    note = EncryptedTextField(
        _("note for the service (no details beyond what it needs)"), blank=True
    )
    response_due = models.DateTimeField(_("answer due"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True)
    external_ref = models.CharField(max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["receiving_agency", "status"], name="referral_inbox_idx"),
            models.Index(fields=["status", "response_due"], name="referral_due_idx"),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} of case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralChange(models.Model):
    """Every status change, for the referrer's outcome feedback and the case timeline."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    actor_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", null=True)
    at = models.DateTimeField()
    reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
