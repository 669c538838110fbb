"""The data subject's rights over HTTP (bearer tokens, live server)."""

from __future__ import annotations

import pytest

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Person
from opennrm.cases.services import person_save
from tests.cases.helpers import open_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_and_erase_over_the_api(world, api):
    manager = UserFactory(agency=world.police, role="case_manager")
    case = open_case(manager, summary="Found at the market")
    person_save(
        actor=manager,
        case=case,
        data={"given_name": "Olena", "family_name": "Kovalenko"},
        expected_version=None,
    )
    officer = api(world.officer)
    assert officer.get(f"/cases/{case.reference}/personal-data").status_code == 403
    stranger = api(world.coordinator)  # another agency: the case does not exist for them
    missing = stranger.get(f"/cases/{case.reference}/personal-data")
    assert missing.status_code == 404
    assert missing.json()["error"]

    client = api(manager)
    export = client.get(f"/cases/{case.reference}/personal-data")
    assert export.status_code == 200
    assert export.json()["person"]["family_name"] == "Kovalenko"

    url = f"/cases/{case.reference}/personal-data/erasure"
    bad = client.post(url, json={"confirm": "nope"})
    assert bad.status_code == 422 and bad.json()["field"] == "confirm"
    done = client.post(url, json={"confirm": case.reference})
    assert done.status_code == 200, done.text
    assert done.json()["counts"]["person"] == 1
    assert Person.objects.get(case=case).family_name == ""
    entry = AuditEntry.objects.get(action="subject.erase")
    assert "Kovalenko" not in str(entry.detail)
