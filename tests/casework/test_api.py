"""Casework over real HTTP: the same access rules as the pages (owner, purpose grantees,
strangers, roles that do no casework), validation in words, uploads checked and stored
encrypted, downloads never inline, every read and write audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.casework.models import Attachment
from tests.casework.factories import HTML, PDF, coordination_case

pytestmark = pytest.mark.django_db(transaction=True)


def _actions(reference: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_ref=reference)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_owner_assigns_writes_notes_plan_and_files(world, api):
    case = coordination_case(world)
    ref = case.reference
    client = api(world.case_manager)

    users = client.get("/casework/assignable").json()
    assert {u["id"] for u in users} >= {world.case_manager.pk, world.coordinator.pk}
    assert world.analyst.pk not in {u["id"] for u in users}  # no casework role

    r = client.put(f"/casework/{ref}/assignment", json={"assignee_id": world.case_manager.pk})
    assert r.status_code == 200, r.text
    assert r.json()["assignee"]["user_id"] == world.case_manager.pk
    assert [c["reference"] for c in client.get("/casework/mine").json()] == [ref]

    r = client.post(f"/casework/{ref}/notes", json={"kind": "note", "text": "Перша зустріч"})
    assert r.status_code == 201, r.text
    today = timezone.localdate().isoformat()
    r = client.post(
        f"/casework/{ref}/notes",
        json={"kind": "contact", "text": "Phone call", "contact_on": today, "channel": "phone"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["channel_label"] == "Phone"

    r = client.post(f"/casework/{ref}/plan", json={"kind": "need", "service_type": "shelter"})
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["service_label"] == "Shelter" and item["done"] is False
    r = client.post(f"/casework/{ref}/plan/{item['id']}/done")
    assert r.status_code == 200 and r.json()["done"] is True

    r = client.post(
        f"/casework/{ref}/attachments",
        data={"kind": "consent"},
        files={"file": ("consent.html", PDF, "text/html")},
    )
    assert r.status_code == 201, r.text
    attachment = r.json()
    assert attachment["content_type"] == "application/pdf"  # from the bytes, not the claim
    stored = Attachment.objects.get(pk=attachment["id"])
    assert stored.size == len(PDF)

    r = client.get(f"/casework/{ref}/attachments/{attachment['id']}")
    assert r.status_code == 200
    assert r.content == PDF
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["x-content-type-options"] == "nosniff"

    body = client.get(f"/casework/{ref}").json()
    assert body["parts"] == ["assignment", "notes", "plan", "attachments"]
    assert set(body["may"]) == {"assign", "note", "plan", "attach"}
    assert [n["kind"] for n in body["notes"]] == ["contact", "note"]  # newest first
    assert body["notes"][1]["text"] == "Перша зустріч"
    assert len(body["plan"]) == 1 and len(body["attachments"]) == 1

    actions = _actions(ref)
    for action in (
        "casework.assign",
        "casework.note.add",
        "casework.plan.add",
        "casework.plan.done",
        "casework.attachment.add",
        "casework.attachment.download",
        "casework.view",
    ):
        assert action in actions, action


def test_purpose_grantee_sees_only_its_parts_and_may_not_write(world, api):
    from opennrm.cases.policy import AccessPurpose

    case = coordination_case(world, purpose=AccessPurpose.SHELTER, to=world.ngo)
    ref = case.reference
    owner = api(world.case_manager)
    owner.post(f"/casework/{ref}/notes", json={"kind": "note", "text": "Confidential"})
    ngo = api(world.ngo_worker)

    body = ngo.get(f"/casework/{ref}").json()
    assert body["parts"] == ["assignment", "plan"]
    assert body["notes"] == [] and body["attachments"] == [] and body["may"] == []
    # notes are not shared for shelter: refused like a missing case
    r = ngo.post(f"/casework/{ref}/notes", json={"kind": "note", "text": "x"})
    assert r.status_code == 404
    # the plan is seen but not written
    r = ngo.post(f"/casework/{ref}/plan", json={"kind": "need", "service_type": "shelter"})
    assert r.status_code == 403
    assert AuditEntry.objects.filter(action="access.refused", object_ref=ref).count() >= 2


def test_stranger_gets_the_same_answer_as_for_a_missing_case(world, api):
    case = coordination_case(world)
    stranger = api(world.officer)  # another agency, no grant
    seen = stranger.get(f"/casework/{case.reference}")
    missing = stranger.get("/casework/C-NOSUCH00")
    assert seen.status_code == missing.status_code == 404
    assert seen.json() == missing.json()
    r = stranger.post(f"/casework/{case.reference}/notes", json={"kind": "note", "text": "x"})
    assert r.status_code == 404
    r = stranger.get("/casework/calendar", params={"year": 2026, "month": 1})
    assert r.status_code == 200 and r.json() == []


def test_roles_without_casework_are_refused(world, api):
    case = coordination_case(world)
    for user in (world.analyst, world.auditor):
        client = api(user)
        assert client.get("/casework/mine").status_code == 403
        assert client.get(f"/casework/{case.reference}").status_code == 403


def test_validation_names_the_field(world, api):
    case = coordination_case(world)
    ref = case.reference
    client = api(world.case_manager)
    r = client.post(f"/casework/{ref}/notes", json={"kind": "note", "text": "  "})
    assert r.status_code == 422 and r.json()["field"] == "text"
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    r = client.post(
        f"/casework/{ref}/notes",
        json={"kind": "contact", "text": "x", "contact_on": tomorrow, "channel": "phone"},
    )
    assert r.status_code == 422 and r.json()["field"] == "contact_on"
    r = client.post(f"/casework/{ref}/notes", json={"kind": "gossip", "text": "x"})
    assert r.status_code == 422
    r = client.post(f"/casework/{ref}/plan", json={"kind": "goal"})
    assert r.status_code == 422 and r.json()["field"] == "text"
    r = client.put(f"/casework/{ref}/assignment", json={"assignee_id": world.officer.pk})
    assert r.status_code == 422 and r.json()["field"] == "assignee"
    r = client.post(
        f"/casework/{ref}/attachments",
        data={"kind": "document"},
        files={"file": ("scan.pdf", HTML, "application/pdf")},
    )
    assert r.status_code == 422 and r.json()["field"] == "file"
    # a multipart body Django cannot parse (no boundary) is the client's fault: 400, not 500
    r = client.post(
        f"/casework/{ref}/attachments",
        content=b"--x\r\n",
        headers={"Content-Type": "multipart/form-data"},
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_body", r.text
    assert not Attachment.objects.filter(case=case).exists()
    r = client.get("/casework/calendar", params={"year": 2026, "month": 13})
    assert r.status_code == 422


def test_calendar_lists_deadlines_of_my_cases(world, api):
    from tests.cases.helpers import referred_case

    case = referred_case(world)
    case.refresh_from_db()
    assert case.rg_due is not None
    client = api(world.coordinator)
    r = client.get(
        "/casework/calendar", params={"year": case.rg_due.year, "month": case.rg_due.month}
    )
    assert r.status_code == 200
    items = [i for i in r.json() if i["reference"] == case.reference]
    assert items and items[0]["kind"] == "rg_due" and items[0]["kind_label"]
