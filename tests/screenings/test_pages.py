"""The interview pages over the Django client: the short (adaptive) interview, "finish" only
where it makes sense, the confirmation for finishing early, and the plain explanation."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from opennrm.screening import evaluate, interview_state, load_catalogue
from opennrm.screenings.models import Screening, ScreeningStatus
from opennrm.screenings.plain import explain
from opennrm.screenings.services import screening_record
from tests.conftest import verified_client
from tests.screenings.helpers import presumed_adult_labour

pytestmark = pytest.mark.django_db


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]


def _indicator(html: str) -> str:
    return re.search(r'name="indicator" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_short_interview_asks_deciding_questions_and_stops_when_settled(world):
    client = verified_client(world.inspector)
    response = client.post(
        "/screenings/new/",
        {"set_id": "adult_labour", "age": "30", "interviewee_language": "uk", "mode": "short"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/ask/")
    url = response["Location"]
    truth = presumed_adult_labour()
    asked = 0
    while True:
        html = client.get(url).content.decode()
        if 'id="settled"' in html or 'name="indicator"' not in html:
            break
        assert "of 78 questions asked" in html
        iid = _indicator(html)
        response = client.post(
            url,
            {"version": _version(html), "indicator": iid, "answer": truth.get(iid, "no")},
        )
        assert response.status_code == 302
        asked += 1
    screening = Screening.objects.get()
    state = interview_state(
        load_catalogue(), set_id="adult_labour", age=30, answers=screening.answers
    )
    assert state.outcome_settled
    assert asked == len(screening.answers) < 40
    # settled: finishing goes straight to the result, which is the full answers' outcome
    response = client.post(f"/screenings/{screening.public_id}/finish/")
    assert response.status_code == 302
    screening.refresh_from_db()
    full = {
        i: truth.get(i, "no") for i in load_catalogue().indicator_set("adult_labour").indicator_ids
    }
    assert screening.outcome == str(
        evaluate(load_catalogue(), set_id="adult_labour", age=30, answers=full).outcome
    )
    page = client.get(f"/screenings/{screening.public_id}/").content.decode()
    assert '<details class="formal">' in page
    assert "not asked: no answer to them could change this outcome" in page


def test_full_interview_offers_finish_early_only_with_a_confirmation(world):
    client = verified_client(world.officer)
    response = client.post(
        "/screenings/new/",
        {"set_id": "adult_labour", "interviewee_language": "en", "mode": "full"},
    )
    url = response["Location"]
    assert url.endswith("/q/0/")
    html = client.get(url).content.decode()
    # not settled: no plain "Finish" beside "Save and continue", only "Finish early…"
    assert "Finish early…" in html
    assert "Finish and see the result" not in html
    response = client.post(url, {"version": _version(html), "go": "finish"})
    assert response.status_code == 302 and response["Location"].endswith("/finish/")
    confirm = client.get(response["Location"]).content.decode()
    assert "78 questions are not asked yet" in confirm
    assert "Deceptive recruitment" in confirm  # which topics are still open
    assert Screening.objects.get().status == ScreeningStatus.DRAFT
    client.post(response["Location"])
    assert Screening.objects.get().status == ScreeningStatus.COMPLETED


def test_full_interview_shows_settled_and_finish_once_the_outcome_cannot_change(world):
    client = verified_client(world.officer)
    url = client.post(
        "/screenings/new/",
        {"set_id": "adult_labour", "interviewee_language": "en", "mode": "full"},
    )["Location"]
    html = client.get(url).content.decode()
    answers = {f"a:{k}": v for k, v in presumed_adult_labour().items()}
    # answers of other sections are accepted on this page's form only for its questions;
    # save them through the service-backed pages section by section instead
    screening = Screening.objects.get()
    from opennrm.screenings.services import screening_save_answers

    screening_save_answers(
        actor=world.officer,
        screening=screening,
        answers=presumed_adult_labour(),
        expected_version=int(_version(html)),
    )
    html = client.get(url).content.decode()
    assert 'id="settled"' in html
    assert "Finish and see the result" in html
    assert answers


def test_an_unknown_answer_is_not_asked_again(world):
    client = verified_client(world.officer)
    url = client.post(
        "/screenings/new/",
        {"set_id": "child_labour", "age": "15", "interviewee_language": "en", "mode": "short"},
    )["Location"]
    html = client.get(url).content.decode()
    first = _indicator(html)
    client.post(url, {"version": _version(html), "indicator": first, "answer": "unknown"})
    html = client.get(url).content.decode()
    assert _indicator(html) != first
    assert "1 of 76 questions asked" in html


def test_a_bad_answer_is_refused_in_words_not_500(world):
    client = verified_client(world.officer)
    url = client.post(
        "/screenings/new/",
        {"set_id": "adult_labour", "interviewee_language": "en", "mode": "short"},
    )["Location"]
    html = client.get(url).content.decode()
    response = client.post(
        url, {"version": _version(html), "indicator": _indicator(html), "answer": "maybe"}
    )
    assert response.status_code == 409
    response = client.post(
        url, {"version": _version(html), "indicator": "no.such", "answer": "yes"}
    )
    assert response.status_code == 409


@pytest.mark.parametrize("lang", ["en", "uk", "ru"])
def test_plain_explanation_names_indicators_dimensions_and_rule(world, lang):
    screening = screening_record(
        actor=world.officer, set_id="adult_labour", age=30, answers=presumed_adult_labour()
    )
    cat = load_catalogue()
    plain = explain(screening.result, lang)
    text = "\n".join(plain.sentences)
    for iid in presumed_adult_labour():
        assert cat.indicator(iid).label.get(lang) in text
    for dim in ("deceptive_recruitment", "exploitative_conditions", "coercion_at_destination"):
        assert cat.dimension(dim).label.get(lang) in text
    assert "clause" not in text and "AND" not in text
    if lang != "en":
        assert re.search(r"[А-Яа-яІіЇїЄє]", plain.headline + plain.rule + plain.summary)
        with translation.override(lang):
            assert plain.headline != explain(screening.result, "en").headline
    client = verified_client(world.officer)
    client.cookies["django_language"] = lang
    with translation.override("en"):  # the request activates lang: restore it afterwards
        page = client.get(f"/screenings/{screening.public_id}/", HTTP_ACCEPT_LANGUAGE=lang)
    body = page.content.decode()
    assert plain.rule in body.replace("&#x27;", "'").replace("&quot;", '"')
    assert '<details class="formal">' in body
