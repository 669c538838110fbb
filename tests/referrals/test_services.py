"""Referral lifecycle, consent, purpose-bound access and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import CaseEvent
from opennrm.cases.selectors import case_access_for
from opennrm.cases.services import consent_withdraw, person_read, person_save
from opennrm.core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from opennrm.referrals.models import ReferralChange, ReferralStatus
from opennrm.referrals.services import (
    referral_actions_for,
    referral_create,
    referral_expire_due,
    referral_transition,
)
from tests.cases.helpers import referred_case, step
from tests.referrals.helpers import consent_to_service, shelter_of


@pytest.fixture
def decided(world):
    """A case referred by the labour inspector, reasonable grounds decided by the coordinator."""
    case = referred_case(world)
    person_save(
        actor=world.officer,
        case=case,
        expected_version=None,
        data={
            "given_name": "Олена",
            "family_name": "Д.",
            "gender": "female",
            "documents": "Passport AB123456",
            "contact": "+380 67 000 0000",
            "languages": "uk",
        },
    )
    case.refresh_from_db()
    step(case, world.coordinator, "decide_reasonable_grounds")
    return case


def _act(referral, actor, action, reason=""):
    return referral_transition(
        actor=actor,
        referral=referral,
        action=action,
        expected_version=referral.version,
        reason=reason,
    )


def test_coordinator_refers_with_consent_and_the_shelter_sees_only_its_fields(world, decided):
    shelter = shelter_of(world.ngo)
    with pytest.raises(ValidationFailed) as err:  # no consent to this service yet
        referral_create(actor=world.coordinator, case=decided, service=shelter)
    assert err.value.field == "consent"
    consent = consent_to_service(decided, world.coordinator, shelter)
    referral = referral_create(actor=world.coordinator, case=decided, service=shelter)
    assert referral.status == ReferralStatus.SENT and referral.purpose == "shelter"
    assert referral.response_due is not None
    # the shelter's worker sees the case with the shelter profile only
    access = case_access_for(world.ngo_worker, decided.reference)
    assert access.purpose == "shelter"
    view = person_read(actor=world.ngo_worker, case=decided)
    assert set(view.fields) == {
        "given_name",
        "family_name",
        "gender",
        "age_band",
        "languages",
        "contact",
    }
    assert "documents" not in view.fields and "date_of_birth" not in view.fields
    assert not access.sees("summary") and not access.steps  # no owner's steps, no decisions
    with pytest.raises(Forbidden):  # cannot edit the person's data
        person_save(
            actor=world.ngo_worker,
            case=decided,
            expected_version=1,
            data={"given_name": "X"},
        )
    with pytest.raises(Forbidden):  # cannot withdraw the case (an owner's step)
        step(decided, world.ngo_worker, "withdraw")
    assert AuditEntry.objects.filter(action="access.refused").count() >= 2
    # the shelter accepts; the referrer hears back
    assert [a.name for a in referral_actions_for(world.ngo_worker, referral)] == [
        "acknowledge",
        "accept",
        "decline",
    ]
    referral = _act(referral, world.ngo_worker, "accept")
    assert referral.grant.expires_at > timezone.now() + timedelta(days=30)
    assert CaseEvent.objects.filter(case=decided, kind="referral").count() == 3
    # consent withdrawn: access ends at once and the referral is withdrawn
    consent_withdraw(actor=world.coordinator, consent=consent)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    with pytest.raises(NotFound):
        case_access_for(world.ngo_worker, decided.reference)


def test_consent_scope_narrows_the_profile(world, decided):
    shelter = shelter_of(world.ngo)
    consent_to_service(decided, world.coordinator, shelter, fields=("given_name",))
    referral_create(actor=world.coordinator, case=decided, service=shelter)
    view = person_read(actor=world.ngo_worker, case=decided)
    assert set(view.fields) == {"given_name"}


def test_full_or_ineligible_service_is_refused_and_nothing_written(world, decided):
    full = shelter_of(world.ngo, capacity_available=0)
    consent_to_service(decided, world.coordinator, full)
    with pytest.raises(ValidationFailed) as err:
        referral_create(actor=world.coordinator, case=decided, service=full)
    assert err.value.field == "service"
    men_only = shelter_of(world.ngo, genders="male")
    consent_to_service(decided, world.coordinator, men_only)
    with pytest.raises(ValidationFailed):
        referral_create(actor=world.coordinator, case=decided, service=men_only)
    assert not decided.referrals.exists()


def test_oversized_note_and_missing_decline_reason_and_stale_version(world, decided):
    shelter = shelter_of(world.ngo)
    consent_to_service(decided, world.coordinator, shelter)
    with pytest.raises(ValidationFailed) as err:
        referral_create(actor=world.coordinator, case=decided, service=shelter, note="x" * 2001)
    assert err.value.field == "note"
    referral = referral_create(actor=world.coordinator, case=decided, service=shelter, note="ok")
    with pytest.raises(ValidationFailed) as err:
        _act(referral, world.ngo_worker, "decline")
    assert err.value.field == "reason"
    with pytest.raises(Conflict):
        referral_transition(
            actor=world.ngo_worker, referral=referral, action="accept", expected_version=0
        )
    with pytest.raises(InvalidTransition):
        _act(referral, world.ngo_worker, "complete")
    referral = _act(referral, world.ngo_worker, "decline", reason="No female places this week")
    assert referral.decline_reason and referral.grant.revoked_at is not None
    with pytest.raises(NotFound):
        case_access_for(world.ngo_worker, decided.reference)


def test_withdrawn_consent_cannot_be_used(world, decided):
    shelter = shelter_of(world.ngo)
    consent = consent_to_service(decided, world.coordinator, shelter)
    consent_withdraw(actor=world.coordinator, consent=consent)
    with pytest.raises(ValidationFailed):
        referral_create(actor=world.coordinator, case=decided, service=shelter)


def test_only_the_sides_act(world, decided):
    shelter = shelter_of(world.ngo)
    consent_to_service(decided, world.coordinator, shelter)
    referral = referral_create(actor=world.coordinator, case=decided, service=shelter)
    with pytest.raises(Forbidden):
        _act(referral, world.coordinator, "accept")  # the sender cannot accept for the shelter
    with pytest.raises(Forbidden):
        _act(referral, world.ngo_worker, "withdraw", reason="x")  # nor the shelter withdraw
    with pytest.raises(NotFound):  # another agency's officer: the case looks missing
        referral_create(actor=world.border_guard, case=decided, service=shelter)


def test_unanswered_referral_expires_and_access_ends(world, decided):
    shelter = shelter_of(world.ngo)
    consent_to_service(decided, world.coordinator, shelter)
    referral = referral_create(actor=world.coordinator, case=decided, service=shelter)
    assert referral_expire_due(now=timezone.now()) == 0
    later = referral.response_due + timedelta(minutes=1)
    assert referral_expire_due(now=later) == 1
    assert referral_expire_due(now=later) == 0  # idempotent
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPIRED
    assert ReferralChange.objects.filter(referral=referral, to_status="expired").exists()
    with pytest.raises(NotFound):
        case_access_for(world.ngo_worker, decided.reference)


def test_child_referred_to_nrm_without_consent_on_child_protection(world):
    from tests.cases.helpers import open_case

    case = open_case(world.officer, is_child=True)
    step(case, world.officer, "screen", outcome="presumed_victim")
    step(case, world.officer, "refer", to=world.coordination, consent=False)
    grant = case.grants.get()
    assert grant.legal_basis == "child_protection" and grant.consent is None
    assert CaseEvent.objects.filter(case=case, kind="legal_basis").exists()
    assert AuditEntry.objects.filter(
        action="grant.create", detail__legal_basis="child_protection"
    ).exists()
