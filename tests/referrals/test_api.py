"""Referrals, consent, access requests and hand-overs over real HTTP."""

from __future__ import annotations

from django.utils import timezone

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import AccessRequest, Case
from opennrm.cases.services import person_save
from tests.cases.helpers import open_case, referred_case, step
from tests.referrals.helpers import shelter_of


def _decided(world):
    case = referred_case(world)
    person_save(
        actor=world.officer,
        case=case,
        expected_version=None,
        data={"given_name": "Олена", "gender": "female", "documents": "Passport AB123456"},
    )
    case.refresh_from_db()
    step(case, world.coordinator, "decide_reasonable_grounds")
    return case


def test_refer_accept_and_consent_withdrawal_over_http(world, api):
    case = _decided(world)
    shelter = shelter_of(world.ngo)
    full = shelter_of(world.ngo, capacity_available=0, name="Full shelter")
    coordinator, ngo = api(world.coordinator), api(world.ngo_worker)

    ranked = coordinator.get(f"/cases/{case.reference}/services", params={"needs": "shelter"})
    assert ranked.status_code == 200, ranked.text
    rows = {r["name"]: r for r in ranked.json()}
    assert rows[shelter.name]["eligible"] and rows[shelter.name]["reasons"]
    assert not rows["Full shelter"]["eligible"] and rows["Full shelter"]["problems"]
    assert next(iter(rows)) == shelter.name  # the eligible one ranks first

    body = {"service_id": str(shelter.pk), "note": "Needs a place tonight"}
    r = coordinator.post(f"/cases/{case.reference}/referrals", json=body)
    assert r.status_code == 422 and r.json()["field"] == "consent"
    consent = {
        "kind": "referral",
        "service_ref": str(shelter.pk),
        "fields": ["given_name", "gender"],
        "obtained_on": timezone.localdate().isoformat(),
        "method": "in_person",
        "interpreter_language": "uk",
    }
    r = coordinator.post(f"/cases/{case.reference}/consents", json=consent)
    assert r.status_code == 201, r.text
    consent_id = r.json()["id"]
    r = coordinator.post(f"/cases/{case.reference}/referrals", json=body | {"note": "x" * 2001})
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = coordinator.post(f"/cases/{case.reference}/referrals", json={"service_id": str(full.pk)})
    assert r.status_code == 422 and r.json()["field"] == "service"
    r = coordinator.post(f"/cases/{case.reference}/referrals", json=body)
    assert r.status_code == 201, r.text
    referral = r.json()
    assert referral["status"] == "sent" and referral["purpose"] == "shelter"

    # the shelter: only shelter fields within the consent's scope; no owner's steps
    inbox = ngo.get("/referrals").json()
    assert [x["id"] for x in inbox] == [referral["id"]]
    person = ngo.get(f"/cases/{case.reference}/person").json()
    assert person["given_name"] == "Олена" and person["documents"] is None
    assert "documents" in person["hidden"]
    detail = ngo.get(f"/cases/{case.reference}").json()
    assert detail["available_transitions"] == [] and detail["summary"] is None
    r = ngo.post(
        f"/cases/{case.reference}/transitions",
        json={"name": "withdraw", "version": detail["version"], "reason": "x"},
    )
    assert r.status_code == 403
    r = ngo.put(f"/cases/{case.reference}/person", json={"version": 1, "given_name": "X"})
    assert r.status_code == 403

    # answer: a stale version is a conflict; accept; the referrer sees the outcome
    act = f"/referrals/{referral['id']}/actions"
    assert ngo.post(act, json={"action": "accept", "version": 0}).status_code == 409
    assert (
        ngo.post(act, json={"action": "decline", "version": referral["version"]}).status_code == 422
    )
    r = ngo.post(act, json={"action": "accept", "version": referral["version"]})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert coordinator.get(f"/referrals/{referral['id']}").json()["status"] == "accepted"
    assert coordinator.post(act, json={"action": "complete", "version": 9}).status_code == 403

    # consent withdrawn: the shelter's access ends at once; the referral is withdrawn
    r = coordinator.post(f"/cases/{case.reference}/consents/{consent_id}/withdraw")
    assert r.status_code == 200 and r.json()["withdrawn_at"]
    assert ngo.get(f"/cases/{case.reference}").status_code == 404
    assert coordinator.get(f"/referrals/{referral['id']}").json()["status"] == "withdrawn"


def test_access_request_does_not_reveal_existence(world, api):
    case = open_case(world.officer)
    asker = api(world.case_manager)
    body = {"purpose": "investigation", "reason": "Linked to an open investigation"}
    known = asker.post("/access-requests", json=body | {"reference": case.reference})
    unknown = asker.post("/access-requests", json=body | {"reference": "C-ZZZZZZZZ"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert AccessRequest.objects.filter(case=case).count() == 1
    assert AuditEntry.objects.filter(action="access.request").count() == 2


def test_handover_request_and_accept(world, api):
    from tests.factories import UserFactory

    manager = UserFactory(agency=world.police, role="case_manager")
    case = open_case(manager)
    r = api(manager).post(
        f"/cases/{case.reference}/handovers",
        json={"to_agency_id": world.coordination.pk, "reason": "The office takes over in Kyiv"},
    )
    assert r.status_code == 201, r.text
    offered = api(world.case_manager).get("/handovers").json()
    assert [h["case_reference"] for h in offered] == [case.reference]
    assert api(world.officer).get("/handovers").json() == []
    r = api(world.case_manager).post(f"/handovers/{offered[0]['id']}/answer", json={"accept": True})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert Case.objects.get(pk=case.pk).owning_agency == world.coordination
    assert api(manager).get(f"/cases/{case.reference}").status_code == 404


def test_dashboard_lists_referrals_waiting_for_the_agency(world):
    from opennrm.referrals.services import referral_create
    from tests.conftest import verified_client
    from tests.referrals.helpers import consent_to_service

    case = _decided(world)
    shelter = shelter_of(world.ngo, name="Shelter Dawn")
    consent_to_service(case, world.coordinator, shelter)
    referral_create(actor=world.coordinator, case=case, service=shelter)
    html = verified_client(world.ngo_worker).get("/").content.decode()
    assert "incoming-referrals" in html and "Shelter Dawn" in html
    assert "incoming-referrals" not in verified_client(world.officer).get("/").content.decode()


def test_a_service_grantee_does_not_list_the_other_recipients(world, api):
    case = _decided(world)
    shelter = shelter_of(world.ngo)
    from opennrm.referrals.services import referral_create
    from tests.referrals.helpers import consent_to_service

    consent_to_service(case, world.coordinator, shelter)
    referral_create(actor=world.coordinator, case=case, service=shelter)
    assert api(world.ngo_worker).get(f"/cases/{case.reference}/grants").status_code == 403
    assert api(world.officer).get(f"/cases/{case.reference}/grants").status_code == 200
    assert AuditEntry.objects.filter(action="access.refused", detail__what="grants").exists()
