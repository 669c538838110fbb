"""Personal data at rest: what a stolen database shows (tokens, no names), that the
application still reads and writes plain values, and that the database refuses to
compare ciphertexts instead of silently matching nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.db import connection

from opennrm.cases.models import Case, Person
from opennrm.cases.services import person_read, person_save
from opennrm.casework import services as casework
from opennrm.casework.models import Note, PlanItem
from opennrm.crypto.services import encrypted_columns
from tests.casework.factories import coordination_case

pytestmark = pytest.mark.django_db

NAME = "Oleksandra"
FAMILY = "Hrytsenko-Zwieback"
PASSPORT = "FX4471932"
NOTE = "She described the flat on Lypova street where the passports were taken"
DOB = date(1994, 3, 17)


def _victim_case(world) -> Case:
    case = coordination_case(world)
    case.summary = "Recruited through a job advert for Zwieback bakery work"
    case.save(update_fields=["summary"])
    person_save(
        actor=world.case_manager,
        case=case,
        expected_version=None,
        data={
            "given_name": NAME,
            "family_name": FAMILY,
            "date_of_birth": DOB,
            "documents": f"Passport {PASSPORT}",
            "contact": "+380 67 123 4567 via the shelter",
        },
    )
    casework.note_add(actor=world.case_manager, reference=case.reference, kind="note", text=NOTE)
    casework.note_add(
        actor=world.case_manager,
        reference=case.reference,
        kind="contact",
        text="Phoned about the interview",
        contact_on=case.created_at.date(),
        channel="phone",
        contact_with="her sister Marichka",
    )
    casework.plan_item_add(
        actor=world.case_manager,
        reference=case.reference,
        kind="goal",
        text="Replace the passport FX4471932",
    )
    return case


FREE_TEXT = {  # one word per field, each typed by someone about the victim
    "decline": "Declined: Tarasivna already housed",
    "change": "Oksanivna moved to another shelter",
    "event": "Closed after Bohdanivna returned home",
    "grant": "For the Kovalchuk-Yarema interview",
    "basis": "Court order 12/Zhytomyrska",
    "access_reason": "Need to speak with Levkivna",
    "access_answer": "Only about Hlibivna's visa",
    "handover_reason": "Moves near Dunaivtsi",
    "handover_answer": "Accepted, Solomiivna expected",
    "attachment": "passport_Yavorivska.pdf",
}


def _free_text(world, case: Case) -> None:
    """Rows with free text, stored through the models' fields as the services store them."""
    from django.utils import timezone

    from opennrm.cases.models import AccessRequest, CaseEvent, CaseGrant, Handover
    from opennrm.referrals.models import Referral, ReferralChange

    now = timezone.now()
    t = FREE_TEXT
    referral = Referral.objects.create(
        case=case,
        service_name="Shelter",
        service_type="shelter",
        sending_agency=world.coordination,
        receiving_agency=world.ngo,
        created_by=world.case_manager,
        created_at=now,
        decline_reason=t["decline"],
        legal_basis_note=t["basis"],
    )
    ReferralChange.objects.create(
        referral=referral, to_status="declined", actor=world.case_manager, at=now,
        reason=t["change"],
    )  # fmt: skip
    CaseEvent.objects.create(
        case=case, kind="transition", actor=world.case_manager, at=now, reason=t["event"]
    )
    CaseGrant.objects.create(
        case=case, agency=world.ngo, purpose="assistance", note=t["grant"],
        legal_basis_note=t["basis"], expires_at=now, granted_by=world.case_manager,
        granted_at=now,
    )  # fmt: skip
    AccessRequest.objects.create(
        case=case, agency=world.ngo, requested_by=world.ngo_worker, purpose="assistance",
        reason=t["access_reason"], answer=t["access_answer"], requested_at=now,
    )  # fmt: skip
    Handover.objects.create(
        case=case, from_agency=world.coordination, to_agency=world.ngo,
        requested_by=world.case_manager, reason=t["handover_reason"],
        answer=t["handover_answer"], requested_at=now,
    )  # fmt: skip
    from opennrm.casework.models import Attachment

    Attachment.objects.create(
        case=case, kind="document", filename=t["attachment"], content_type="application/pdf",
        size=1, sha256="0" * 64, storage_name="at-rest-test", uploaded_by=world.case_manager,
        agency=world.coordination, created_at=now,
    )  # fmt: skip


# The phone's digits as written and as normalised; long enough that a hex digest or a
# random token cannot hold them by chance ("4567" alone turned up in an audit hash).
SECRETS = (NAME, FAMILY, PASSPORT, "Lypova", "Zwieback", "Marichka", "1994-03-17")
SECRETS += ("123 4567", "671234567")
FREE_SECRETS = (
    "Tarasivna", "Oksanivna", "Bohdanivna", "Kovalchuk-Yarema", "Zhytomyrska", "Levkivna",
    "Hlibivna", "Dunaivtsi", "Solomiivna", "Yavorivska",
)  # fmt: skip


def _raw_rows() -> list[tuple]:
    rows = []
    with connection.cursor() as cursor:
        for _label, table, columns in encrypted_columns():
            q = connection.ops.quote_name
            cursor.execute(f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)}")  # noqa: S608
            rows.extend(cursor.fetchall())
    return rows


