"""Consent: scope, purpose, expiry, withdrawal, legal basis, anonymous report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import CaseEvent, Person
from opennrm.cases.selectors import case_access_for
from opennrm.cases.services import (
    case_make_anonymous,
    consent_record,
    consent_withdraw,
    grant_create,
    person_save,
)
from opennrm.core.errors import Forbidden, NotFound, ValidationFailed
from tests.cases.helpers import consent_to, open_case
from tests.factories import UserFactory


@pytest.fixture
def manager(world):
    return UserFactory(agency=world.police, role="case_manager")


def _share(manager, case, agency, purpose, **kwargs):
    return grant_create(
        actor=manager,
        case=case,
        agency=agency,
        purpose=purpose,
        expires_at=timezone.now() + timedelta(days=5),
        **kwargs,
    )


def test_consent_out_of_scope_is_refused(world, manager):
    case = open_case(manager)
    consent_to(case, manager, world.ngo, purpose="shelter")
    with pytest.raises(ValidationFailed) as err:  # same agency, another purpose
        _share(manager, case, world.ngo, "investigation")
    assert err.value.field == "consent"
    with pytest.raises(ValidationFailed):  # same purpose, another agency
        _share(manager, case, world.border, "shelter")
    assert not case.grants.exists()


def test_consent_validation_names_the_field(world, manager):
    case = open_case(manager, is_child=True)
    today = timezone.localdate()
    base = {
        "actor": manager,
        "case": case,
        "kind": "sharing",
        "recipient_agency": world.ngo,
        "obtained_on": today,
        "method": "in_person",
    }
    cases = [
        ({"guardian": ""}, "guardian"),  # a child: which guardian agreed
        ({"guardian": "parent", "obtained_on": today + timedelta(days=1)}, "obtained_on"),
        ({"guardian": "parent", "expires_on": today}, "expires_on"),
        ({"guardian": "parent", "fields": ["passport_scan"]}, "fields"),
        ({"guardian": "parent", "recipient_agency": None}, "recipient_agency"),
        ({"guardian": "parent", "method": "telepathy"}, "method"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationFailed) as err:
            consent_record(**(base | change))
        assert err.value.field == field, change


def test_expired_consent_gives_no_fields(world, manager):
    case = open_case(manager)
    person_save(actor=manager, case=case, expected_version=None, data={"given_name": "Ірина"})
    consent = consent_to(case, manager, world.ngo, purpose="shelter", expires_in_days=2)
    grant = _share(manager, case, world.ngo, "shelter")
    assert grant.expires_at <= timezone.now() + timedelta(days=3)  # never beyond the consent
    later = timezone.now() + timedelta(days=4)
    with pytest.raises(NotFound):
        case_access_for(world.ngo_worker, case.reference, now=later)
    assert consent.expires_on is not None


def test_withdrawal_ends_access_at_once_and_is_audited(world, manager):
    case = open_case(manager)
    consent = consent_to(case, manager, world.ngo, purpose="shelter")
    _share(manager, case, world.ngo, "shelter")
    assert case_access_for(world.ngo_worker, case.reference).purpose == "shelter"
    consent_withdraw(actor=manager, consent=consent)
    with pytest.raises(NotFound):
        case_access_for(world.ngo_worker, case.reference)
    entry = AuditEntry.objects.get(action="consent.withdraw")
    assert entry.detail["grants_ended"]
    assert CaseEvent.objects.filter(case=case, kind="consent_withdrawn").exists()
    with pytest.raises(ValidationFailed):  # the withdrawn consent cannot be used again
        _share(manager, case, world.ngo, "shelter")


def test_legal_basis_needs_the_permission_and_a_written_basis(world, manager):
    case = open_case(manager, is_child=True)
    with pytest.raises(Forbidden):
        _share(
            manager,
            case,
            world.ngo,
            "child_protection",
            legal_basis="child_protection",
            legal_basis_note="Child Protection Act, art. 12: a child at risk.",
        )
    manager.may_share_without_consent = True
    manager.save(update_fields=["may_share_without_consent"])
    with pytest.raises(ValidationFailed) as err:
        _share(manager, case, world.ngo, "child_protection", legal_basis="child_protection")
    assert err.value.field == "legal_basis_note"
    grant = _share(
        manager,
        case,
        world.ngo,
        "child_protection",
        legal_basis="child_protection",
        legal_basis_note="Child Protection Act, art. 12: a child at risk.",
    )
    assert grant.legal_basis == "child_protection" and grant.consent is None
    assert CaseEvent.objects.filter(case=case, kind="legal_basis").exists()
    adult = open_case(manager)
    with pytest.raises(ValidationFailed):  # child protection is no basis for an adult
        _share(
            manager,
            adult,
            world.ngo,
            "shelter",
            legal_basis="child_protection",
            legal_basis_note="Child Protection Act, art. 12: a child at risk.",
        )


def test_adult_declining_consent_becomes_an_anonymous_report(world, manager):
    case = open_case(manager)
    person_save(actor=manager, case=case, expected_version=None, data={"given_name": "Ірина"})
    consent = consent_to(case, manager, world.ngo, purpose="shelter")
    _share(manager, case, world.ngo, "shelter")
    case = case_make_anonymous(actor=manager, case=case)
    assert case.anonymous_report and not Person.objects.filter(case=case).exists()
    with pytest.raises(NotFound):
        case_access_for(world.ngo_worker, case.reference)
    with pytest.raises(Forbidden):
        person_save(actor=manager, case=case, expected_version=None, data={"given_name": "X"})
    with pytest.raises(Forbidden):
        _share(manager, case, world.ngo, "shelter")
    assert consent.pk
    child = open_case(manager, is_child=True)
    with pytest.raises(ValidationFailed):
        case_make_anonymous(actor=manager, case=child)


def test_anonymous_report_erases_casework_notes_and_files(world, manager, settings, tmp_path):
    from cryptography.fernet import Fernet

    from opennrm.casework.models import Attachment, Note
    from opennrm.casework.services import attachment_add, note_add

    settings.OPENNRM_FILE_KEYS = [Fernet.generate_key().decode()]
    settings.OPENNRM_ATTACHMENT_DIR = tmp_path
    case = open_case(manager)
    note_add(actor=manager, reference=case.reference, kind="note", text="Ірина: борг за дорогу")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    attachment_add(
        actor=manager,
        reference=case.reference,
        kind=Attachment._meta.get_field("kind").choices[0][0],
        filename="scan.png",
        size=len(png),
        chunks=lambda: iter([png]),
    )
    assert Note.objects.filter(case=case).exists() and any(tmp_path.iterdir())
    case_make_anonymous(actor=manager, case=case)
    assert not Note.objects.filter(case=case).exists()
    assert not Attachment.objects.filter(case=case).exists()
