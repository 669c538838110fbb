"""Need-to-know: deny by default; a hidden case looks exactly like a missing one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opennrm.cases.selectors import case_get_for, case_search, cases_visible_to
from opennrm.cases.services import grant_create, grant_revoke
from opennrm.core.errors import Forbidden, NotFound, ValidationFailed
from tests.cases.helpers import consent_to, open_case, referred_case


def test_other_agency_cannot_see_a_case(world):
    case = open_case(world.officer)
    with pytest.raises(NotFound) as hidden:
        case_get_for(world.border_guard, case.reference)
    with pytest.raises(NotFound) as missing:
        case_get_for(world.border_guard, "C-NOSUCH00")
    assert hidden.value.message == missing.value.message
    assert case not in case_search(world.border_guard)


@pytest.mark.parametrize("persona", ["analyst", "auditor"])
def test_aggregate_and_audit_roles_see_no_case(world, persona):
    open_case(world.officer)
    user = getattr(world, persona)
    assert not cases_visible_to(user).exists()


def test_grant_gives_access_until_expiry_or_revocation(world):
    case = referred_case(world)  # owned by police, referred to coordination
    # owner agency's case manager role is needed to share; the officer is front-line
    with pytest.raises(Forbidden):
        grant_create(
            actor=world.officer,
            case=case,
            agency=world.ngo,
            purpose="shelter",
            expires_at=timezone.now() + timedelta(days=5),
        )
    # without the person's consent to the NGO, nobody may share it
    with pytest.raises(ValidationFailed) as err:
        grant_create(
            actor=world.case_manager,
            case=case,
            agency=world.ngo,
            purpose="shelter",
            expires_at=timezone.now() + timedelta(days=5),
        )
    assert err.value.field == "consent"
    from tests.factories import UserFactory

    police_manager = UserFactory(agency=world.police, role="case_manager")
    consent_to(case, police_manager, world.ngo, purpose="shelter")
    grant = grant_create(
        actor=police_manager,
        case=case,
        agency=world.ngo,
        purpose="shelter",
        expires_at=timezone.now() + timedelta(days=5),
    )
    assert case_get_for(world.ngo_worker, case.reference) == case
    # expired grants give nothing
    later = timezone.now() + timedelta(days=6)
    with pytest.raises(NotFound):
        case_get_for(world.ngo_worker, case.reference, now=later)
    grant_revoke(actor=police_manager, grant=grant)
    with pytest.raises(NotFound):
        case_get_for(world.ngo_worker, case.reference)


def test_grant_needs_purpose_and_bounded_expiry(world):
    from tests.factories import UserFactory

    manager = UserFactory(agency=world.police, role="case_manager")
    case = open_case(manager)
    with pytest.raises(ValidationFailed) as err:
        grant_create(
            actor=manager,
            case=case,
            agency=world.ngo,
            purpose="free text about Olena",
            expires_at=timezone.now() + timedelta(days=5),
        )
    assert err.value.field == "purpose"
    with pytest.raises(ValidationFailed) as err:
        grant_create(
            actor=manager,
            case=case,
            agency=world.ngo,
            purpose="legal_aid",
            expires_at=timezone.now() + timedelta(days=5000),
        )
    assert err.value.field == "expires_at"
    with pytest.raises(ValidationFailed):
        grant_create(
            actor=manager,
            case=case,
            agency=world.ngo,
            purpose="legal_aid",
            expires_at=timezone.now() - timedelta(days=1),
        )


def test_user_grant(world):
    from tests.factories import UserFactory

    manager = UserFactory(agency=world.police, role="case_manager")
    case = open_case(manager)
    consent_to(case, manager, world.labour, purpose="investigation")
    grant_create(
        actor=manager,
        case=case,
        user=world.inspector,
        purpose="investigation",
        expires_at=timezone.now() + timedelta(days=2),
    )
    assert case_get_for(world.inspector, case.reference) == case
    with pytest.raises(NotFound):
        case_get_for(world.border_guard, case.reference)


def test_search_filters(world):
    a = open_case(world.officer, region="Kyiv")
    b = referred_case(world)
    b.deadline = timezone.localdate() - timedelta(days=2)
    b.save(update_fields=["deadline"])
    assert list(case_search(world.officer, state="referred")) == [b]
    assert list(case_search(world.officer, overdue=True)) == [b]
    assert a in case_search(world.officer, region="Kyiv")
    assert list(case_search(world.officer, reference=a.reference.lower())) == [a]