def test_raw_rows_hold_tokens_not_the_personal_data(world):
    case = _victim_case(world)
    _free_text(world, case)
    rows = _raw_rows()
    text = repr(rows)
    for secret in SECRETS + FREE_SECRETS:
        assert secret not in text, secret
    # every stored value is a Fernet token (version byte 0x80: "gAAAAA")
    values = [v for row in rows for v in row if v]
    assert len(values) >= 10
    assert all(str(v).startswith("gAAAAA") for v in values)
    # whole tables, every column, read raw: the name is nowhere (not in the audit either)
    tables = ("cases_person", "cases_case", "casework_note", "audit_auditentry")
    tables += ("referrals_referral", "referrals_referralchange", "cases_caseevent")
    tables += ("cases_casegrant", "cases_accessrequest", "cases_handover", "casework_attachment")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump = repr(cursor.fetchall())
            for secret in SECRETS + FREE_SECRETS:
                assert secret not in dump, (table, secret)
    # ... while the application reads them back as they were written
    person = Person.objects.get(case=case)
    assert (person.given_name, person.family_name, person.date_of_birth) == (NAME, FAMILY, DOB)
    assert person.documents == f"Passport {PASSPORT}"
    view = person_read(actor=world.case_manager, case=case)
    assert view is not None and view.fields["given_name"] == NAME
    assert Note.objects.filter(case=case, kind="note").get().text == NOTE
    assert PlanItem.objects.get(case=case).text.endswith(PASSPORT)
    assert Person.objects.values_list("date_of_birth", flat=True).get(case=case) == DOB


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a copy of the SQLite database file")
@pytest.mark.django_db(transaction=True)
def test_a_copy_of_the_sqlite_file_shows_no_name(world, tmp_path: Path):
    case = _victim_case(world)
    _free_text(world, case)
    stolen = tmp_path / "stolen.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(stolen)])
    data = stolen.read_bytes()
    assert len(data) > 10_000
    for secret in SECRETS + FREE_SECRETS:
        assert secret.encode() not in data, secret
        assert secret.encode("utf-16-le") not in data, secret
    assert b"gAAAAA" in data  # the tokens are there


def test_plain_attribute_access_and_save_keep_working(world):
    """What erasure and pseudonymisation do through the model API."""
    case = _victim_case(world)
    person = Person.objects.get(case=case)
    person.given_name = ""
    person.family_name = "Pseudonym 17"
    person.date_of_birth = None
    person.save(update_fields=["given_name", "family_name", "date_of_birth"])
    person.refresh_from_db()
    assert (person.given_name, person.family_name, person.date_of_birth) == (
        "",
        "Pseudonym 17",
        None,
    )
    Note.objects.filter(case=case).update(text="")
    assert set(Note.objects.filter(case=case).values_list("text", flat=True)) == {""}
    assert NAME not in repr(_raw_rows()) and "Pseudonym" not in repr(_raw_rows())


@pytest.mark.parametrize(
    "lookup",
    [
        {"given_name": NAME},
        {"family_name__icontains": "hryts"},
        {"date_of_birth__year": 1994},
        {"date_of_birth__gte": DOB},
        {"documents__startswith": "Passport"},
    ],
)
def test_the_database_cannot_compare_ciphertexts_so_lookups_are_refused(world, lookup):
    with pytest.raises(FieldError):
        list(Person.objects.filter(**lookup))


def test_isnull_still_works(world):
    case = _victim_case(world)
    assert Person.objects.filter(case=case, date_of_birth__isnull=False).exists()
    assert not Person.objects.filter(case=case, date_of_birth__isnull=True).exists()


def test_every_person_field_that_identifies_is_encrypted():
    """The Person fields that name or locate someone; the rest (gender, age band,
    citizenship, languages) are coarse categories kept for statistics."""
    encrypted = {label: set(columns) for label, _table, columns in encrypted_columns()}
    assert encrypted["cases.Person"] == {
        "given_name",
        "family_name",
        "other_names",
        "date_of_birth",
        "contact",
        "documents",
    }
    assert encrypted["cases.Case"] == {"summary", "forced_criminality_note"}
    assert encrypted["casework.Note"] == {"text", "contact_with"}
    assert encrypted["casework.PlanItem"] == {"text"}
    assert encrypted["referrals.Referral"] == {"note", "decline_reason", "legal_basis_note"}


def test_every_free_text_a_person_writes_about_a_case_is_encrypted():
    """Reasons, answers and notes typed by people: they can name the victim."""
    encrypted = {label: set(columns) for label, _table, columns in encrypted_columns()}
    assert encrypted["referrals.ReferralChange"] == {"reason"}
    assert encrypted["cases.CaseEvent"] == {"reason"}
    assert encrypted["cases.CaseGrant"] == {"note", "legal_basis_note"}
    assert encrypted["cases.AccessRequest"] == {"reason", "answer"}
    assert encrypted["cases.Handover"] == {"reason", "answer"}
    assert encrypted["exchange.IncomingPackage"] == {"note"}
    assert encrypted["casework.Attachment"] == {"filename"}


@pytest.mark.django_db(transaction=True)
def test_the_demo_database_shows_no_demo_persons_name(tmp_path: Path):
    """The demo's own data, loaded through the services: raw rows (both databases) and,
    on SQLite, a copy of the database file hold no person's family name or summary."""
    from opennrm.demo import load_demo

    load_demo(cases=12)
    people = list(Person.objects.exclude(case__isnull=True))
    assert people, "the demo made no person"
    names = {p.family_name for p in people}  # "Person 3", … (decrypted by the model)
    assert all(n.startswith("Person ") for n in names)
    summaries = {s for s in Case.objects.values_list("summary", flat=True) if s}
    assert summaries
    raw = repr(_raw_rows())
    for secret in names | summaries:
        assert secret not in raw
    if connection.vendor == "sqlite":
        stolen = tmp_path / "demo-copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(stolen)])
        data = stolen.read_bytes()
        for secret in names | summaries:
            assert secret.encode() not in data, secret
