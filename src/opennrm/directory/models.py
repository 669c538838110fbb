"""Organisations, services and locations, shaped after Open Referral HSDS 3.0.

Every record keeps its HSDS identifier (a UUID) as its primary key, so that an exported
directory imported elsewhere (or back here) updates the same records instead of copying them.
Nothing here is personal data: these are public facts about service providers.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceType(models.TextChoices):
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical care")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    LEGAL_AID = "legal_aid", _("Legal aid")
    INTERPRETATION = "interpretation", _("Interpretation")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    RETURN_REINTEGRATION = "return_reintegration", _("Return and reintegration")
    EMPLOYMENT = "employment", _("Employment support")


class ServiceStatus(models.TextChoices):
    """HSDS 3.0 ``service.status``; only active services take referrals."""

    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Closed for good")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class GenderServed(models.TextChoices):
    ANY = "any", _("Everyone")
    FEMALE = "female", _("Women and girls only")
    MALE = "male", _("Men and boys only")


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    email = models.EmailField(_("e-mail"), blank=True, max_length=254)
    website = models.URLField(_("website"), blank=True, max_length=500)
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_organizations",
        verbose_name=_("receiving agency in OpenNRM"),
        help_text=_("Users of this agency receive referrals to this organisation's services."),
    )
    is_synthetic = models.BooleanField(_("synthetic demo data"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A physical place (HSDS ``location`` with one ``address``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    address_id = models.UUIDField(default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="locations"
    )
    name = models.CharField(_("name"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="UA")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["region", "city", "name"]

    def __str__(self) -> str:
        return ", ".join(p for p in (self.name, self.city, self.region) if p)


class Service(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="services"
    )
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    service_type = models.CharField(
        _("type of service"), max_length=32, choices=ServiceType.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    email = models.EmailField(_("e-mail"), blank=True, max_length=254)
    url = models.URLField(_("website"), blank=True, max_length=500)
    #: ISO 639-1 codes of the languages staff speak (not through an interpreter)
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    genders = models.CharField(
        _("who is accepted"), max_length=8, choices=GenderServed.choices, default=GenderServed.ANY
    )
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    #: ISO 3166-1 alpha-2 nationalities or status words accepted; empty: anyone
    nationalities = models.JSONField(_("nationalities or statuses accepted"), default=list)
    eligibility_description = models.TextField(_("eligibility"), blank=True, max_length=2000)
    country = models.CharField(_("country"), max_length=2, default="UA")
    #: regions served; empty: the whole country
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    capacity_total = models.PositiveIntegerField(_("places in total"), null=True, blank=True)
    capacity_available = models.PositiveIntegerField(_("places free"), null=True, blank=True)
    capacity_unit = models.CharField(_("what is counted"), max_length=50, blank=True)
    capacity_id = models.UUIDField(default=uuid.uuid4, editable=False)
    capacity_updated_at = models.DateTimeField(_("places last updated"), null=True, blank=True)
    #: HSDS schedules: [{"id", "byday": "MO,TU", "opens_at": "09:00", "closes_at": "17:00",
    #: "description"}]
    schedules = models.JSONField(_("opening hours"), default=list, blank=True)
    #: HSDS phones: [{"id", "number", "type", "description"}]
    phones = models.JSONField(_("phones"), default=list, blank=True)
    #: HSDS contacts: [{"id", "name", "title", "email"}]
    contacts = models.JSONField(_("contacts"), default=list, blank=True)
    locations = models.ManyToManyField(
        Location, through="ServiceAtLocation", related_name="services", blank=True
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        indexes = [models.Index(fields=["service_type", "status"], name="dir_service_type_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity_available__isnull=True)
                | models.Q(capacity_total__isnull=True)
                | models.Q(capacity_available__lte=models.F("capacity_total")),
                name="dir_capacity_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(age_min__isnull=True)
                | models.Q(age_max__isnull=True)
                | models.Q(age_min__lte=models.F("age_max")),
                name="dir_age_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceAtLocation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="at_services")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "location"], name="dir_service_location_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} @ {self.location_id}"
