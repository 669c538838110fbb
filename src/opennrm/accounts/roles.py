"""Roles and what each may do. One table, read by services, selectors, views and the API."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONTLINE = "frontline", _("Front-line responder")
    CASE_MANAGER = "case_manager", _("Case manager")
    COORDINATOR = "coordinator", _("NRM coordinator")
    SERVICE_PROVIDER = "service_provider", _("Service-provider staff")
    ANALYST = "analyst", _("Analyst (aggregates only)")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class AgencyType(models.TextChoices):
    POLICE = "police", _("Police")
    ATHB_POLICE = "athb_police", _("Specialised anti-trafficking police")
    BORDER_GUARD = "border_guard", _("Border guard")
    LABOUR_INSPECTORATE = "labour_inspectorate", _("Labour inspectorate")
    MIGRATION = "migration", _("Migration service")
    SOCIAL_PROTECTION = "social_protection", _("Social protection authority")
    NGO = "ngo", _("NGO")
    HEALTH = "health", _("Health service")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    INTERNATIONAL = "international", _("International organisation")


#: Roles that work with individual cases (and so with personal data).
CASE_ROLES = frozenset({Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR, Role.SERVICE_PROVIDER})
#: Roles that may open a new case.
CREATE_CASE_ROLES = frozenset({Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR})
#: Roles that may edit case facts and personal data.
EDIT_CASE_ROLES = frozenset({Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR})
#: Roles that may share a case with another agency or user (owning agency only).
GRANT_ROLES = frozenset({Role.CASE_MANAGER, Role.COORDINATOR})
#: Roles that review online-monitoring alerts of their agency.
MONITORING_ROLES = frozenset({Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR})
#: Roles that read the audit log.
AUDIT_ROLES = frozenset({Role.AUDITOR})
#: Roles that see aggregate statistics.
STATISTICS_ROLES = frozenset({Role.ANALYST, Role.COORDINATOR, Role.CASE_MANAGER})
#: Every role that can see personal data must use a second factor. Analysts see
#: aggregates only; everyone else sees personal data or the audit trail of it.
SECOND_FACTOR_ROLES = frozenset(set(Role) - {Role.ANALYST})
