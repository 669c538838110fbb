"""The person's rights on the case page: export download and erasure."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Person
from opennrm.cases.services import person_save
from opennrm.dataprotection.models import Erasure
from tests.cases.helpers import open_case
from tests.conftest import verified_client
from tests.factories import UserFactory


@pytest.fixture
def manager(world):
    return UserFactory(agency=world.police, role="case_manager")


@pytest.fixture
def case(manager):
    case = open_case(manager, summary="Found at the market")
    person_save(
        actor=manager,
        case=case,
        data={"given_name": "Olena", "family_name": "Kovalenko", "gender": "female"},
        expected_version=None,
    )
    return case


def test_case_manager_downloads_the_export_and_erases(world, manager, case):
    client = verified_client(manager)
    detail = client.get(reverse("web:case_detail", args=[case.reference]))
    assert b'id="open-subject-rights"' in detail.content

    page = client.get(reverse("dataprotection:subject", args=[case.reference]))
    assert page.status_code == 200
    assert b"Olena" not in page.content  # the page shows counts, not the data
    assert b'id="erase"' in page.content

    export = client.get(reverse("dataprotection:export", args=[case.reference]))
    assert export.status_code == 200
    assert export["Cache-Control"] == "no-store"
    assert "attachment" in export["Content-Disposition"]
    assert json.loads(export.content)["person"]["given_name"] == "Olena"
    assert AuditEntry.objects.filter(action="subject.export", object_ref=case.reference).exists()

    url = reverse("dataprotection:erase", args=[case.reference])
    wrong = client.post(url, {"confirm": "C-WRONG"})
    assert wrong.status_code == 422
    assert Person.objects.get(case=case).given_name == "Olena"

    done = client.post(url, {"confirm": case.reference})
    assert done.status_code == 302
    assert Person.objects.get(case=case).given_name == ""
    assert Erasure.objects.filter(case=case, kind="erasure").exists()
    after = client.get(reverse("dataprotection:subject", args=[case.reference]))
    assert b'id="erase"' not in after.content  # once


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_page_in_the_readers_language(world, manager, case, lang):
    client = verified_client(manager)
    client.cookies["django_language"] = lang
    page = client.get(reverse("dataprotection:subject", args=[case.reference]))
    text = page.content.decode()
    assert {"uk": "Право на доступ", "ru": "Право на доступ"}[lang] in text


def test_front_line_officer_sees_neither_card_nor_page(world, manager, case):
    officer = UserFactory(agency=world.police, role="frontline")
    client = verified_client(officer)
    detail = client.get(reverse("web:case_detail", args=[case.reference]))
    assert detail.status_code == 200
    assert b'id="open-subject-rights"' not in detail.content
    page = client.get(reverse("dataprotection:subject", args=[case.reference]))
    assert page.status_code == 403
    export = client.get(reverse("dataprotection:export", args=[case.reference]))
    assert export.status_code == 403
    assert b"Olena" not in export.content
    erase = client.post(
        reverse("dataprotection:erase", args=[case.reference]), {"confirm": case.reference}
    )
    assert erase.status_code == 403
    assert Person.objects.get(case=case).given_name == "Olena"
