import pytest

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case, CaseEvent
from opennrm.cases.selectors import case_get_for
from opennrm.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from opennrm.screenings.models import Screening
from opennrm.screenings.selectors import screening_get_for
from opennrm.screenings.services import (
    screening_attach,
    screening_complete,
    screening_open_case,
    screening_record,
    screening_save_answers,
    screening_start,
)
from tests.cases.helpers import open_case
from tests.screenings.helpers import presumed_adult_labour

pytestmark = pytest.mark.django_db


def test_draft_answers_complete_and_open_case_with_referral(world):
    s = screening_start(
        actor=world.inspector, set_id="adult_labour", age=31, interviewee_language="uk"
    )
    answers = presumed_adult_labour()
    first, rest = dict(list(answers.items())[:3]), dict(list(answers.items())[3:])
    s = screening_save_answers(
        actor=world.inspector, screening=s, answers=first, expected_version=1
    )
    s = screening_save_answers(actor=world.inspector, screening=s, answers=rest, expected_version=2)
    assert s.answers == answers and s.status == "draft"
    s = screening_complete(actor=world.inspector, screening=s)
    assert s.outcome == "presumed_victim" and s.result["explanation"]["uk"]
    # an adult who has not agreed is not referred, and nothing is written
    with pytest.raises(ValidationFailed) as err:
        screening_open_case(
            actor=world.inspector, screening=s, referral_agency=world.coordination, region="Odesa"
        )
    assert err.value.field == "consent" and not Case.objects.exists()
    s.refresh_from_db()
    case = screening_open_case(
        actor=world.inspector,
        screening=s,
        referral_agency=world.coordination,
        region="Odesa",
        consent={"method": "in_person", "interpreter_language": "uk", "guardian": ""},
    )
    assert case.state == "referred" and case.screening_outcome == "presumed_victim"
    assert case.grants.get().consent.interpreter_language == "uk"
    assert case.exploitation_type == "labour" and not case.is_child
    assert (
        case_get_for(world.coordinator, case.reference) == case
    )  # the referral reached the coordinator
    assert Screening.objects.get(pk=s.pk).case == case
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "screening.start",
        "screening.answer",
        "screening.complete",
        "screening.attach",
    } <= actions
    # a second case from the same screening is refused
    with pytest.raises(Conflict):
        screening_open_case(actor=world.inspector, screening=s, referral_agency=None)


def test_forced_criminality_sets_the_non_punishment_flag(world):
    answers = presumed_adult_labour() | {"forced_criminality.drug_cultivation_or_transport": "yes"}
    s = screening_record(actor=world.officer, set_id="adult_labour", age=24, answers=answers)
    assert s.forced_criminality
    case = screening_open_case(actor=world.officer, screening=s, referral_agency=None)
    assert case.forced_criminality and "compelled" in case.forced_criminality_note
    assert case.state == "screened"
    assert CaseEvent.objects.filter(case=case, kind="non_punishment_flag").exists()


def test_child_screening_opens_a_child_case(world):
    s = screening_start(actor=world.officer, set_id="child_labour", age=15)
    s = screening_complete(actor=world.officer, screening=s)
    if s.outcome == "incomplete":
        with pytest.raises(InvalidTransition, match="incomplete"):
            screening_open_case(actor=world.officer, screening=s, referral_agency=None)


def test_attach_to_existing_flagged_case(world):
    case = open_case(world.officer)
    s = screening_record(
        actor=world.officer,
        set_id="adult_labour",
        age=40,
        answers=presumed_adult_labour(),
        case=case,
    )
    case.refresh_from_db()
    assert case.state == "screened" and s.case == case
    other = open_case(world.officer)
    with pytest.raises(Conflict):
        screening_attach(actor=world.officer, screening=s, case=other)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"set_id": "adult_labour", "age": 30, "answers": {"no_such.indicator": "yes"}},
            "answers.no_such.indicator",
        ),
        ({"set_id": "adult_labour", "age": 30, "answers": {}} | {"set_id": "martian"}, "set"),
        ({"set_id": "adult_labour", "age": 12, "answers": {}}, None),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(world, kwargs, field):
    with pytest.raises(ValidationFailed) as err:
        screening_record(actor=world.officer, **kwargs)
    if field:
        assert err.value.field.startswith(field.split(".")[0])
    assert Screening.objects.count() == 0


def test_indicator_from_another_set_is_refused(world):
    from opennrm.screening import load_catalogue

    sets = {s.id: set(s.indicator_ids) for s in load_catalogue().sets}
    adult_only = sorted(sets["adult_labour"] - sets["child_sexual"])[0]
    with pytest.raises(ValidationFailed) as err:
        screening_record(
            actor=world.officer, set_id="child_sexual", age=14, answers={adult_only: "yes"}
        )
    assert adult_only in err.value.field and "child_sexual" in err.value.message
    assert Screening.objects.count() == 0


def test_drafts_are_private_and_versioned(world):
    s = screening_start(actor=world.officer, set_id="adult_labour", age=30)
    with pytest.raises(NotFound):
        screening_get_for(world.border_guard, s.public_id)
    with pytest.raises(Forbidden):
        screening_save_answers(
            actor=world.border_guard, screening=s, answers={}, expected_version=1
        )
    screening_save_answers(actor=world.officer, screening=s, answers={}, expected_version=1)
    with pytest.raises(Conflict):
        screening_save_answers(actor=world.officer, screening=s, answers={}, expected_version=1)


def test_analyst_cannot_screen(world):
    with pytest.raises(Forbidden):
        screening_start(actor=world.analyst, set_id="adult_labour", age=30)


def test_start_page_switches_to_the_child_set_for_a_minor(world):
    from tests.conftest import verified_client

    client = verified_client(world.officer)
    r = client.post(
        "/screenings/new/", {"set_id": "adult_labour", "age": 15, "interviewee_language": "uk"}
    )
    assert r.status_code == 302
    assert Screening.objects.get().set_id == "child_labour"
