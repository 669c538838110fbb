"""Retention (pseudonymise closed cases past their period) and the data subject's
rights (export everything about the person, erase it), through the services."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case, CaseEvent, Person
from opennrm.cases.services import person_save
from opennrm.casework.models import Attachment, Note, PlanItem
from opennrm.casework.services import attachment_add, note_add, plan_item_add
from opennrm.core.errors import Forbidden, NotFound, ValidationFailed
from opennrm.dataprotection.models import Erasure
from opennrm.dataprotection.services import (
    RetentionConfigError,
    retention_apply,
    retention_due,
    retention_periods,
    subject_erase,
    subject_export,
)
from opennrm.stats.selectors import Scope, case_facts
from tests.cases.helpers import open_case, step
from tests.factories import UserFactory

NAME = "Olena"
FAMILY = "Kovalenko"


@pytest.fixture(autouse=True)
def _file_store(settings, tmp_path):
    settings.OPENNRM_FILE_KEYS = [Fernet.generate_key().decode()]
    settings.OPENNRM_ATTACHMENT_DIR = tmp_path / "attachments"
    settings.OPENNRM_CLAMD_SOCKET = ""
    settings.OPENNRM_RETENTION_DAYS = "closed=1826,withdrawn=1096"


@pytest.fixture
def manager(world):
    return UserFactory(agency=world.police, role="case_manager")


def _full_case(manager, *, close: bool = False) -> Case:
    """A case with personal data in every place it can be."""
    case = open_case(manager, summary=f"{NAME} was found at the market", region="Kyiv")
    person_save(
        actor=manager,
        case=case,
        data={
            "given_name": NAME,
            "family_name": FAMILY,
            "date_of_birth": date(1990, 5, 17),
            "gender": "female",
            "citizenship": "UA",
            "contact": "+380 44 123 4567",
            "documents": "passport FA123456",
        },
        expected_version=None,
    )
    note_add(actor=manager, reference=case.reference, kind="note", text=f"{NAME} called")
    plan_item_add(
        actor=manager,
        reference=case.reference,
        kind="need",
        service_type="shelter",
        text=f"room for {NAME}",
    )
    data = b"%PDF-1.4 passport scan"
    attachment_add(
        actor=manager,
        reference=case.reference,
        kind="document",
        filename=f"{FAMILY}-passport.pdf",
        size=len(data),
        chunks=lambda: [data],
    )
    case.refresh_from_db()
    if close:
        step(case, manager, "withdraw", reason=f"{NAME} moved abroad")
    case.refresh_from_db()
    return case


def _flat(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _scope(case: Case) -> Scope:
    today = timezone.localdate()
    return Scope(country=case.country, start=today - timedelta(days=1), end=today + timedelta(1))


def _personal_data_left(case: Case) -> list[str]:
    """Where the name, the contact or the document number still appear."""
    found = []
    person = Person.objects.filter(case=case).first()
    if person is not None:
        for field in ("given_name", "family_name", "contact", "documents", "date_of_birth"):
            if getattr(person, field):
                found.append(f"person.{field}")
    case.refresh_from_db()
    if case.summary:
        found.append("case.summary")
    if any(NAME in e.reason for e in CaseEvent.objects.filter(case=case)):
        found.append("timeline")
    if Note.objects.filter(case=case).exists():
        found.append("notes")
    if Attachment.objects.filter(case=case).exists():
        found.append("attachments")
    if any(p.text for p in PlanItem.objects.filter(case=case)):
        found.append("plan")
    return found


def test_retention_periods_from_configuration(settings):
    assert retention_periods() == {"closed": 1826, "withdrawn": 1096}
    assert retention_periods("lost_contact=30") == {"lost_contact": 30}
    with pytest.raises(RetentionConfigError, match="unknown case state"):
        retention_periods("archived=10")
    with pytest.raises(RetentionConfigError, match="whole number"):
        retention_periods("closed=five")


def test_retention_pseudonymises_only_cases_past_their_period(
    world, manager, settings, django_capture_on_commit_callbacks
):
    old = _full_case(manager, close=True)
    still_open = _full_case(manager)
    facts_before = sorted(map(repr, case_facts(_scope(old))))
    audit_before = AuditEntry.objects.count()

    # not yet due: nothing happens
    assert retention_apply(actor=None).total == 0
    later = timezone.now() + timedelta(days=1097)
    dry = retention_apply(actor=None, dry_run=True, now=later)
    assert dry.by_state == {"withdrawn": 1}
    assert _personal_data_left(old)  # a dry run changes nothing
    assert AuditEntry.objects.count() == audit_before

    files_before = {p.name for p in settings.OPENNRM_ATTACHMENT_DIR.iterdir()}
    assert len(files_before) == 2
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_apply(actor=None, now=later)
    assert report.by_state == {"withdrawn": 1}
    assert _personal_data_left(old) == []
    assert len(_personal_data_left(still_open)) == 9  # the open case keeps everything
    assert Erasure.objects.get(case=old).kind == "retention"
    # the closed case's encrypted file is gone from disk, the open case's stays
    kept = set(Attachment.objects.values_list("storage_name", flat=True))
    assert {p.name for p in settings.OPENNRM_ATTACHMENT_DIR.iterdir()} == kept
    assert len(kept) == 1
    # statistics count the case exactly as before: the same facts row
    assert sorted(map(repr, case_facts(_scope(old)))) == facts_before
    person = Person.objects.get(case=old)
    assert (person.gender, person.citizenship) == ("female", "UA")
    assert person.age_band  # the age band at registration replaces the date of birth
    # one audit entry, counts only
    entry = AuditEntry.objects.get(action="retention.apply")
    assert entry.detail["cases"] == 1
    assert NAME not in _flat(entry.detail) and FAMILY not in _flat(entry.detail)
    # a second run finds nothing more to do
    assert retention_due(now=later, periods={"withdrawn": 1096}) == {"withdrawn": []}
    assert retention_apply(actor=None, now=later).total == 0


def test_export_holds_everything_about_the_person(world, manager):
    case = _full_case(manager)
    data = subject_export(actor=manager, reference=case.reference)
    assert data["person"]["given_name"] == NAME
    assert data["person"]["date_of_birth"] == "1990-05-17"
    assert data["case"]["summary"].startswith(NAME)
    assert [n["text"] for n in data["notes"]] == [f"{NAME} called"]
    assert data["plan"][0]["text"] == f"room for {NAME}"
    assert data["attachments"][0]["filename"] == f"{FAMILY}-passport.pdf"
    assert data["timeline"] and data["case"]["state"]["code"] == "flagged"
    entry = AuditEntry.objects.filter(action="subject.export").get()
    assert entry.object_ref == case.reference and entry.user_id == manager.pk
    assert NAME not in _flat(entry.detail)


def test_export_and_erasure_are_for_the_owners_case_managers(world, manager):
    case = _full_case(manager)
    # a front-line officer of the owning agency: sees the case, may not export or erase
    with pytest.raises(Forbidden):
        subject_export(actor=world.officer, reference=case.reference)
    with pytest.raises(Forbidden):
        subject_erase(actor=world.officer, reference=case.reference, confirm=case.reference)
    # another agency's case manager: the case does not exist for them
    with pytest.raises(NotFound):
        subject_export(actor=world.case_manager, reference=case.reference)
    assert AuditEntry.objects.filter(action="access.refused").count() >= 3
    assert not AuditEntry.objects.filter(action__startswith="subject.").exists()


def test_erasure_removes_the_person_everywhere_and_keeps_the_counts(world, manager):
    case = _full_case(manager)
    facts_before = sorted(map(repr, case_facts(_scope(case))))
    with pytest.raises(ValidationFailed) as err:
        subject_erase(actor=manager, reference=case.reference, confirm="wrong")
    assert err.value.field == "confirm"
    assert _personal_data_left(case)

    counts = subject_erase(actor=manager, reference=case.reference, confirm=case.reference)
    assert counts["person"] == 1
    assert _personal_data_left(case) == []
    assert Case.objects.filter(pk=case.pk).exists()
    assert sorted(map(repr, case_facts(_scope(case)))) == facts_before
    entry = AuditEntry.objects.get(action="subject.erase")
    assert entry.object_ref == case.reference
    text = _flat(entry.detail)
    for secret in (NAME, FAMILY, "FA123456", "4567"):
        assert secret not in text
    # what is left to export is the case facts, no person
    data = subject_export(actor=manager, reference=case.reference)
    assert NAME not in _flat(data) and FAMILY not in _flat(data)
    assert data["erasure"]["kind"]["code"] == "erasure"
    with pytest.raises(ValidationFailed):  # once
        subject_erase(actor=manager, reference=case.reference, confirm=case.reference)
