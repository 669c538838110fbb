"""The access policy as a matrix over real HTTP, generated from the policy table.

For every grantable purpose (``policy.PROFILES``) × every role that works with cases
(``policy.ROLE_ACTIONS``) × the state of the person's consent, a user of the grantee
agency talks to a live server with a bearer token, and each answer is compared with
what the table says: which person fields come back, which case facts are non-null,
which facts a search row shows, which person fields and case facts may be changed,
which workflow steps may be taken, and whether the user may share the case, record
consent, refer the person to a service or hand the case over. Refusals must be audited;
a case the user may not see must look exactly like a missing one (owner and stranger
rows complete the matrix).

The expectations are computed here from the table (and the workflow's role sets), never
copied by hand, so a change of the table changes the matrix.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from opennrm.accounts.roles import CASE_ROLES, Role
from opennrm.audit.models import AuditEntry
from opennrm.cases import policy
from opennrm.cases.models import Case, CaseGrant, Consent, Person
from opennrm.cases.workflow import TRANSITIONS, State, transitions_from
from tests.cases.helpers import consent_to
from tests.cases.matrix import (
    API_KEYS,
    CASE_EDITS,
    CONSENT_STATES,
    DEADLINE_KEYS,
    MISSING,
    PERSON_EDITS,
    PURPOSES,
    ROLES,
    Expect,
    consent_subset,
    expect,
    grantee_user,
    matrix_case,
    matrix_owner,
)
from tests.conftest import bearer_token
from tests.factories import UserFactory
from tests.referrals.helpers import consent_to_service, shelter_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_matrix_is_not_vacuous():
    """Each kind of check is answered both ways somewhere in the matrix."""
    rows = [
        expect(p, r, s) for p in PURPOSES for r in ROLES for s in CONSENT_STATES if s != "expired"
    ]
    every = {
        "case_visible": set(policy.CASE_FIELDS),
        "case_editable": set(policy.CASE_EDITABLE_FIELDS),
        "person_visible": set(policy.PERSON_FIELDS),
        "person_editable": set(policy.PERSON_FIELDS),
        "steps": set(TRANSITIONS),
    }
    for attr, full in every.items():
        assert any(getattr(row, attr) for row in rows), attr
        assert any(getattr(row, attr) != full for row in rows), attr
    assert any(row.ended for row in rows) and not all(row.ended for row in rows)
    for action in ("share", "consent"):
        assert {action in row.actions for row in rows} == {True, False}, action
    # a grantee never takes the owner's withdrawal
    assert not any("withdraw" in row.steps for row in rows)
    assert set(PURPOSES) <= set(policy.PROFILES)


# --- set-up ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _pool():
    transport = httpx.HTTPTransport()
    yield transport
    transport.close()


@pytest.fixture
def api(live_server, _pool):
    """As ``tests.conftest.api`` (a bearer token per user, HTTP to the live server), with one
    connection pool for the module: hundreds of clients without a TLS context each."""

    def for_user(user) -> httpx.Client:
        raw = bearer_token(user)
        return httpx.Client(
            base_url=live_server.url + "/api",
            headers={"Authorization": f"Bearer {raw}"},
            timeout=30,
            transport=_pool,
            trust_env=False,
        )

    return for_user


@dataclass
class Scene:
    world: Any
    api: Any  # the ``api`` fixture: user → httpx client
    case: Case
    owner: Any  # the owning agency's case manager: records consent, shares
    owner_client: httpx.Client

    @property
    def ref(self) -> str:
        return self.case.reference


def _scene(world, api, *, legal_basis_permission: bool = False) -> Scene:
    owner = matrix_owner(world, legal_basis_permission=legal_basis_permission)
    case = matrix_case(world, owner)
    return Scene(world=world, api=api, case=case, owner=owner, owner_client=api(owner))


def _grant_json(agency_id: int, purpose: str, **extra: Any) -> dict[str, Any]:
    expires = timezone.now() + timedelta(days=3)
    return {"agency_id": agency_id, "purpose": purpose, "expires_at": expires.isoformat()} | extra


LEGAL_BASIS = {
    "legal_basis": "statutory_duty",
    "legal_basis_note": "Section 12 of the Anti-Trafficking Act obliges this share.",
}


def _share_with_ngo(scene: Scene, purpose: str, consent_state: str) -> None:
    """The owner shares the case with the NGO over HTTP, in the consent state asked for."""
    world, case, owner = scene.world, scene.case, scene.owner
    profile = policy.PROFILES[purpose]
    consent = None
    extra: dict[str, Any] = {}
    if consent_state == "legal_basis":
        extra = LEGAL_BASIS
        if profile.needs_consent:
            # without consent, the same request by a manager lacking the permission fails
            plain = scene.api(UserFactory(agency=world.police, role=Role.CASE_MANAGER))
            r = plain.post(f"/cases/{scene.ref}/grants", json=_grant_json(world.ngo.pk, purpose))
            assert r.status_code == 422 and r.json()["field"] == "consent", r.text
            r = plain.post(
                f"/cases/{scene.ref}/grants", json=_grant_json(world.ngo.pk, purpose, **extra)
            )
            assert r.status_code == 403, r.text
    else:
        fields = (
            consent_subset(purpose) if consent_state == "consent_subset" else policy.PERSON_FIELDS
        )
        consent = consent_to(
            case,
            owner,
            world.ngo,
            purpose=purpose,
            fields=fields,
            expires_in_days=1 if consent_state == "expired" else None,
        )
    r = scene.owner_client.post(
        f"/cases/{scene.ref}/grants", json=_grant_json(world.ngo.pk, purpose, **extra)
    )
    assert r.status_code == 201, r.text
    grant = r.json()
    if not profile.needs_consent:
        assert grant["consent_id"] is None and grant["legal_basis"] == ""
    elif consent is None:
        assert grant["consent_id"] is None and grant["legal_basis"] == "statutory_duty"
    else:
        assert grant["consent_id"] == consent.pk and grant["legal_basis"] == ""
    if consent_state == "withdrawn":
        r = scene.owner_client.post(f"/cases/{scene.ref}/consents/{consent.pk}/withdraw")
        assert r.status_code == 200 and r.json()["withdrawn_at"] is not None, r.text
    elif consent_state == "expired":
        # Two days pass: the consent ran out yesterday, and the grant resting on it with it.
        shift = timedelta(days=2)
        c = Consent.objects.get(pk=consent.pk)
        Consent.objects.filter(pk=c.pk).update(
            obtained_on=c.obtained_on - shift, expires_on=c.expires_on - shift
        )
        g = CaseGrant.objects.get(pk=grant["id"])
        CaseGrant.objects.filter(pk=g.pk).update(
            granted_at=g.granted_at - shift, expires_at=g.expires_at - shift
        )


#: Where each case fact shows in a row of ``GET /api/cases`` (the search list).
LIST_KEYS = {
    field: keys
    for field, keys in API_KEYS.items()
    if field not in {"summary", "forced_criminality_note", "timeline", "screenings"}
}

# --- the checks ----------------------------------------------------------------------------


def _last_entry(user) -> AuditEntry | None:
    return AuditEntry.objects.filter(user_id=user.pk).order_by("-seq").first()


def _assert_refused(r: httpx.Response, user, ref: str, what: str) -> None:
    assert r.status_code == 403, (what, r.status_code, r.text)
    entry = _last_entry(user)
    assert entry is not None and entry.action == "access.refused", (what, entry)
    assert entry.object_ref == ref and entry.detail == {"what": what}


def _requests(ref: str, world) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every request on a case the matrix makes, with a body that would otherwise pass."""
    today = timezone.localdate().isoformat()
    return [
        ("GET", f"/cases/{ref}", None),
        ("GET", f"/cases/{ref}/person", None),
        ("GET", f"/cases/{ref}/transitions", None),
        ("GET", f"/cases/{ref}/grants", None),
        ("GET", f"/cases/{ref}/consents", None),
        ("PUT", f"/cases/{ref}/person", {"version": 1, "given_name": "Olha"}),
        ("PATCH", f"/cases/{ref}", {"version": 1, "summary": "x"}),
        (
            "POST",
            f"/cases/{ref}/transitions",
            {"name": "lose_contact", "version": 1, "reason": "r"},
        ),
        ("POST", f"/cases/{ref}/grants", _grant_json(world.border.pk, "interpretation")),
        (
            "POST",
            f"/cases/{ref}/consents",
            {
                "kind": "sharing",
                "purpose": "medical",
                "recipient_agency_id": world.border.pk,
                "fields": ["given_name"],
                "obtained_on": today,
                "method": "in_person",
            },
        ),
        ("POST", f"/cases/{ref}/anonymous", {"reason": "declined"}),
        ("GET", f"/cases/{ref}/referrals", None),
        ("GET", f"/cases/{ref}/services", None),
        ("POST", f"/cases/{ref}/referrals", {"service_id": str(uuid.UUID(int=1))}),
        (
            "POST",
            f"/cases/{ref}/handovers",
            {"to_agency_id": world.labour.pk, "reason": "Another agency takes it over."},
        ),
    ]


