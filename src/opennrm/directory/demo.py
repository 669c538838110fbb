"""A synthetic directory for the demo regions. Every organisation is fictional, named
"(DEMO)" and flagged ``is_synthetic``; addresses and phone numbers are made up."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from opennrm.accounts.models import Agency
from opennrm.accounts.roles import AgencyType
from opennrm.directory.models import (
    GenderServed,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceType,
)

_NS = uuid.UUID("8d3f0e8e-4a4b-4d43-9d0e-2b8f4f7d9a01")
_WEEKDAYS = "MO,TU,WE,TH,FR"

# organisation name, agency type it is linked to (or None), description
_ORGS: list[tuple[str, str | None, str]] = [
    (
        "Safe Harbour NGO",
        AgencyType.NGO,
        "Fictional NGO running a women's shelter and counselling.",
    ),
    ("City Hospital No. 3", AgencyType.HEALTH, "Fictional hospital with a unit for survivors."),
    ("Blue Door Shelter", None, "Fictional emergency shelter."),
    ("Harbour Light Men's Shelter", None, "Fictional shelter for men."),
    ("Children First Centre", None, "Fictional child-protection centre."),
    ("Open Law Bureau", None, "Fictional free legal aid for survivors."),
    ("Bridge Interpreters Network", None, "Fictional network of volunteer interpreters."),
    ("Homeward Programme", None, "Fictional return and reintegration programme."),
    ("Fair Work Centre", None, "Fictional employment support centre."),
]

# org index, name, type, region, languages, extra fields
_SERVICES: list[tuple[int, str, str, str, list[str], dict[str, Any]]] = [
    (
        0,
        "Women's shelter",
        ServiceType.SHELTER,
        "Lviv",
        ["uk", "ru", "en", "pl"],
        {
            "genders": GenderServed.FEMALE,
            "age_min": 18,
            "capacity_total": 12,
            "capacity_available": 3,
            "capacity_unit": "beds",
        },
    ),
    (0, "Trauma counselling", ServiceType.PSYCHOLOGICAL, "Lviv", ["uk", "en", "pl"], {}),
    (1, "Medical care for survivors", ServiceType.MEDICAL, "Kharkiv", ["uk", "ru", "en"], {}),
    (1, "Psychiatric support", ServiceType.PSYCHOLOGICAL, "Kharkiv", ["uk", "ru"], {"age_min": 18}),
    (
        2,
        "Emergency shelter",
        ServiceType.SHELTER,
        "Kyiv",
        ["uk", "ru"],
        {"capacity_total": 20, "capacity_available": 0, "capacity_unit": "beds"},
    ),
    (
        3,
        "Shelter for men",
        ServiceType.SHELTER,
        "Odesa",
        ["uk", "ru"],
        {
            "genders": GenderServed.MALE,
            "age_min": 18,
            "capacity_total": 6,
            "capacity_available": 4,
            "capacity_unit": "beds",
        },
    ),
    (
        4,
        "Child protection and foster placement",
        ServiceType.CHILD_PROTECTION,
        "Odesa",
        ["uk", "ru"],
        {"age_max": 17, "capacity_total": 8, "capacity_available": 2, "capacity_unit": "places"},
    ),
    (
        5,
        "Free legal aid",
        ServiceType.LEGAL_AID,
        "Dnipro",
        ["uk", "ru", "en"],
        {"nationwide": True},
    ),
    (
        6,
        "Interpretation by phone",
        ServiceType.INTERPRETATION,
        "Kyiv",
        ["uk", "ru", "en", "pl", "ro"],
        {"nationwide": True},
    ),
    (
        7,
        "Safe return and reintegration",
        ServiceType.RETURN_REINTEGRATION,
        "Chernivtsi",
        ["uk", "ro", "ru"],
        {},
    ),
    (
        8,
        "Job placement and training",
        ServiceType.EMPLOYMENT,
        "Volyn",
        ["uk", "pl"],
        {"age_min": 18, "age_max": 60},
    ),
    (
        2,
        "Shelter for families",
        ServiceType.SHELTER,
        "Kyiv",
        ["uk", "en"],
        {
            "capacity_total": 10,
            "capacity_available": 5,
            "capacity_unit": "beds",
            "status": "temporarily closed",
        },
    ),
]


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(_NS, ":".join(parts))


@transaction.atomic
def directory_load_demo() -> int:
    """Create (or refresh) the demo directory; returns the number of services. The NGO and
    health organisations are linked to the synthetic demo agencies of those types, so
    referrals to their services reach users in OpenNRM."""
    agencies = {a.type: a for a in Agency.objects.filter(is_synthetic=True).order_by("pk")}
    orgs = []
    for name, agency_type, description in _ORGS:
        org, _created = Organization.objects.update_or_create(
            id=_id("org", name),
            defaults={
                "name": f"{name} (DEMO)",
                "description": description,
                "email": "",
                "website": "",
                "agency": agencies.get(agency_type) if agency_type else None,
                "is_synthetic": True,
            },
        )
        orgs.append(org)
    now = timezone.now()
    for n, (org_index, name, kind, region, languages, extra) in enumerate(_SERVICES):
        org = orgs[org_index]
        extra = dict(extra)
        nationwide = extra.pop("nationwide", False)
        service_id = _id("service", org.name, name)
        location, _created = Location.objects.update_or_create(
            id=_id("location", org.name, region),
            defaults={
                "organization": org,
                "name": f"{org.name}, {region}",
                "address": f"{n + 1} Demo Street (fictional)",
                "city": region,
                "region": region,
                "postal_code": f"0{n + 1:04d}",
                "country": "UA",
            },
        )
        service, _created = Service.objects.update_or_create(
            id=service_id,
            defaults={
                "organization": org,
                "name": f"{name} (DEMO)",
                "description": f"Synthetic demo service: {name.lower()}. Not a real provider.",
                "service_type": kind,
                "languages": sorted(languages),
                "regions": [] if nationwide else [region],
                "country": "UA",
                "status": extra.pop("status", "active"),
                "capacity_updated_at": now - timedelta(hours=n + 1)
                if "capacity_available" in extra
                else None,
                "schedules": [
                    {
                        "id": str(_id("schedule", str(service_id))),
                        "byday": _WEEKDAYS,
                        "opens_at": "09:00",
                        "closes_at": "18:00",
                        "description": "",
                    }
                ]
                + (
                    [
                        {
                            "id": str(_id("schedule-24h", str(service_id))),
                            "byday": "SA,SU",
                            "opens_at": "00:00",
                            "closes_at": "23:59",
                            "description": "",
                        }
                    ]
                    if kind == ServiceType.SHELTER
                    else []
                ),
                "phones": [
                    {
                        "id": str(_id("phone", str(service_id))),
                        "number": f"+380 00 000 {n + 1:02d} {n + 1:02d}",
                        "type": "voice",
                        "description": "Fictional number",
                    }
                ],
                **extra,
            },
        )
        ServiceAtLocation.objects.get_or_create(
            service=service, location=location, defaults={"id": _id("sal", str(service_id))}
        )
    return len(_SERVICES)
