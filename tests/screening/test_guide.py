"""next_questions(): the questions that could settle the open dimensions, most decisive first."""

from __future__ import annotations

import pytest

from opennrm.screening import Catalogue, next_questions

DR_JOB = "deceptive_recruitment.deceived_about_the_nature_of_the_job_location_or_employer"
DR_WAGES = "deceptive_recruitment.deceived_about_wages_or_earnings"
EX_HOURS = "exploitative_conditions.excessive_working_days_or_hours"
EX_PAY = "exploitative_conditions.low_or_no_salary"
CD_DOCS = "coercion_at_destination.confiscation_of_documents"


def test_next_questions_in_two_languages(cat: Catalogue) -> None:
    answers = dict.fromkeys([DR_JOB, DR_WAGES, EX_HOURS, EX_PAY], "yes")
    qs = next_questions(
        cat,
        set_id="adult_labour",
        age=40,
        answers=answers,
        lang="uk",
        interviewee_lang="ru",
        limit=3,
    )
    assert [q.indicator_id for q in qs] == [
        CD_DOCS,
        "coercion_at_destination.debt_bondage",
        "coercion_at_destination.isolation_confinement_or_surveillance",
    ]
    assert qs[0].strength.value == "strong"
    assert qs[0].label == "Вилучення документів"
    assert qs[0].questions[0].startswith("Чи хтось інший тримає у себе ваш паспорт")
    assert qs[0].interviewee_questions is not None
    assert qs[0].interviewee_questions[0].startswith("Кто-то другой держит у себя ваш паспорт")
    assert qs[0].to_dict()["indicator_id"] == CD_DOCS


def test_one_yes_away_comes_first(cat: Catalogue) -> None:
    # coercion at destination has one strong "yes": any further coercion item completes the rule
    answers = dict.fromkeys([DR_JOB, DR_WAGES, EX_HOURS, EX_PAY, CD_DOCS], "yes")
    qs = next_questions(cat, set_id="adult_labour", age=40, answers=answers)
    first_medium = next(i for i, q in enumerate(qs) if q.strength.value == "medium")
    assert all(q.dimension == "coercion_at_destination" for q in qs[: first_medium + 1])
    assert qs[-1].dimension == "abuse_of_vulnerability_at_destination"


def test_no_questions_once_presumed(cat: Catalogue) -> None:
    answers = dict.fromkeys(
        [DR_JOB, DR_WAGES, EX_HOURS, EX_PAY, CD_DOCS, "coercion_at_destination.debt_bondage"], "yes"
    )
    assert next_questions(cat, set_id="adult_labour", age=40, answers=answers) == ()


def test_limit_and_language_validation(cat: Catalogue) -> None:
    assert len(next_questions(cat, set_id="child_labour", age=10, answers={}, limit=5)) == 5
    assert next_questions(cat, set_id="child_labour", age=10, answers={}, limit=0) == ()
    with pytest.raises(ValueError, match="limit"):
        next_questions(cat, set_id="child_labour", age=10, answers={}, limit=-1)
    with pytest.raises(ValueError, match="unsupported language"):
        next_questions(cat, set_id="child_labour", age=10, answers={}, lang="fr")
