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


def test_interview_endpoint_asks_until_settled_and_stores_nothing(world, api):
    client = api(world.inspector)
    wanted = presumed_adult_labour()
    answers: dict[str, str] = {}
    for _ in range(78):
        r = client.post(
            "/screenings/interview", json={"set": "adult_labour", "age": 40, "answers": answers}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 78 and body["asked"] == len(answers)
        if body["outcome_settled"]:
            break
        answers[body["next_question"]] = wanted.get(body["next_question"], "no")
    assert body["outcome"] == body["lowest"] == body["highest"] == "presumed_victim"
    assert len(answers) < 40
    assert not Screening.objects.exists()
    assert (
        api(world.analyst)
        .post("/screenings/interview", json={"set": "adult_labour", "age": 40, "answers": {}})
        .status_code
        == 403
    )
    bad = client.post(
        "/screenings/interview", json={"set": "adult_labour", "age": 40, "answers": {"x.y": "yes"}}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "answers.x.y"
