"""Providers update free places (permissions, bounds, stale versions); services are ranked
for a person with translated reasons; problems block referral."""

from __future__ import annotations

import pytest
from django.utils import translation

from opennrm.accounts.roles import Role
from opennrm.audit.models import AuditEntry
from opennrm.core.errors import Conflict, Forbidden, ValidationFailed
from opennrm.directory.selectors import service_problems_for, services_list, services_ranked
from opennrm.directory.services import service_capacity_update
from tests.directory.factories import LocationFactory, OrganizationFactory, ServiceFactory, at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelter(world):
    org = OrganizationFactory(agency=world.ngo)
    return ServiceFactory(organization=org, capacity_total=10, capacity_available=4)


def test_provider_staff_update_free_places_audited(world, shelter):
    updated = service_capacity_update(
        actor=world.ngo_worker, service=shelter, available=0, expected_version=1
    )
    assert (updated.capacity_available, updated.version) == (0, 2)
    assert updated.capacity_updated_at is not None
    entry = AuditEntry.objects.get(action="directory.capacity_update")
    assert entry.object_ref == str(shelter.pk) and entry.detail == {"previous": 4, "available": 0}
    manager = UserFactory(agency=world.ngo, role=Role.CASE_MANAGER)
    service_capacity_update(actor=manager, service=updated, available=3, expected_version=2)


@pytest.mark.parametrize("who", ["coordinator", "officer", "analyst", "auditor", "other_ngo"])
def test_others_may_not_update_free_places(world, shelter, who):
    actor = UserFactory(role=Role.SERVICE_PROVIDER) if who == "other_ngo" else getattr(world, who)
    with pytest.raises(Forbidden):
        service_capacity_update(actor=actor, service=shelter, available=1, expected_version=1)
    shelter.refresh_from_db()
    assert shelter.capacity_available == 4 and not AuditEntry.objects.exists()


def test_service_without_agency_cannot_be_updated_by_anyone(world):
    service = ServiceFactory(capacity_total=5, capacity_available=1)
    with pytest.raises(Forbidden):
        service_capacity_update(
            actor=world.ngo_worker, service=service, available=0, expected_version=1
        )


@pytest.mark.parametrize("value", [-1, 11, True, "3", 10**9])
def test_out_of_bounds_is_refused(world, shelter, value):
    with pytest.raises(ValidationFailed) as exc:
        service_capacity_update(
            actor=world.ngo_worker, service=shelter, available=value, expected_version=1
        )
    assert exc.value.field == "available"


def test_stale_version_is_a_conflict(world, shelter):
    service_capacity_update(
        actor=world.ngo_worker, service=shelter, available=2, expected_version=1
    )
    with pytest.raises(Conflict):
        service_capacity_update(
            actor=world.ngo_worker, service=shelter, available=9, expected_version=1
        )
    shelter.refresh_from_db()
    assert shelter.capacity_available == 2


@pytest.fixture
def directory(world):
    lviv = LocationFactory(region="Lviv", city="Lviv")
    kyiv = LocationFactory(region="Kyiv", city="Kyiv")
    s = {
        "women": ServiceFactory(
            name="Women",
            genders="female",
            languages=["uk", "en"],
            regions=["Lviv"],
            capacity_total=5,
            capacity_available=3,
        ),
        "full": ServiceFactory(
            name="Full", languages=["uk"], regions=["Lviv"], capacity_total=5, capacity_available=0
        ),
        "kyiv": ServiceFactory(name="Kyiv", languages=["ru"], regions=["Kyiv"]),
        "adults": ServiceFactory(
            name="Adults", languages=["uk"], regions=[], age_min=18, age_max=60
        ),
        "legal": ServiceFactory(
            name="Legal", service_type="legal_aid", languages=["uk"], regions=[]
        ),
        "abroad": ServiceFactory(name="Abroad", country="PL", languages=["uk"]),
        "closed": ServiceFactory(name="Closed", status="inactive", regions=["Lviv"]),
    }
    at(s["women"], lviv)
    at(s["kyiv"], kyiv)
    return s


def test_ranking_puts_eligible_free_services_first_with_reasons(directory):
    ranked = services_ranked(
        needs=["shelter"], language="uk", gender="female", age=30, region="Lviv", country="UA"
    )
    names = [r.service.name for r in ranked]
    assert names[0] == "Women"
    assert "Legal" not in names and "Abroad" not in names
    top = ranked[0]
    assert top.eligible and top.problems == []
    assert "Speaks Ukrainian" in top.reasons
    assert "In the person's region (Lviv)" in top.reasons
    assert "3 places free" in top.reasons
    by_name = {r.service.name: r for r in ranked}
    assert by_name["Full"].problems == ["Full: no places free"] and not by_name["Full"].eligible
    assert by_name["Closed"].eligible is False
    first_ineligible = next(i for i, r in enumerate(ranked) if not r.eligible)
    assert all(not r.eligible for r in ranked[first_ineligible:])


def test_ranking_for_a_man_of_70_in_ukrainian(directory):
    with translation.override("uk"):
        ranked = services_ranked(
            needs=["shelter"], language="uk", gender="male", age=70, region="Lviv", country="UA"
        )
    by_name = {r.service.name: r for r in ranked}
    assert by_name["Women"].problems == ["Лише для жінок"]
    assert by_name["Adults"].problems == ["Лише для віку 18–60"]
    assert [r.service.name for r in ranked if r.eligible] == ["Kyiv"]


def test_problems_for_referral(directory):
    women = directory["women"]
    assert service_problems_for(women, gender="female", age=25, nationality=None) == []
    assert service_problems_for(women, gender="male", age=25, nationality=None) == [
        "Only for women"
    ]
    assert service_problems_for(directory["full"], gender="", age=None, nationality=None) == [
        "Full: no places free"
    ]
    assert service_problems_for(directory["adults"], gender="", age=12, nationality=None) == [
        "Ages 18–60 only"
    ]


def test_list_filters(directory):
    assert {s.name for s in services_list(region="lviv")} == {
        "Women",
        "Full",
        "Adults",
        "Legal",
        "Abroad",
    }
    assert {s.name for s in services_list(service_type="legal_aid")} == {"Legal"}
    assert {s.name for s in services_list(language="ru")} == {"Kyiv"}
    assert "Closed" not in {s.name for s in services_list()}
    assert "Closed" in {s.name for s in services_list(include_inactive=True)}


def test_old_free_places_are_flagged_for_a_call(directory):
    from datetime import timedelta

    from django.utils import timezone

    from opennrm.directory.models import Service

    Service.objects.filter(name="Women").update(
        capacity_updated_at=timezone.now() - timedelta(days=9, hours=1)
    )
    ranked = services_ranked(
        needs=["shelter"], language="uk", gender="female", age=30, region="Lviv", country="UA"
    )
    top = ranked[0]
    assert top.service.name == "Women" and top.eligible
    assert "Free places last updated 9 days ago: call to check" in top.reasons
