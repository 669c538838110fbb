"""Factories for directory records and a valid HSDS record builder for import tests."""

from __future__ import annotations

import uuid
from typing import Any

import factory

from opennrm.directory.models import Location, Organization, Service, ServiceAtLocation


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    description = "Test organisation."


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    service_type = "shelter"
    languages = factory.LazyFunction(lambda: ["uk"])
    regions = factory.LazyFunction(lambda: ["Lviv"])
    country = "UA"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = "Main office"
    address = "1 Test Street"
    city = "Lviv"
    region = "Lviv"


def at(service: Service, location: Location) -> ServiceAtLocation:
    return ServiceAtLocation.objects.create(service=service, location=location)


def hsds_record(**overrides: Any) -> dict[str, Any]:
    """A complete, valid HSDS 3.0 service record (fresh ids each call)."""
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": "Night shelter",
        "description": "Beds for the night.",
        "status": "active",
        "url": "https://example.org/shelter",
        "email": "shelter@example.org",
        "minimum_age": 18,
        "maximum_age": 65,
        "eligibility_description": "Adults.",
        "organization": {
            "id": str(uuid.uuid4()),
            "name": "Example Org",
            "description": "An example.",
            "x-opennrm": {"agency": None, "is_synthetic": False},
        },
        "languages": [{"id": str(uuid.uuid4()), "code": "uk", "name": "Ukrainian"}],
        "phones": [{"id": str(uuid.uuid4()), "number": "+380 44 000 00 00", "type": "voice"}],
        "contacts": [{"id": str(uuid.uuid4()), "name": "Desk", "email": "desk@example.org"}],
        "schedules": [
            {"id": str(uuid.uuid4()), "byday": "MO,TU", "opens_at": "09:00", "closes_at": "17:00"}
        ],
        "service_areas": [{"id": str(uuid.uuid4()), "name": "Lviv"}],
        "service_at_locations": [
            {
                "id": str(uuid.uuid4()),
                "location": {
                    "id": str(uuid.uuid4()),
                    "location_type": "physical",
                    "name": "Main",
                    "latitude": 49.84,
                    "longitude": 24.03,
                    "addresses": [
                        {
                            "id": str(uuid.uuid4()),
                            "address_1": "1 Test Street",
                            "city": "Lviv",
                            "state_province": "Lviv",
                            "postal_code": "79000",
                            "country": "UA",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "capacities": [
            {
                "id": str(uuid.uuid4()),
                "unit": {"id": str(uuid.uuid4()), "name": "beds"},
                "available": 2,
                "maximum": 10,
                "updated": "2026-11-30T10:00:00+00:00",
            }
        ],
        "x-opennrm": {"service_type": "shelter", "genders": "any", "nationalities": []},
    }
    record.update(overrides)
    return record
