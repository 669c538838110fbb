"""Casework services per role and purpose: every read and write goes through the one
access helper and the policy table, and is audited."""

from __future__ import annotations

import pytest

from opennrm.accounts.roles import Role
from opennrm.audit.models import AuditEntry
from opennrm.cases.policy import PROFILES
from opennrm.casework import services
from opennrm.casework.models import Assignment, Attachment
from opennrm.casework.selectors import cases_assigned_to, decorate_deadlines
from opennrm.core.errors import Forbidden, NotFound, ValidationFailed
from tests.cases.helpers import open_case, referred_case
from tests.casework.factories import PDF, chunks_of, coordination_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _refused(user, what: str) -> bool:
    return AuditEntry.objects.filter(
        action="access.refused", user_id=user.pk, detail__what=what
    ).exists()


def test_owner_assigns_notes_plans_and_reads_back(world):
    case = coordination_case(world)
    ref = case.reference
    services.assignment_set(actor=world.case_manager, reference=ref, assignee=world.coordinator)
    services.note_add(actor=world.case_manager, reference=ref, kind="note", text="Met at office.")
    services.note_add(
        actor=world.case_manager,
        reference=ref,
        kind="contact",
        text="Called about the shelter.",
        contact_on=case.created_at.date(),
        channel="phone",
        contact_with="the person",
    )
    services.plan_item_add(
        actor=world.case_manager, reference=ref, kind="need", service_type="shelter"
    )
    view = services.casework_read(actor=world.case_manager, reference=ref)
    assert [a.user for a in view.assignments] == [world.coordinator]
    assert {n.kind for n in view.notes} == {"note", "contact"}
    assert view.plan[0].service_type == "shelter"
    actions = list(AuditEntry.objects.filter(object_ref=ref).values_list("action", flat=True))
    for action in ("casework.assign", "casework.note.add", "casework.plan.add", "casework.view"):
        assert action in actions
    # no personal data in audit detail: codes and ids only
    for entry in AuditEntry.objects.filter(action__startswith="casework."):
        assert "Called" not in str(entry.detail) and "the person" not in str(entry.detail)
    assert list(cases_assigned_to(world.coordinator)) == [case]


def test_reassignment_is_audited_with_the_previous_assignee(world):
    case = coordination_case(world)
    ref = case.reference
    services.assignment_set(actor=world.case_manager, reference=ref, assignee=world.coordinator)
    services.assignment_set(actor=world.coordinator, reference=ref, assignee=world.case_manager)
    assert Assignment.objects.get(case=case).user == world.case_manager
    last = AuditEntry.objects.filter(action="casework.assign").order_by("-seq").first()
    assert last.detail["previous_id"] == world.coordinator.pk
    assert last.detail["assignee_id"] == world.case_manager.pk
    services.assignment_set(actor=world.case_manager, reference=ref, assignee=None)
    assert not Assignment.objects.filter(case=case).exists()


def test_only_people_of_ones_own_agency_can_be_assigned(world):
    case = coordination_case(world)
    with pytest.raises(ValidationFailed):
        services.assignment_set(
            actor=world.case_manager, reference=case.reference, assignee=world.officer
        )
    with pytest.raises(ValidationFailed):  # an analyst does no case work
        services.assignment_set(
            actor=world.case_manager, reference=case.reference, assignee=world.analyst
        )


def test_nrm_referral_agency_assigns_for_its_part(world):
    case = referred_case(world)  # owned by the police, referred to coordination
    services.assignment_set(
        actor=world.coordinator, reference=case.reference, assignee=world.case_manager
    )
    assert Assignment.objects.get(case=case).agency == world.coordination
    # the owning police officer (a front-line role) may not assign: the role lacks the verb
    assert "assign" in PROFILES["case_work"].actions
    with pytest.raises(Forbidden):
        services.assignment_set(actor=world.officer, reference=case.reference, assignee=None)


def test_frontline_role_may_not_assign(world):
    case = open_case(world.officer)
    with pytest.raises(Forbidden):
        services.assignment_set(actor=world.officer, reference=case.reference, assignee=None)
    assert _refused(world.officer, "assign")


