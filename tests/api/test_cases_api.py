"""The case API over real HTTP against a live server."""

from __future__ import annotations

import httpx
import pytest
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case, CaseEvent
from tests.cases.helpers import consent_to, open_case, referred_case

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_credentials_is_401_with_a_message(live_server):
    r = httpx.get(live_server.url + "/api/cases")
    assert r.status_code == 401
    assert "bearer token" in r.json()["message"]


def test_bad_token_is_401(live_server):
    r = httpx.get(live_server.url + "/api/cases", headers={"Authorization": "Bearer onrm_forged"})
    assert r.status_code == 401


def test_openapi_schema_and_docs_are_served(live_server, world, api):
    client = api(world.officer)
    schema = client.get("/openapi.json").json()
    assert "/api/cases/{reference}/transitions" in schema["paths"]
    assert httpx.get(live_server.url + "/api/docs").status_code == 200


def test_create_list_detail_and_need_to_know(world, api):
    officer = api(world.officer)
    r = officer.post(
        "/cases", json={"exploitation_type": "labour", "region": "Kyiv", "summary": "Farm work"}
    )
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    assert r.json()["state"] == "flagged" and r.json()["owning_agency"] == "Kyiv Police"
    listed = officer.get("/cases", params={"state": "flagged"}).json()
    assert [c["reference"] for c in listed["items"]] == [ref]
    detail = officer.get(f"/cases/{ref}").json()
    assert detail["timeline"][0]["kind"] == "created"
    assert {t["name"] for t in detail["available_transitions"]} == {"screen", "lose_contact"}
    assert AuditEntry.objects.filter(action="case.view", object_ref=ref).exists()

    border = api(world.border_guard)
    hidden = border.get(f"/cases/{ref}")
    missing = border.get("/cases/C-DOESNOTX")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert border.get("/cases").json()["items"] == []


def test_pagination_has_next(world, api):
    for _ in range(3):
        open_case(world.officer)
    client = api(world.officer)
    first = client.get("/cases", params={"page_size": 2}).json()
    second = client.get("/cases", params={"page_size": 2, "page": 2}).json()
    assert first["has_next"] and not second["has_next"]
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert client.get("/cases", params={"page_size": 1000}).status_code == 422


def test_workflow_over_http(world, api):
    officer, coordinator = api(world.officer), api(world.coordinator)
    ref = officer.post("/cases", json={}).json()["reference"]
    r = officer.post(
        f"/cases/{ref}/transitions",
        json={"name": "screen", "version": 1, "screening_outcome": "presumed_victim"},
    )
    assert r.status_code == 200 and r.json()["state"] == "screened"
    consent = {
        "kind": "sharing",
        "purpose": "nrm_referral",
        "recipient_agency_id": world.coordination.pk,
        "fields": ["given_name", "family_name", "date_of_birth"],
        "obtained_on": timezone.localdate().isoformat(),
        "method": "in_person",
        "interpreter_language": "uk",
    }
    refer = {
        "name": "refer",
        "version": 2,
        "reason": "x",
        "referral_agency_id": world.coordination.pk,
    }
    r = officer.post(f"/cases/{ref}/transitions", json=refer)
    assert r.status_code == 422 and r.json()["field"] == "consent"  # no consent yet
    r = officer.post(f"/cases/{ref}/consents", json=consent)
    assert r.status_code == 201, r.text
    r = officer.post(
        f"/cases/{ref}/transitions",
        json={
            "name": "refer",
            "version": 2,
            "reason": "indicators",
            "referral_agency_id": world.coordination.pk,
        },
    )
    assert r.status_code == 200 and r.json()["deadline_kind"] == "rg_decision"
    # the coordinator now sees it through the referral grant
    r = coordinator.post(
        f"/cases/{ref}/transitions",
        json={"name": "decide_reasonable_grounds", "version": 3, "reason": "Strong indicators"},
    )
    assert r.status_code == 200 and r.json()["state"] == "presumed_victim"


