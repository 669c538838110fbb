from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from opennrm.accounts.models import Jurisdiction
from opennrm.audit.models import AuditEntry
from opennrm.audit.selectors import audit_verify
from opennrm.cases.models import Case, CaseEvent, Person
from opennrm.cases.selectors import case_get_for
from opennrm.cases.services import add_working_days, case_update, person_read, person_save
from opennrm.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from tests.cases.helpers import open_case, referred_case, step


def test_working_days_skip_weekends():
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1) == date(2026, 11, 30)
    assert add_working_days(friday, 5) == date(2026, 12, 4)
    assert add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)


def test_full_workflow_records_who_when_why_and_audits(world):
    case = open_case(world.officer, region="Kyiv")
    assert case.state == "flagged" and case.reference.startswith("C-")
    step(case, world.officer, "screen", outcome="presumed_victim")
    step(case, world.officer, "refer", to=world.coordination, reason="Indicators of forced labour")
    assert (
        case.state == "referred"
        and case.deadline == case.rg_due
        and case.deadline_kind == "rg_decision"
    )
    # the referral gives the coordination office need-to-know access
    coordinator_view = case_get_for(world.coordinator, case.reference)
    step(coordinator_view, world.coordinator, "decide_reasonable_grounds")
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    step(coordinator_view, world.case_manager, "start_reflection", now=start)
    assert coordinator_view.reflection_ends == date(2026, 2, 4)  # 30 days
    with pytest.raises(InvalidTransition, match="reflection period runs until 2026-02-04"):
        step(coordinator_view, world.coordinator, "identify", now=start + timedelta(days=10))
    step(coordinator_view, world.coordinator, "identify", now=start + timedelta(days=31))
    step(coordinator_view, world.case_manager, "start_assistance")
    step(coordinator_view, world.case_manager, "close")
    case.refresh_from_db()
    assert case.state == "closed" and case.deadline is None
    events = list(
        CaseEvent.objects.filter(case=case, kind="transition")
        .order_by("id")
        .values_list("to_state", "actor__username")
    )
    assert events[0] == ("screened", "officer") and events[-1] == ("closed", "casemanager")
    assert (
        CaseEvent.objects.get(case=case, transition="refer").reason == "Indicators of forced labour"
    )
    actions = list(
        AuditEntry.objects.filter(object_ref=case.reference).values_list("action", flat=True)
    )
    assert actions.count("case.transition") == 7
    assert "grant.create" in actions
    assert audit_verify().ok


def test_reflection_period_follows_the_jurisdiction(world):
    Jurisdiction.objects.create(
        country="UA", reflection_days=45, rg_decision_working_days=3, time_zone="Europe/Kyiv"
    )
    case = referred_case(world)
    kyiv_today = timezone.localdate(timezone.now(), ZoneInfo("Europe/Kyiv"))
    assert case.rg_due == add_working_days(kyiv_today, 3)
    step(case, world.coordinator, "decide_reasonable_grounds")
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    step(case, world.coordinator, "start_reflection", now=start)
    assert case.reflection_ends == date(2026, 4, 16)


def test_jurisdiction_cannot_shorten_reflection_below_30_days(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Jurisdiction.objects.create(country="PL", reflection_days=20)


def test_out_of_order_step_is_refused_and_nothing_written(world):
    case = open_case(world.officer)
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidTransition, match="Possible steps: «Record screening»"):
        step(case, world.coordinator, "identify")
    case.refresh_from_db()
    assert case.state == "flagged" and case.version == 1
    assert AuditEntry.objects.count() == before


def test_wrong_role_is_refused(world):
    case = referred_case(world)
    with pytest.raises(Forbidden):
        step(case, world.officer, "decide_reasonable_grounds")


@pytest.mark.parametrize(
    ("name", "field", "kwargs"),
    [
        ("screen", "screening_outcome", {"outcome": ""}),
        ("refer", "referral_agency", {"to": None}),
    ],
)
def test_missing_required_data_names_the_field(world, name, field, kwargs):
    case = open_case(world.officer)
    if name == "refer":
        step(case, world.officer, "screen", outcome="possible_victim")
    with pytest.raises(ValidationFailed) as err:
        step(case, world.officer, name, **kwargs)
    assert err.value.field == field