def test_a_hidden_case_looks_missing_and_is_audited(world):
    case = coordination_case(world)
    with pytest.raises(NotFound):
        services.casework_read(actor=world.border_guard, reference=case.reference)
    assert _refused(world.border_guard, "case")


def test_shelter_grantee_sees_the_plan_but_not_notes_or_files(world):
    case = coordination_case(world, purpose="shelter", to=world.ngo)
    ref = case.reference
    services.note_add(actor=world.case_manager, reference=ref, kind="note", text="Private note")
    services.attachment_add(
        actor=world.case_manager,
        reference=ref,
        kind="consent",
        filename="consent.pdf",
        size=len(PDF),
        chunks=chunks_of(PDF),
    )
    view = services.casework_read(actor=world.ngo_worker, reference=ref)
    assert set(view.parts) == {"assignment", "plan"}
    assert view.notes == [] and view.attachments == []
    attachment = Attachment.objects.get(case=case)
    with pytest.raises(NotFound):
        services.attachment_open(actor=world.ngo_worker, reference=ref, attachment_id=attachment.pk)
    assert _refused(world.ngo_worker, "attachments")
    with pytest.raises(NotFound):
        services.note_add(actor=world.ngo_worker, reference=ref, kind="note", text="x")
    assert _refused(world.ngo_worker, "notes")
    # a service provider's staff never write, even where the plan is visible
    with pytest.raises(Forbidden):
        services.plan_item_add(
            actor=world.ngo_worker, reference=ref, kind="need", service_type="medical"
        )
    assert _refused(world.ngo_worker, "plan")


def test_social_support_grantee_writes_notes_and_plan(world):
    ngo_manager = UserFactory(username="ngo-manager", agency=world.ngo, role=Role.CASE_MANAGER)
    case = coordination_case(world, purpose="social_support", to=world.ngo)
    ref = case.reference
    services.note_add(actor=ngo_manager, reference=ref, kind="note", text="Visited.")
    services.plan_item_add(actor=ngo_manager, reference=ref, kind="goal", text="Find work")
    with pytest.raises(NotFound):  # files are outside the social-support profile
        services.attachment_add(
            actor=ngo_manager,
            reference=ref,
            kind="other",
            filename="a.pdf",
            size=len(PDF),
            chunks=chunks_of(PDF),
        )
    with pytest.raises(Forbidden):  # only the owner and the NRM-referral agency assign
        services.assignment_set(actor=ngo_manager, reference=ref, assignee=ngo_manager)


def test_interpretation_grantee_sees_no_casework(world):
    case = coordination_case(world, purpose="interpretation", to=world.ngo)
    with pytest.raises(NotFound):
        services.casework_read(actor=world.ngo_worker, reference=case.reference)
    assert _refused(world.ngo_worker, "casework")


def test_contact_needs_date_and_channel_and_is_not_in_the_future(world):
    case = coordination_case(world)
    with pytest.raises(ValidationFailed) as error:
        services.note_add(
            actor=world.case_manager, reference=case.reference, kind="contact", text="x"
        )
    assert error.value.field == "contact_on"
    with pytest.raises(ValidationFailed):
        services.note_add(actor=world.case_manager, reference=case.reference, kind="note", text=" ")


def test_completed_referral_shows_as_delivered(world):
    from opennrm.referrals.models import Referral

    case = coordination_case(world)
    referral = Referral.objects.create(
        case=case,
        service_name="Shelter Svitanok",
        service_type="shelter",
        sending_agency=world.coordination,
        receiving_agency=world.ngo,
        created_by=world.case_manager,
        purpose="shelter",
        status="completed",
        created_at=case.created_at,
        closed_at=case.created_at,
    )
    view = services.casework_read(actor=world.case_manager, reference=case.reference)
    assert [r.pk for r in view.completed_referrals] == [referral.pk]


def test_dashboard_decoration_days_overdue_and_assignee(world):
    from datetime import timedelta

    case = coordination_case(world)
    services.assignment_set(
        actor=world.case_manager, reference=case.reference, assignee=world.coordinator
    )
    case.deadline = case.created_at.date()
    today = case.deadline + timedelta(days=3)
    decorate_deadlines(world.case_manager, [case], today)
    assert case.days_overdue == 3
    assert case.assignees == [world.coordinator.get_full_name() or "coordinator"]
