"""The directory over real HTTP (API) and through the pages."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opennrm.directory.models import Service
from tests.conftest import verified_client
from tests.directory.factories import OrganizationFactory, ServiceFactory, hsds_record


@pytest.fixture
def shelter(world):
    org = OrganizationFactory(agency=world.ngo, name="Shelter Org")
    return ServiceFactory(
        organization=org,
        name="Lviv shelter",
        capacity_total=10,
        capacity_available=4,
        languages=["uk", "pl"],
        schedules=[{"id": "x", "byday": "MO,FR", "opens_at": "09:00", "closes_at": "17:00"}],
    )


@pytest.mark.django_db(transaction=True)
def test_api_list_detail_and_capacity(api, world, shelter):
    ServiceFactory(name="Kyiv legal", service_type="legal_aid", regions=["Kyiv"])
    officer = api(world.officer)
    listed = officer.get("/directory/services", params={"service_type": "shelter"})
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()] == ["Lviv shelter"]
    assert (
        officer.get("/directory/services", params={"region": "Kyiv"}).json()[0]["name"]
        == "Kyiv legal"
    )
    detail = officer.get(f"/directory/services/{shelter.pk}").json()
    assert detail["capacity_available"] == 4 and detail["capacity_editable"] is False
    assert officer.get("/directory/services/not-a-uuid").status_code == 404
    assert (
        officer.get("/directory/services/00000000-0000-0000-0000-000000000000").status_code == 404
    )
    refused = officer.patch(
        f"/directory/services/{shelter.pk}/capacity", json={"available": 1, "version": 1}
    )
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"

    ngo = api(world.ngo_worker)
    assert ngo.get(f"/directory/services/{shelter.pk}").json()["capacity_editable"] is True
    ok = ngo.patch(
        f"/directory/services/{shelter.pk}/capacity", json={"available": 0, "version": 1}
    )
    assert (
        ok.status_code == 200 and ok.json()["capacity_available"] == 0 and ok.json()["version"] == 2
    )
    stale = ngo.patch(
        f"/directory/services/{shelter.pk}/capacity", json={"available": 3, "version": 1}
    )
    assert stale.status_code == 409 and stale.json()["error"] == "conflict"
    too_many = ngo.patch(
        f"/directory/services/{shelter.pk}/capacity", json={"available": 11, "version": 2}
    )
    assert too_many.status_code == 422 and too_many.json()["field"] == "available"
    wrong = ngo.patch(
        f"/directory/services/{shelter.pk}/capacity", json={"available": "many", "version": 2}
    )
    assert wrong.status_code == 422
    extra = ngo.patch(
        f"/directory/services/{shelter.pk}/capacity",
        json={"available": 1, "version": 2, "name": "x"},
    )
    assert extra.status_code == 422
    anonymous = Client().get("/api/directory/services")
    assert anonymous.status_code == 401


@pytest.mark.django_db
def test_pages_list_detail_and_capacity_form(world, shelter):
    assert Client().get("/directory/").status_code == 302
    client = verified_client(world.officer)
    page = client.get("/directory/", {"service_type": "shelter", "language": "pl"})
    html = page.content.decode()
    assert page.status_code == 200 and "Lviv shelter" in html and "4 places free" in html
    assert "Polish" in html and 'href="/directory/"' in html  # the navigation link
    ServiceFactory(name="English desk", languages=["en"])
    rows = client.get("/directory/", {"language": "en"}, HTTP_HX_REQUEST="true").content.decode()
    assert "English desk" in rows and "Lviv shelter" not in rows and "<html" not in rows
    detail = client.get(f"/directory/services/{shelter.pk}/").content.decode()
    assert "Monday" in detail and "09:00–17:00" in detail and "capacity-form" not in detail
    assert (
        client.post(
            f"/directory/services/{shelter.pk}/capacity/", {"available": 1, "version": 1}
        ).status_code
        == 403
    )

    ngo = verified_client(world.ngo_worker)
    assert "capacity-form" in ngo.get(f"/directory/services/{shelter.pk}/").content.decode()
    bad = ngo.post(f"/directory/services/{shelter.pk}/capacity/", {"available": "12", "version": 1})
    assert bad.status_code == 422
    text = bad.content.decode()
    assert 'value="12"' in text and "10 places in total" in text  # input kept, message in words
    done = ngo.post(f"/directory/services/{shelter.pk}/capacity/", {"available": "2", "version": 1})
    assert done.status_code == 302
    stale = ngo.post(
        f"/directory/services/{shelter.pk}/capacity/", {"available": "5", "version": 1}
    )
    assert stale.status_code == 409 and "Someone else updated" in stale.content.decode()
    shelter.refresh_from_db()
    assert shelter.capacity_available == 2


@pytest.mark.django_db
def test_import_page_reports_each_bad_record_and_export_downloads(world):
    officer = verified_client(world.officer)
    assert officer.get("/directory/import/").status_code == 403
    coordinator = verified_client(world.coordinator)
    bad = hsds_record(status="maybe", name="<b>Bad one</b>")
    payload = json.dumps([hsds_record(), bad]).encode()
    response = coordinator.post(
        "/directory/import/", {"file": SimpleUploadedFile("d.json", payload, "application/json")}
    )
    html = response.content.decode()
    assert response.status_code == 200 and Service.objects.count() == 1
    assert "1 new" in html and "1 refused" in html
    assert "&lt;b&gt;Bad one&lt;/b&gt;" in html and "<b>Bad one" not in html
    assert "<code>status</code>" in html
    broken = coordinator.post(
        "/directory/import/", {"file": SimpleUploadedFile("d.json", b"{nope", "application/json")}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.content.decode()
    export = officer.get("/directory/export.json")
    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    assert json.loads(export.content)["contents"][0]["name"] == "Night shelter"


@pytest.mark.django_db(transaction=True)
def test_api_ranks_services_for_a_person_in_the_body(api, world, shelter):
    ServiceFactory(name="Women only", genders="female", languages=["uk"], regions=["Lviv"])
    ServiceFactory(name="Legal", service_type="legal_aid")
    client = api(world.officer)
    body = {"needs": ["shelter"], "language": "pl", "gender": "male", "age": 40, "region": "Lviv"}
    ranked = client.post("/directory/rank", json=body)
    assert ranked.status_code == 200
    rows = ranked.json()
    assert [r["service"]["name"] for r in rows] == ["Lviv shelter", "Women only"]
    assert rows[0]["eligible"] and "Speaks Polish" in rows[0]["reasons"]
    assert rows[1]["problems"] == ["Only for women"]
    in_russian = client.post("/directory/rank", json=body, headers={"Accept-Language": "ru"})
    assert in_russian.json()[1]["problems"] == ["Только для женщин"]
    for bad in ({"needs": ["spa"]}, {"age": -1}, {"gender": "x"}, {"country": "ukr"}, {"x": 1}):
        assert client.post("/directory/rank", json=bad).status_code == 422, bad


@pytest.mark.django_db
def test_match_page_ranks_with_reasons_and_keeps_facts_out_of_the_url(world, shelter):
    ServiceFactory(name="Full one", capacity_total=3, capacity_available=0, languages=["uk"])
    client = verified_client(world.officer)
    assert client.get("/directory/match/").status_code == 200
    response = client.post(
        "/directory/match/",
        {"needs": ["shelter"], "language": "pl", "gender": "female", "age": "30", "region": "Lviv"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Lviv shelter") < html.index("Full one")
    assert "Speaks Polish" in html and "Full: no places free" in html
    assert "Cannot take the person now" in html
    bad = client.post("/directory/match/", {"age": "200"})
    assert bad.status_code == 200 and "match-results" not in bad.content.decode()
    assert verified_client(world.analyst).get("/directory/match/").status_code == 403
