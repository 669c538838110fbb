from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.roles import AgencyType, Role


class Agency(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    type = models.CharField(_("type"), max_length=32, choices=AgencyType.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2 code"))
    region = models.CharField(_("region"), max_length=100, blank=True)
    is_synthetic = models.BooleanField(
        _("synthetic demo data"), default=False, help_text=_("Created by `opennrm demo`.")
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    preferred_language = models.CharField(_("language"), max_length=8, blank=True)
    may_share_without_consent = models.BooleanField(
        _("may share without consent on a legal basis"),
        default=False,
        help_text=_(
            "Explicit permission: share a case without the person's consent where the law "
            "allows it (child protection, a written legal basis). Every use is audited."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.username


class Jurisdiction(models.Model):
    """NRM rules of one country; cases follow the rules of their owning agency's country."""

    country = models.CharField(_("country"), max_length=2, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Kyiv")
    reflection_days = models.PositiveIntegerField(
        _("recovery and reflection period (days)"),
        default=30,
        validators=[MinValueValidator(30)],
        help_text=_("At least 30 days (Council of Europe Convention, Art. 13)."),
    )
    rg_decision_working_days = models.PositiveIntegerField(
        _("reasonable-grounds decision target (working days)"), default=5
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reflection_days__gte=30), name="reflection_at_least_30_days"
            )
        ]

    def __str__(self) -> str:
        return self.country


class ApiToken(models.Model):
    """A bearer token for API clients. Only a SHA-256 digest is stored.

    Scoped (a read token is refused on every write), bound to a user with a
    confirmed second factor, living at most the role's maximum
    (``OPENNRM_API_TOKEN_MAX_DAYS``); the last use is kept (to the minute).
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AdminRequest(models.Model):
    """A sensitive administrative change waiting for a second administrator (two-person rule).

    Applied only when a different administrator approves it; the request, the
    decision and the change itself are each written to the audit log. A pending
    password change holds the new password's hash (never the password) until
    decided; the hash is cleared afterwards.
    """

    class Kind(models.TextChoices):
        PASSWORD_SET = "password_set", _("Set another user's password")
        SECOND_FACTOR_REMOVE = "second_factor_remove", _("Remove a second-factor device")
        ROLE_CHANGE = "role_change", _("Change a user's role to a case role")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second administrator")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("change"), max_length=32, choices=Kind.choices)
    target = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user concerned")
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    payload = models.JSONField(default=dict, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("administrative request (two-person rule)")
        verbose_name_plural = _("administrative requests (two-person rule)")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
