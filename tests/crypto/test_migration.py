"""The data migration encrypts rows stored in plaintext before it, and going back
decrypts them (with the keys): run on the real migration graph of the test database."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from opennrm.cases.models import Person
from opennrm.casework.models import Note
from tests.crypto.test_at_rest import DOB, FAMILY, NAME, NOTE, PASSPORT, _victim_case


def _raw(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_existing_plaintext_is_encrypted_and_back(world):
    case = _victim_case(world)
    try:
        # back to before the data migrations: the rows are plaintext again
        call_command("migrate", "cases", "0006", verbosity=0)
        call_command("migrate", "casework", "0002", verbosity=0)
        person = _raw("SELECT given_name, family_name, date_of_birth, documents FROM cases_person")
        assert person == [(NAME, FAMILY, DOB.isoformat(), f"Passport {PASSPORT}")]
        assert (NOTE,) in _raw("SELECT text FROM casework_note")

        # forwards: encrypted again, and read as before
        call_command("migrate", verbosity=0)
        raw = repr(_raw("SELECT * FROM cases_person") + _raw("SELECT * FROM casework_note"))
        for secret in (NAME, FAMILY, PASSPORT, NOTE, DOB.isoformat()):
            assert secret not in raw
        person = Person.objects.get(case=case)
        assert (person.given_name, person.date_of_birth) == (NAME, DOB)
        assert Note.objects.filter(case=case, kind="note").get().text == NOTE

        # and all the way back past the schema change (text columns to their old types)
        call_command("migrate", "cases", "0005", verbosity=0)
        rows = _raw("SELECT given_name, date_of_birth FROM cases_person")
        assert rows[0][0] == NAME and str(rows[0][1]) == DOB.isoformat()
    finally:
        call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_existing_free_text_is_encrypted_and_back(world):
    from opennrm.cases.models import CaseGrant
    from opennrm.referrals.models import Referral
    from tests.crypto.test_at_rest import FREE_SECRETS, FREE_TEXT, _free_text

    case = _victim_case(world)
    _free_text(world, case)
    tables = ("referrals_referral", "referrals_referralchange", "cases_caseevent")
    tables += ("cases_casegrant", "cases_accessrequest", "cases_handover", "casework_attachment")

    def dump() -> str:
        return repr([_raw(f"SELECT * FROM {t}") for t in tables])  # noqa: S608

    try:
        call_command("migrate", "cases", "0008", verbosity=0)  # before the data migrations
        call_command("migrate", "referrals", "0004", verbosity=0)
        call_command("migrate", "casework", "0004", verbosity=0)
        plain = dump()
        assert all(secret in plain for secret in FREE_SECRETS)

        call_command("migrate", verbosity=0)
        encrypted = dump()
        assert not any(secret in encrypted for secret in FREE_SECRETS)
        assert Referral.objects.get(case=case).decline_reason == FREE_TEXT["decline"]
        assert CaseGrant.objects.get(case=case, note__isnull=False).note == FREE_TEXT["grant"]

        call_command("migrate", "cases", "0007", verbosity=0)  # past the schema change
        call_command("migrate", "referrals", "0003", verbosity=0)
        call_command("migrate", "casework", "0003", verbosity=0)
        back = dump()
        assert all(secret in back for secret in FREE_SECRETS)
    finally:
        call_command("migrate", verbosity=0)
