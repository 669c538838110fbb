from __future__ import annotations

from datetime import date

import pytest

from opennrm.stats.selectors import FUNNEL, Scope, case_facts
from tests.stats.factories import make_case

pytestmark = pytest.mark.django_db


def _scope(**kw) -> Scope:
    return Scope(country="UA", start=date(2025, 1, 1), end=date(2025, 12, 31), **kw)


def test_facts_follow_the_case_events(world):
    make_case(
        agency=world.police,
        actor=world.officer,
        registered=date(2025, 3, 3),  # a Monday
        reached="identified",
        step_days=2,
        age=16,
        gender="male",
        citizenship="md",
    )
    (fact,) = case_facts(_scope())
    assert fact.registered == date(2025, 3, 3)
    assert FUNNEL[fact.stage][0] == "identified"
    assert fact.rg_decision == "positive" and fact.cg_decision == "positive"
    assert fact.rg_working_days == 2  # referred on Wed 5, decided on Fri 7
    assert fact.identified_on == date(2025, 3, 11)
    assert fact.age_band == "9--17" and fact.is_child and fact.majority == "child"
    assert fact.gender == "male" and fact.citizenship == "MD"
    assert fact.agency_type == "police"


def test_scope_filters_period_and_region(world):
    make_case(agency=world.police, actor=world.officer, registered=date(2025, 1, 1), region="Lviv")
    make_case(agency=world.police, actor=world.officer, registered=date(2024, 12, 31))
    make_case(agency=world.police, actor=world.officer, registered=date(2025, 6, 1), region="Kyiv")
    assert len(case_facts(_scope())) == 2
    assert len(case_facts(_scope(region="Lviv"))) == 1


def test_missing_person_is_unknown_not_guessed(world):
    make_case(
        agency=world.police,
        actor=world.officer,
        registered=date(2025, 5, 5),
        gender=None,
        reached="rejected",
    )
    (fact,) = case_facts(_scope())
    assert (fact.gender, fact.age_band, fact.citizenship) == ("unknown", "unknown", "unknown")
    assert fact.rg_decision == "negative" and FUNNEL[fact.stage][0] == "referred"


def test_referral_facts_group_statuses_and_skip_drafts(world):
    from datetime import UTC, datetime

    from opennrm.referrals.models import Referral
    from opennrm.stats.selectors import referral_facts

    case = make_case(agency=world.police, actor=world.officer, registered=date(2025, 4, 1))
    old = make_case(agency=world.police, actor=world.officer, registered=date(2024, 4, 1))
    for target, service_type, status in (
        (case, "shelter", "accepted"),
        (case, "shelter", "in_progress"),
        (case, "legal_aid", "expired"),
        (case, "medical", "draft"),
        (old, "shelter", "completed"),
    ):
        Referral.objects.create(
            case=target,
            service_name="Synthetic service",
            service_type=service_type,
            sending_agency=world.police,
            receiving_agency=world.ngo,
            created_by=world.officer,
            purpose="shelter",
            status=status,
            created_at=datetime(2025, 4, 2, tzinfo=UTC),
        )
    assert sorted(referral_facts(_scope())) == [
        ("legal_aid", "ended"),
        ("shelter", "accepted"),
        ("shelter", "accepted"),
    ]