def test_decision_without_reason_is_refused(world):
    case = referred_case(world)
    with pytest.raises(ValidationFailed) as err:
        step(case, world.coordinator, "decide_reasonable_grounds", reason="   ")
    assert err.value.field == "reason"


def test_unknown_step(world):
    case = open_case(world.officer)
    with pytest.raises(InvalidTransition, match="Unknown workflow step"):
        step(case, world.officer, "fly_to_the_moon")


def test_stale_version_is_a_conflict_not_an_overwrite(world):
    case = open_case(world.officer, summary="first")
    stale = Case.objects.get(pk=case.pk)
    case_update(
        actor=world.officer, case=case, expected_version=case.version, changes={"summary": "second"}
    )
    with pytest.raises(Conflict, match="changed by someone else"):
        case_update(
            actor=world.officer,
            case=stale,
            expected_version=stale.version,
            changes={"summary": "third"},
        )
    case.refresh_from_db()
    assert case.summary == "second" and case.version == 2


def test_stale_transition_is_a_conflict(world):
    case = open_case(world.officer)
    stale_version = case.version
    step(case, world.officer, "screen", outcome="possible_victim")
    with pytest.raises(Conflict):
        from opennrm.cases.services import case_transition

        case_transition(
            actor=world.officer,
            case=case,
            name="lose_contact",
            expected_version=stale_version,
            reason="gone",
        )


def test_non_punishment_flag_requires_a_note_and_shows_in_timeline(world):
    with pytest.raises(ValidationFailed) as err:
        open_case(world.officer, forced_criminality=True)
    assert err.value.field == "forced_criminality_note"
    case = open_case(world.officer)
    case_update(
        actor=world.officer,
        case=case,
        expected_version=case.version,
        changes={"forced_criminality": True, "forced_criminality_note": "Forced to carry drugs"},
    )
    assert case.forced_criminality
    assert CaseEvent.objects.filter(case=case, kind="non_punishment_flag").exists()


def test_person_data_is_audited_on_read_and_write_and_flags_children(world):
    case = open_case(world.officer)
    person = person_save(
        actor=world.officer,
        case=case,
        expected_version=None,
        data={"given_name": "Олена", "date_of_birth": date(2012, 5, 1)},
    )
    case.refresh_from_db()
    assert case.is_child
    read = person_read(actor=world.officer, case=case)
    assert read.version == person.version and read.fields["given_name"] == "Олена"
    entry = AuditEntry.objects.filter(action="person.view").latest("seq")
    # the purpose recorded is the one the access rests on (the owner's case work)
    assert entry.purpose == "case_work" and entry.object_ref == case.reference
    with pytest.raises(Forbidden):  # a purpose the user does not hold
        person_read(actor=world.officer, case=case, purpose="shelter")
    refused = AuditEntry.objects.filter(action="access.refused").latest("seq")
    assert refused.detail == {"what": "person:purpose"}
    # audit entries carry ids and field names, never the data itself
    assert "Олена" not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_person_conflict(world):
    case = open_case(world.officer)
    person_save(actor=world.officer, case=case, expected_version=None, data={"given_name": "A"})
    person_save(actor=world.officer, case=case, expected_version=1, data={"given_name": "B"})
    with pytest.raises(Conflict):
        person_save(actor=world.officer, case=case, expected_version=1, data={"given_name": "C"})
    assert Person.objects.get(case=case).given_name == "B"


def test_future_birth_date_refused(world):
    case = open_case(world.officer)
    with pytest.raises(ValidationFailed) as err:
        person_save(
            actor=world.officer,
            case=case,
            expected_version=None,
            data={"date_of_birth": timezone.localdate() + timedelta(days=400)},
        )
    assert err.value.field == "date_of_birth"


def test_analyst_cannot_open_or_read_cases(world):
    with pytest.raises(Forbidden):
        open_case(world.analyst)
    case = open_case(world.officer)
    with pytest.raises(NotFound):
        case_get_for(world.analyst, case.reference)
