"""Reads of the directory: listings, one service, and the ranking of services for a person.

The directory holds no personal data (organisations and their services are public facts);
every signed-in user may read it. Ranking takes what is known of a person as arguments and
stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import Role
from opennrm.core.errors import NotFound
from opennrm.directory import scoring
from opennrm.directory.labels import note_text
from opennrm.directory.models import Service, ServiceAtLocation, ServiceStatus

#: roles of an organisation's agency that keep its services' free places up to date
CAPACITY_ROLES = frozenset({Role.SERVICE_PROVIDER, Role.CASE_MANAGER})
#: roles that may import a directory file
IMPORT_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})


def _services() -> QuerySet[Service]:
    return Service.objects.select_related("organization", "organization__agency").prefetch_related(
        Prefetch("at_locations", queryset=ServiceAtLocation.objects.select_related("location"))
    )


def _regions(service: Service) -> set[str]:
    found = {r.strip().casefold() for r in service.regions}
    found |= {link.location.region.strip().casefold() for link in service.at_locations.all()}
    return found - {""}


def service_regions(service: Service) -> list[str]:
    """Regions served, for display: the listed ones, else those of its locations."""
    if service.regions:
        return list(service.regions)
    return sorted({link.location.region for link in service.at_locations.all()} - {""})


def services_list(
    *,
    service_type: str | None = None,
    region: str | None = None,
    language: str | None = None,
    include_inactive: bool = False,
) -> list[Service]:
    """Services matching the filters. Region matches the regions served or a location's
    region; a service serving the whole country matches every region."""
    qs = _services().order_by("name")
    if service_type:
        qs = qs.filter(service_type=service_type)
    if not include_inactive:
        qs = qs.filter(status=ServiceStatus.ACTIVE)
    # languages and regions are short JSON lists: filtered here, the same on every database
    rows = list(qs)
    if language:
        rows = [s for s in rows if language.lower() in s.languages]
    if region:
        wanted = region.strip().casefold()
        rows = [s for s in rows if wanted in _regions(s) or not s.regions]
    return rows


def services_for_export() -> list[Service]:
    return list(_services().order_by("organization__name", "name"))


def service_get(service_id: uuid.UUID | str) -> Service:
    try:
        key = uuid.UUID(str(service_id))
    except ValueError:
        raise NotFound(_("No such service in the directory.")) from None
    service = _services().filter(pk=key).first()
    if service is None:
        raise NotFound(_("No such service in the directory."))
    return service


def directory_regions() -> list[str]:
    """Every region named by a service or a location, for filter choices."""
    found: set[str] = set()
    for service in _services():
        found |= set(service.regions) | {
            link.location.region for link in service.at_locations.all()
        }
    return sorted(found - {""})


def directory_languages() -> list[str]:
    found: set[str] = set()
    for languages in Service.objects.values_list("languages", flat=True):
        found |= set(languages)
    return sorted(found)


def capacity_editable_by(actor: User, service: Service) -> bool:
    """Staff of the agency that receives referrals for the service's organisation."""
    agency_id = service.organization.agency_id
    return bool(
        agency_id is not None
        and actor.is_active
        and actor.agency_id == agency_id
        and actor.role in CAPACITY_ROLES
    )


def offer_of(service: Service, *, now: datetime | None = None) -> scoring.Offer:
    age_days = None
    if service.capacity_updated_at is not None:
        age_days = max(0, ((now or timezone.now()) - service.capacity_updated_at).days)
    return scoring.Offer(
        service_type=service.service_type,
        status=service.status,
        languages=frozenset(service.languages),
        genders=service.genders,
        age_min=service.age_min,
        age_max=service.age_max,
        nationalities=frozenset(service.nationalities),
        regions=frozenset(_regions(service)),
        nationwide=not service.regions,
        capacity_total=service.capacity_total,
        capacity_available=service.capacity_available,
        capacity_age_days=age_days,
    )


@dataclass(frozen=True)
class RankedService:
    """One service for one person. ``eligible``: the person may be referred there now (the
    service is active, not full, and they meet its conditions); ``problems`` say why not."""

    service: Service
    score: float
    eligible: bool
    reasons: list[str]
    problems: list[str]


def services_ranked(
    *,
    needs: Iterable[str],
    language: str | None,
    gender: str | None,
    age: int | None,
    region: str | None,
    country: str,
    nationality: str | None = None,
) -> list[RankedService]:
    """Services of the needed types in ``country`` (all types when ``needs`` is empty),
    best first: those the person can be referred to, by how well they fit; then the full
    or ineligible ones, each with its problems."""
    wanted = frozenset(needs)
    qs = _services().filter(country=country.upper())
    if wanted:
        qs = qs.filter(service_type__in=wanted)
    need = scoring.Need(
        needs=wanted,
        language=language,
        gender=gender,
        age=age,
        region=region,
        nationality=nationality,
    )
    rows = ((s, scoring.match(offer_of(s), need), s.name) for s in qs)
    return [
        RankedService(
            service=service,
            score=round(m.score, 3),
            eligible=m.referable,
            reasons=[note_text(n) for n in m.reasons],
            problems=[note_text(n) for n in m.problems],
        )
        for service, m in scoring.ranked(rows)
    ]


def service_problems_for(
    service: Service, *, gender: str | None, age: int | None, nationality: str | None
) -> list[str]:
    """Why a person cannot be referred to this service now (translated; empty: they can).
    Referral code refuses a referral while this is not empty."""
    notes = scoring.problems(offer_of(service), gender=gender, age=age, nationality=nationality)
    return [note_text(n) for n in notes]