#: The answers for a reference that does not exist, asked once (they do not depend on who
#: asks or on the data).
_MISSING_ANSWERS: list[tuple[int, Any]] = []


def assert_looks_missing(client: httpx.Client, ref: str, world) -> None:
    """Every request on a case this user may not see answers exactly as for no case."""
    if not _MISSING_ANSWERS:
        for method, path, body in _requests(MISSING, world):
            r = client.request(method, path, json=body)
            _MISSING_ANSWERS.append((r.status_code, r.json()))
    for (method, path, body), (status, answer) in zip(
        _requests(ref, world), _MISSING_ANSWERS, strict=True
    ):
        hidden = client.request(method, path, json=body)
        assert hidden.status_code == status == 404, (method, path, hidden.text)
        assert hidden.json() == answer, (method, path)


def _source_state(transition) -> str:
    return sorted(transition.sources)[0]


def _check_visible_case(scene: Scene, user, client: httpx.Client, want: Expect) -> None:
    """Reads, writes, actions and steps of one user on a case they can see."""
    world, ref = scene.world, scene.ref

    # -- the case's facts
    r = client.get(f"/cases/{ref}")
    assert r.status_code == 200, r.text
    detail = r.json()
    for field, keys in API_KEYS.items():
        for key in keys:
            shown = detail[key] is not None
            assert shown == (field in want.case_visible), (field, key, detail[key])
    if "deadlines" not in want.case_visible:
        assert all(detail[key] is None for key in DEADLINE_KEYS)
    access = detail["access"]
    assert set(access["case_fields"]) == want.case_visible
    assert set(access["case_editable"]) == want.case_editable
    assert set(access["person_fields"]) == want.person_visible
    assert set(access["person_editable"]) == want.person_editable
    assert set(access["actions"]) == want.actions
    offered = {t["name"] for t in detail["available_transitions"]}
    assert offered == {t.name for t in transitions_from(State.REFERRED)} & want.steps

    # -- the search list shows no more of the case than the case itself
    r = client.get("/cases", params={"reference": ref})
    assert r.status_code == 200, r.text
    [row] = r.json()["items"]
    assert row["reference"] == ref and row["state"] == State.REFERRED
    for field, keys in LIST_KEYS.items():
        for key in keys:
            assert (row[key] is not None) == (field in want.case_visible), (field, key, row[key])
    if "deadlines" not in want.case_visible:
        assert all(row[key] is None for key in DEADLINE_KEYS)

    # -- the person's data: exactly the visible fields, or refused as a whole
    r = client.get(f"/cases/{ref}/person")
    if want.person_visible:
        assert r.status_code == 200, r.text
        body = r.json()
        shown = {f for f in policy.PERSON_FIELDS if body[f] is not None}
        assert shown == want.person_visible
        assert set(body["hidden"]) == set(policy.PERSON_FIELDS) - want.person_visible
        entry = _last_entry(user)
        assert entry.action == "person.view" and set(entry.detail["fields"]) == shown
    else:
        _assert_refused(r, user, ref, "person")

    # -- change each person field
    for field in policy.PERSON_FIELDS:
        version = Person.objects.get(case=scene.case).version
        r = client.put(
            f"/cases/{ref}/person", json={"version": version, field: PERSON_EDITS[field]}
        )
        if field in want.person_editable:
            assert r.status_code == 200, (field, r.text)
        else:
            _assert_refused(r, user, ref, "person:edit")

    # -- change each editable case fact
    for field in policy.CASE_EDITABLE_FIELDS:
        version = Case.objects.values_list("version", flat=True).get(pk=scene.case.pk)
        r = client.patch(f"/cases/{ref}", json={"version": version, field: CASE_EDITS[field]})
        if field in want.case_editable:
            assert r.status_code == 200, (field, r.text)
        else:
            _assert_refused(r, user, ref, f"edit:{field}")

    # -- share it (the person agreed to the border guard's interpreter)
    r = client.post(f"/cases/{ref}/grants", json=_grant_json(world.border.pk, "interpretation"))
    if "share" in want.actions:
        assert r.status_code == 201, r.text
    else:
        _assert_refused(r, user, ref, "share")

    # -- record the person's consent
    r = client.post(
        f"/cases/{ref}/consents",
        json={
            "kind": "sharing",
            "purpose": "medical",
            "recipient_agency_id": world.border.pk,
            "fields": ["given_name", "languages"],
            "obtained_on": timezone.localdate().isoformat(),
            "method": "in_person",
        },
    )
    if "consent" in want.actions:
        assert r.status_code == 201, r.text
    else:
        _assert_refused(r, user, ref, "consent")

    # -- the referrals of the case and the services ranked for the person
    for path in (f"/cases/{ref}/referrals", f"/cases/{ref}/services"):
        r = client.get(path)
        if "refer" in want.actions:
            assert r.status_code == 200, (path, r.text)
        else:
            _assert_refused(r, user, ref, "refer")

    # -- refer the person to a shelter (the person agreed to that service)
    service = shelter_of(world.ngo)
    consent_to_service(scene.case, scene.owner, service)
    r = client.post(f"/cases/{ref}/referrals", json={"service_id": str(service.pk)})
    if "refer" in want.actions:
        assert r.status_code == 201, r.text
    else:
        _assert_refused(r, user, ref, "refer")

    # -- hand the case over to another agency: the owner only
    r = client.post(
        f"/cases/{ref}/handovers",
        json={
            "to_agency_id": world.labour.pk,
            "reason": "The labour inspectorate leads the investigation now.",
        },
    )
    if "handover" in want.actions and user.agency_id == scene.case.owning_agency_id:
        assert r.status_code == 201, r.text
    else:
        _assert_refused(r, user, ref, "handover")

    # -- each workflow step, from a state where it is possible
    for transition in TRANSITIONS.values():
        Case.objects.filter(pk=scene.case.pk).update(
            state=_source_state(transition), reflection_ends=None
        )
        version = Case.objects.values_list("version", flat=True).get(pk=scene.case.pk)
        body: dict[str, Any] = {
            "name": transition.name,
            "version": version,
            "reason": "Documented reason.",
        }
        if transition.requires_screening_outcome:
            body["screening_outcome"] = "presumed_victim"
        if transition.requires_referral_agency:
            body["referral_agency_id"] = world.coordination.pk
        r = client.post(f"/cases/{ref}/transitions", json=body)
        if transition.name in want.steps:
            assert r.status_code == 200, (transition.name, r.text)
            assert r.json()["state"] == transition.target
        else:
            _assert_refused(r, user, ref, f"step:{transition.name}")


