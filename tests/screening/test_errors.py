"""Input validation: one error type naming every offending field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from opennrm.screening import Catalogue, ScreeningInputError, evaluate, evaluate_payload

EX_HOURS = "exploitative_conditions.excessive_working_days_or_hours"


def errors_of(cat: Catalogue, **kwargs: Any) -> list[dict[str, str]]:
    with pytest.raises(ScreeningInputError) as info:
        evaluate(cat, **kwargs)
    return info.value.to_list()


def test_unknown_indicator_with_suggestion(cat: Catalogue) -> None:
    errs = errors_of(
        cat,
        set_id="adult_labour",
        age=30,
        answers={"coercion_at_destination.debt_bondag": "yes"},
    )
    assert errs == [
        {
            "field": "answers.coercion_at_destination.debt_bondag",
            "message": "unknown indicator id; did you mean coercion_at_destination.debt_bondage?",
        }
    ]


def test_cyrillic_look_alike_in_id_is_rejected_without_echo(cat: Catalogue) -> None:
    spoofed = "coercion_at_destination.debt_b\u043endage"  # Cyrillic о
    errs = errors_of(cat, set_id="adult_labour", age=30, answers={EX_HOURS: "yes", spoofed: "yes"})
    assert errs == [
        {
            "field": "answers[#2]",
            "message": "is not an indicator id (only a-z, 0-9, '_' and '.'); "
            "did you mean coercion_at_destination.debt_bondage?",
        }
    ]


def test_ids_are_case_insensitive(cat: Catalogue) -> None:
    r = evaluate(cat, set_id="adult_labour", age=30, answers={EX_HOURS.upper(): "yes"})
    assert r.dimensions[3].present[0].indicator_id == EX_HOURS


def test_free_text_is_never_echoed(cat: Catalogue) -> None:
    secret = "Olena, beaten by Ivan at the farm"
    with pytest.raises(ScreeningInputError) as info:
        evaluate(cat, set_id=secret, age=30, answers={secret: secret, EX_HOURS: secret})
    assert "Olena" not in str(info.value)
    assert "Ivan" not in json.dumps(info.value.to_list())
    assert [e.field for e in info.value.errors] == ["set", "answers[#1]", f"answers.{EX_HOURS}"]


def test_indicator_from_another_set(cat: Catalogue) -> None:
    # forced-criminality items belong to the labour sets only
    errs = errors_of(
        cat, set_id="adult_sexual", age=30, answers={"forced_criminality.begging_for_others": "yes"}
    )
    assert errs == [
        {
            "field": "answers.forced_criminality.begging_for_others",
            "message": "is not part of set adult_sexual (it belongs to adult_labour, child_labour)",
        }
    ]
    # an adult-only item answered for a child
    errs = errors_of(
        cat,
        set_id="child_labour",
        age=12,
        answers={"exploitative_conditions.no_social_protection": "no"},
    )
    assert errs[0]["message"] == (
        "is not part of set child_labour (it belongs to adult_labour, adult_sexual)"
    )


def test_derived_forced_labour_indicator_cannot_be_answered(cat: Catalogue) -> None:
    errs = errors_of(
        cat, set_id="adult_labour", age=30, answers={"ilo_forced_labour.debt_bondage": "yes"}
    )
    assert "derived ILO forced-labour indicator" in errs[0]["message"]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("maybe", "other text"),
        ("y", "other text"),
        ("", "other text"),
        (1, "a number"),
        (True, "true/false"),
        (None, "null"),
        (["yes"], "a list"),
        ({"a": 1}, "an object"),
    ],
)
def test_invalid_answer_values(cat: Catalogue, value: object, kind: str) -> None:
    errs = errors_of(cat, set_id="adult_labour", age=30, answers={EX_HOURS: value})
    assert errs == [
        {
            "field": f"answers.{EX_HOURS}",
            "message": f"invalid answer ({kind}); use yes, no or unknown",
        }
    ]


def test_same_indicator_twice_after_normalisation(cat: Catalogue) -> None:
    errs = errors_of(
        cat, set_id="adult_labour", age=30, answers={EX_HOURS: "yes", f" {EX_HOURS} ": "no"}
    )
    assert errs == [{"field": f"answers.{EX_HOURS}", "message": "answered twice"}]


@pytest.mark.parametrize(
    ("set_id", "age", "message"),
    [
        (
            "adult_labour",
            17,
            "is under 18: use a child set (child_labour or child_sexual), not adult_labour",
        ),
        (
            "child_sexual",
            18,
            "is 18 or over, but set child_sexual is for persons under 18",
        ),
        ("adult_labour", -1, "must be between 0 and 130"),
        ("adult_labour", 200, "must be between 0 and 130"),
        ("adult_labour", "30", "must be a whole number of years, or null if unknown"),
        ("adult_labour", 30.0, "must be a whole number of years, or null if unknown"),
        ("adult_labour", True, "must be a whole number of years, or null if unknown"),
    ],
)
def test_age_errors(cat: Catalogue, set_id: str, age: object, message: str) -> None:
    assert errors_of(cat, set_id=set_id, age=age, answers={}) == [
        {"field": "age", "message": message}
    ]


def test_unknown_age_is_allowed_with_any_set(cat: Catalogue) -> None:
    for set_id in cat.set_ids:
        assert evaluate(cat, set_id=set_id, age=None, answers={}).age is None


def test_unknown_set_and_bad_answers_container(cat: Catalogue) -> None:
    errs = errors_of(cat, set_id="adult_forced", age=30, answers=["yes"])
    assert [e["field"] for e in errs] == ["set", "answers"]
    assert errs[0]["message"].startswith("unknown set 'adult_forced'; use one of adult_labour")


def test_all_problems_reported_at_once(cat: Catalogue) -> None:
    errs = errors_of(
        cat,
        set_id="adult_labour",
        age=16,
        answers={"nope": "yes", EX_HOURS: "perhaps", 7: "yes"},
    )
    assert [e["field"] for e in errs] == [
        "age",
        "answers.nope",
        f"answers.{EX_HOURS}",
        "answers[#3]",
    ]


def test_error_needs_at_least_one_field_error() -> None:
    with pytest.raises(ValueError, match="at least one FieldError"):
        ScreeningInputError([])


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ([], ["payload"]),
        ("adult_labour", ["payload"]),
        ({"set": "adult_labour", "answers": {}}, ["age"]),
        ({"age": 30}, ["answers", "set"]),
        ({"set": "adult_labour", "age": 30, "answers": {}, "name": "x"}, ["payload.name"]),
        ({"set": "adult_labour", "age": 30, "answers": None}, ["answers"]),
    ],
)
def test_malformed_payloads(cat: Catalogue, payload: object, fields: list[str]) -> None:
    with pytest.raises(ScreeningInputError) as info:
        evaluate_payload(cat, payload)
    assert [e.field for e in info.value.errors] == fields


def test_valid_payload(cat: Catalogue) -> None:
    r = evaluate_payload(cat, {"set": "adult_labour", "age": None, "answers": {EX_HOURS: "yes"}})
    assert r.set_id == "adult_labour" and r.outcome.value == "possible_victim"
