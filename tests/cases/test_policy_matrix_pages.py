"""The access policy as a matrix through the pages, generated from the policy table.

A smaller cousin of ``test_policy_matrix.py`` (the API over HTTP): for every grantable
purpose × role of the grantee agency × consent (all fields, a subset, withdrawn) and the
owner's roles, the person page shows exactly the visible fields and its form offers only
the editable ones; the case page shows only the visible facts and only the steps the
profile and the role allow; the edit page offers only the editable facts.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.cases import policy
from opennrm.cases.services import consent_withdraw, grant_create
from opennrm.cases.workflow import State, transitions_from
from tests.cases.helpers import consent_to
from tests.cases.matrix import (
    NOTE,
    PURPOSES,
    REGION,
    ROLES,
    SUMMARY,
    Expect,
    consent_subset,
    expect,
    grantee_user,
    matrix_case,
    matrix_owner,
)
from tests.conftest import verified_client
from tests.factories import UserFactory

#: What of each person field a page shows, whichever way (read-only or in the form); any
#: of the alternatives (a choice's code or its label).
PERSON_MARKERS: dict[str, tuple[str, ...]] = {
    "given_name": ("Olena",),
    "family_name": ("Kovalenko",),
    "other_names": ("Lena K",),
    "date_of_birth": ("1990",),
    "age_band": ("35-49", "35–49"),
    "gender": ("female", "Female"),
    "citizenship": ("Ukraine",),
    "languages": ("uk, ru",),
    "contact": ("Through the shelter",),
    "documents": ("FA123456",),
}
#: What of each case fact the case page shows (``timeline``: the first event's label).
CASE_MARKERS = {
    "exploitation_type": "Labour exploitation",
    "region": REGION,
    "is_child": None,  # an adult's case: nothing to show either way
    "forced_criminality": 'id="non-punishment"',
    "forced_criminality_note": NOTE,
    "summary": SUMMARY,
    "screening_outcome": "Presumed victim: refer now",
    "deadlines": "Reasonable-grounds decision due",
    "timeline": "Case opened",
    "screenings": None,  # none recorded on this case
}
#: CSV columns per case fact, where the column has a value on this case.
CSV_FACTS = {
    "exploitation_type": "exploitation_type",
    "region": "region",
    "is_child": "is_child",
    "forced_criminality": "forced_criminality",
    "forced_criminality_note": "forced_criminality_note",
    "screening_outcome": "screening_outcome",
    "rg_due": "deadlines",
    "deadline": "deadlines",
    "deadline_kind": "deadlines",
}
PAGE_STATES = ("consent_all", "consent_subset", "withdrawn")

assert set(PERSON_MARKERS) == set(policy.PERSON_FIELDS)
assert set(CASE_MARKERS) == set(policy.CASE_FIELDS)


def _inputs(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\sname="([a-z_]+)"', html))


def _same_page(html: str, reference: str) -> str:
    """A page with what differs per request taken out: the CSRF token, the address asked."""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1"', html)
    return html.replace(reference, "C-REF")


def _last_refusal(user) -> tuple[str, dict] | None:
    entry = AuditEntry.objects.filter(user_id=user.pk).order_by("-seq").first()
    if entry is None or entry.action != "access.refused":
        return None
    return entry.object_ref, entry.detail


def _step_buttons(html: str) -> set[str]:
    return set(re.findall(r'<button[^>]*name="go" value="([a-z_]+)"', html))


def _check_pages(case, user, want: Expect) -> None:
    client = verified_client(user)
    ref = case.reference

    # -- the case page: facts, step buttons, links
    r = client.get(f"/cases/{ref}/")
    assert r.status_code == 200
    html = r.content.decode()
    for field, marker in CASE_MARKERS.items():
        if marker is not None:
            assert (marker in html) == (field in want.case_visible), field
    offered = {t.name for t in transitions_from(State.REFERRED)} & want.steps
    assert _step_buttons(html) == offered
    assert (f"/cases/{ref}/edit/" in html) == bool(want.case_editable)
    assert (f"/cases/{ref}/person/" in html) == bool(want.person_visible)
    assert (f"/cases/{ref}/grants/" in html) == ("share" in want.actions)

    # -- lists show no more of the case than the case page: search, dashboard, CSV export
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    html = client.get("/cases/", {"q": ref}).content.decode()
    assert ref in html
    assert (REGION in html) == ("region" in want.case_visible)
    assert (due in html) == ("deadlines" in want.case_visible)
    assert ("non-punishment</span>" in html) == ("forced_criminality" in want.case_visible)
    html = client.get("/").content.decode()
    assert ref in html
    assert (due in html) == ("deadlines" in want.case_visible)
    assert ("Labour exploitation" in html) == ("exploitation_type" in want.case_visible)
    assert ("non-punishment</span>" in html) == ("forced_criminality" in want.case_visible)
    r = client.get("/cases/export.csv", {"q": ref})
    header, row = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))
    exported = dict(zip(header, row, strict=True))
    assert exported["reference"] == ref
    for column, fact in CSV_FACTS.items():
        assert (exported[column] != "") == (fact in want.case_visible), column

    # -- the person page: exactly the visible fields, a form with the editable ones
    r = client.get(f"/cases/{ref}/person/")
    if not want.person_visible:
        assert r.status_code == 403
    else:
        assert r.status_code == 200
        html = r.content.decode()
        for field, markers in PERSON_MARKERS.items():
            shown = any(marker in html for marker in markers)
            assert shown == (field in want.person_visible), field
        assert _inputs(html) & set(policy.PERSON_FIELDS) == want.person_editable
    if not want.person_editable:
        r = client.post(f"/cases/{ref}/person/", {"given_name": "Changed", "version": 1})
        assert r.status_code == 403
        assert _last_refusal(user) == (ref, {"what": "person:edit"})

    # -- the edit page offers only the editable facts
    r = client.get(f"/cases/{ref}/edit/")
    if not want.case_editable:
        assert r.status_code == 403
        if policy.role_edits(user.role):  # else the page is closed to the role itself
            assert _last_refusal(user) == (ref, {"what": "edit"})
    else:
        assert r.status_code == 200
        html = r.content.decode()
        assert _inputs(html) & set(policy.CASE_FIELDS) == want.case_editable


@pytest.mark.parametrize("consent_state", PAGE_STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("purpose", PURPOSES)
def test_grantee_pages(world, purpose, role, consent_state):
    owner = matrix_owner(world)
    case = matrix_case(world, owner)
    fields = consent_subset(purpose) if consent_state == "consent_subset" else None
    consent = consent_to(
        case, owner, world.ngo, purpose=purpose, fields=fields or policy.PERSON_FIELDS
    )
    grant_create(
        actor=owner,
        case=case,
        agency=world.ngo,
        purpose=purpose,
        expires_at=timezone.now() + timedelta(days=3),
    )
    if consent_state == "withdrawn":
        consent_withdraw(actor=owner, consent=consent)
    user = grantee_user(world, role)
    want = expect(purpose, role, consent_state)
    if want.ended:
        client = verified_client(user)
        for path in ("", "person/", "edit/"):
            hidden = client.get(f"/cases/{case.reference}/{path}")
            missing = client.get(f"/cases/C-NOSUCH00/{path}")
            assert hidden.status_code == missing.status_code
            # the edit page is closed to a service provider's role whatever the case
            assert hidden.status_code == 404 or (path == "edit/" and hidden.status_code == 403)
            assert _same_page(hidden.content.decode(), case.reference) == _same_page(
                missing.content.decode(), "C-NOSUCH00"
            )
    else:
        _check_pages(case, user, want)


@pytest.mark.parametrize("role", ROLES)
def test_owner_pages(world, role):
    owner = matrix_owner(world)
    case = matrix_case(world, owner)
    user = owner if role == owner.role else UserFactory(agency=world.police, role=role)
    _check_pages(case, user, expect(policy.AccessPurpose.CASE_WORK, role, None))
