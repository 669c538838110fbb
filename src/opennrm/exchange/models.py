"""Keys, trusted partners and packages of the transnational exchange.

Private keys never live here: only in the key file named by
``OPENNRM_EXCHANGE_KEY_FILE``. The database keeps public keys, partners' public
keys, the ids of every package seen (replay protection) and what was sent and
received, with field *names* only; the personal data itself lives in the case.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import User
from opennrm.cases.models import Case
from opennrm.crypto.fields import EncryptedTextField


class PackageStatus(models.TextChoices):
    SENT = "sent", _("Sent, no answer yet")
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class OwnKey(models.Model):
    """The public half of one generation of this deployment's keys."""

    signing_kid = models.CharField(max_length=64, unique=True)
    encryption_kid = models.CharField(max_length=64, unique=True)
    signing_jwk = models.JSONField()
    encryption_jwk = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"own key {self.signing_kid[:8]}"


class PartnerKey(models.Model):
    """A partner deployment's public keys, trusted after a person compared the fingerprint."""

    deployment_id = models.CharField(_("partner deployment"), max_length=100)
    agency_name = models.CharField(_("agency"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    inbox_url = models.URLField(_("inbox address"), max_length=500, blank=True)
    signing_kid = models.CharField(max_length=64, unique=True)
    encryption_kid = models.CharField(max_length=64)
    signing_jwk = models.JSONField()
    encryption_jwk = models.JSONField()
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    trusted_at = models.DateTimeField()
    trusted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["deployment_id", "-trusted_at", "-id"]
        indexes = [
            models.Index(fields=["deployment_id", "revoked_at"], name="partnerkey_active_idx")
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id} {self.signing_kid[:8]}"


class SeenPackage(models.Model):
    """Every package id ever accepted (or waiting in the inbox): a replay is refused."""

    jti = models.CharField(max_length=64, unique=True)
    sender_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)
    seen_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.jti


class OutgoingPackage(models.Model):
    """A referral sent to a partner; its status follows the partner's receipts."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="outgoing_packages")
    partner_id = models.CharField(_("partner deployment"), max_length=100)
    partner_name = models.CharField(_("partner agency"), max_length=200)
    jti = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=32)
    fields_sent = models.JSONField(_("fields sent"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=PackageStatus.choices, default=PackageStatus.SENT
    )
    sent_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField()
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    #: [{"status", "reason", "at", "received_at", "jti"}] in the order received
    receipts = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"outgoing {self.jti}"


class InboxItem(models.Model):
    """A verified referral pushed to us over HTTP, waiting for a person to import it.

    The token stays encrypted to our key at rest; importing opens it again.
    """

    jti = models.CharField(max_length=64, unique=True)
    sender_id = models.CharField(max_length=100)
    token = models.TextField()
    received_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"inbox {self.jti}"


class IncomingPackage(models.Model):
    """A referral received from a partner and imported as a case here."""

    jti = models.CharField(max_length=64, unique=True)
    partner_id = models.CharField(_("partner deployment"), max_length=100)
    partner_name = models.CharField(_("partner agency"), max_length=200)
    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="incoming_package", null=True
    )
    referral = models.OneToOneField(
        "referrals.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incoming_package",
    )
    external_ref = models.CharField(_("partner's reference"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=32)
    fields_received = models.JSONField(_("fields received"), default=list)
    response_due = models.DateField(_("answer due"), null=True, blank=True)
    needs = models.JSONField(_("needs"), default=list)
    note = EncryptedTextField(_("note from the partner"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PackageStatus.choices, default=PackageStatus.RECEIVED
    )
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    #: [{"status", "at", "jti"}] receipts sent back
    receipts = models.JSONField(default=list)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"incoming {self.jti}"
