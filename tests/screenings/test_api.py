import pytest

from opennrm.screenings.models import Screening
from tests.cases.helpers import open_case
from tests.screenings.helpers import presumed_adult_labour

pytestmark = pytest.mark.django_db(transaction=True)


def test_post_screening_returns_outcome_with_explanation(world, api):
    client = api(world.officer)
    r = client.post(
        "/screenings", json={"set": "adult_labour", "age": 33, "answers": presumed_adult_labour()}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "presumed_victim"
    assert body["result"]["explanation"]["uk"] and body["result"]["explanation"]["ru"]
    assert client.get(f"/screenings/{body['id']}").json()["outcome"] == "presumed_victim"
    assert api(world.border_guard).get(f"/screenings/{body['id']}").status_code == 404


def test_case_screenings_listed(world, api):
    client = api(world.officer)
    case = open_case(world.officer)
    r = client.post(
        "/screenings",
        json={
            "set": "adult_labour",
            "age": 33,
            "answers": presumed_adult_labour(),
            "case_reference": case.reference,
        },
    )
    assert r.status_code == 201 and r.json()["case_reference"] == case.reference
    listed = client.get(f"/cases/{case.reference}/screenings").json()
    assert [s["id"] for s in listed] == [r.json()["id"]]
    assert api(world.border_guard).get(f"/cases/{case.reference}/screenings").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"set": "adult_labour", "age": 30, "answers": {"bogus.id": "yes"}}, "answers.bogus.id"),
        ({"set": "adult_labour", "age": 30, "answers": {}, "colour": 1}, "colour"),
        ({"set": "adult_labour", "answers": {}}, "age"),
        (
            {
                "set": "adult_labour",
                "age": 30,
                "answers": {"deceptive_recruitment.debt_bondage": "maybe"},
            },
            "answers",
        ),
        ({"set": "adult_labour", "age": -4, "answers": {}}, "age"),
    ],
)
def test_bad_payloads_are_422_naming_the_field(world, api, body, field):
    r = api(world.officer).post("/screenings", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"].startswith(field)
    assert Screening.objects.count() == 0


def test_malformed_json(world, api):
    r = api(world.officer).post(
        "/screenings", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert 400 <= r.status_code < 500