def test_invalid_steps_are_clear_4xx_and_write_nothing(world, api):
    officer = api(world.officer)
    case = open_case(world.officer)
    audit_before = AuditEntry.objects.count()
    cases = [
        ({"name": "identify", "version": 1, "reason": "x"}, 409, "invalid_transition"),
        ({"name": "screen", "version": 1}, 422, "validation_failed"),
        ({"name": "screen", "version": 7, "screening_outcome": "possible_victim"}, 409, "conflict"),
        ({"name": "nope", "version": 1}, 409, "invalid_transition"),
        ({"name": "screen"}, 422, "validation_failed"),
        ({"name": "screen", "version": 1, "colour": "red"}, 422, "validation_failed"),
    ]
    for body, status, code in cases:
        r = officer.post(f"/cases/{case.reference}/transitions", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"] == code and r.json()["message"]
    r = officer.post(
        f"/cases/{case.reference}/transitions", json={"name": "screen", "version": 1, "colour": "r"}
    )
    assert r.json()["field"] == "colour"
    case.refresh_from_db()
    assert case.state == "flagged" and case.version == 1
    assert AuditEntry.objects.count() == audit_before + 0


def test_forbidden_step_is_403(world, api):
    case = referred_case(world)
    r = api(world.officer).post(
        f"/cases/{case.reference}/transitions",
        json={"name": "decide_reasonable_grounds", "version": case.version, "reason": "x"},
    )
    assert r.status_code == 403 and "role" in r.json()["message"]


def test_malformed_json_and_oversized_body(world, api, settings):
    officer = api(world.officer)
    r = officer.post(
        "/cases", content=b'{"region": "Kyiv",', headers={"Content-Type": "application/json"}
    )
    assert 400 <= r.status_code < 500 and r.json()
    huge = b'{"summary": "' + b"x" * 2_000_000 + b'"}'
    r = officer.post("/cases", content=huge, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert Case.objects.count() == 0


def test_patch_with_stale_version_is_409(world, api):
    officer = api(world.officer)
    case = open_case(world.officer)
    ok = officer.patch(f"/cases/{case.reference}", json={"version": 1, "summary": "updated"})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = officer.patch(f"/cases/{case.reference}", json={"version": 1, "summary": "lost update"})
    assert stale.status_code == 409 and "Reload" in stale.json()["message"]
    case.refresh_from_db()
    assert case.summary == "updated"
    empty = officer.patch(f"/cases/{case.reference}", json={"version": 2})
    assert empty.status_code == 422


def test_person_read_is_audited_and_hidden_from_others(world, api):
    officer = api(world.officer)
    case = open_case(world.officer)
    r = officer.put(
        f"/cases/{case.reference}/person", json={"given_name": "Марія", "citizenship": "UA"}
    )
    assert r.status_code == 200 and r.json()["version"] == 1
    r = officer.get(f"/cases/{case.reference}/person")
    assert r.json()["given_name"] == "Марія"
    # the PUT's answer and the GET both showed the data: two audited reads
    assert AuditEntry.objects.filter(action="person.view", purpose="case_work").count() == 2
    # a purpose the officer does not hold is refused (and the attempt audited)
    r = officer.get(f"/cases/{case.reference}/person", params={"purpose": "shelter"})
    assert r.status_code == 403
    assert AuditEntry.objects.filter(action="access.refused").exists()
    assert api(world.border_guard).get(f"/cases/{case.reference}/person").status_code == 404
    r = officer.put(f"/cases/{case.reference}/person", json={"given_name": "X"})
    assert r.status_code == 409  # exists already: send version


def test_grants_over_http(world, api):
    from tests.factories import UserFactory

    manager = UserFactory(agency=world.police, role="case_manager")
    client = api(manager)
    case = open_case(manager)
    r = client.post(
        f"/cases/{case.reference}/grants",
        json={
            "agency_id": world.ngo.pk,
            "purpose": "shelter",
            "expires_at": "2099-01-01T00:00:00Z",
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "expires_at"
    share = {"agency_id": world.ngo.pk, "purpose": "shelter", "expires_at": _in_days(10)}
    r = client.post(f"/cases/{case.reference}/grants", json=share)
    assert r.status_code == 422 and r.json()["field"] == "consent"
    consent_to(case, manager, world.ngo, purpose="shelter")
    r = client.post(f"/cases/{case.reference}/grants", json=share)
    assert r.status_code == 201, r.text
    ngo = api(world.ngo_worker)
    assert ngo.get(f"/cases/{case.reference}").status_code == 200
    grant_id = r.json()["id"]
    assert client.delete(f"/cases/{case.reference}/grants/{grant_id}").status_code == 204
    assert ngo.get(f"/cases/{case.reference}").status_code == 404
    assert CaseEvent.objects.filter(case=case, kind="grant_revoked").exists()


def test_audit_api_is_for_auditors_only(world, api):
    open_case(world.officer)
    assert api(world.officer).get("/audit").status_code == 403
    auditor = api(world.auditor)
    page = auditor.get("/audit", params={"action": "case."}).json()
    assert page["items"][0]["action"] == "case.create"
    verify = auditor.get("/audit/verify").json()
    assert verify["ok"] and verify["checked"] >= 1


def _in_days(days: int) -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.now() + timedelta(days=days)).isoformat()


def test_audit_filter_with_an_offset_postgresql_refuses_is_read_in_utc(world, api):
    # schemathesis found it on PostgreSQL: "+21:29" is ISO 8601 and Python, not PostgreSQL
    r = api(world.auditor).get("/audit", params={"since": "0972-06-16T18:09:37.31+21:29"})
    assert r.status_code == 200, r.text