# --- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("consent_state", CONSENT_STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("purpose", PURPOSES)
def test_grantee(world, api, purpose, role, consent_state):
    """A user of the NGO the case was shared with, for ``purpose``, in ``consent_state``."""
    scene = _scene(world, api, legal_basis_permission=consent_state == "legal_basis")
    _share_with_ngo(scene, purpose, consent_state)
    user = grantee_user(world, role)
    client = api(user)
    want = expect(purpose, role, consent_state)
    if want.ended:
        assert_looks_missing(client, scene.ref, world)
        entry = _last_entry(user)
        assert entry.action == "access.refused" and entry.detail == {"what": "case"}
    else:
        _check_visible_case(scene, user, client, want)


@pytest.mark.parametrize("role", ROLES)
def test_owner(world, api, role):
    """A user of the owning agency: the owner's relation is ``case_work``."""
    scene = _scene(world, api)
    user = scene.owner if role == Role.CASE_MANAGER else UserFactory(agency=world.police, role=role)
    _check_visible_case(scene, user, api(user), expect(policy.AccessPurpose.CASE_WORK, role, None))


@pytest.mark.parametrize("role", sorted(Role.values))
def test_stranger(world, api, role):
    """Any user of an agency with no relation to the case: it does not exist for them; a
    user of the owning agency whose role does not work with cases is a stranger too."""
    scene = _scene(world, api)
    _share_with_ngo(scene, "shelter", "consent_all")
    agency = world.border if role in CASE_ROLES else world.police
    user = UserFactory(agency=agency, role=role)
    assert_looks_missing(api(user), scene.ref, world)
