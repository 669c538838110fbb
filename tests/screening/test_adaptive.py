"""The adaptive interview: bounds, stopping and order (hypothesis over random answer vectors,
for every indicator set)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.screening import (
    Answer,
    Outcome,
    Strength,
    evaluate,
    interview_state,
    load_catalogue,
    outcome_bounds,
)

CAT = load_catalogue()
AGE = {"adult_labour": 30, "adult_sexual": 30, "child_labour": 15, "child_sexual": 15}
VALUES = (Answer.YES, Answer.NO, Answer.UNKNOWN)


@st.composite
def answer_vectors(
    draw: st.DrawFn, set_ids: tuple[str, ...] = CAT.set_ids
) -> tuple[str, dict[str, Answer]]:
    """A full answer vector for one set: every indicator answered yes, no or unknown, with
    "yes" densities from none to dense so that every outcome shows up."""
    set_id = draw(st.sampled_from(set_ids))
    p_yes = draw(st.sampled_from((0.0, 0.03, 0.08, 0.15, 0.3, 0.6)))
    p_unknown = draw(st.sampled_from((0.0, 0.05, 0.2)))
    answers = {}
    for iid in CAT.indicator_set(set_id).indicator_ids:
        u = draw(st.floats(0, 1, exclude_max=True))
        answers[iid] = (
            Answer.YES if u < p_yes else Answer.UNKNOWN if u < p_yes + p_unknown else Answer.NO
        )
    return set_id, answers


def run_interview(set_id: str, truth: dict[str, Answer]) -> tuple[dict[str, Answer], object]:
    """Answer the adaptive interview from ``truth`` until it says the outcome is settled."""
    answers: dict[str, Answer] = {}
    while True:
        state = interview_state(CAT, set_id=set_id, age=AGE[set_id], answers=answers)
        if state.settled or state.next_question is None:
            return answers, state
        assert state.next_question not in answers
        answers[state.next_question] = truth[state.next_question]


@pytest.mark.parametrize("set_id", CAT.set_ids)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_stopping_early_gives_the_outcome_of_answering_everything(
    set_id: str, data: st.DataObject
) -> None:
    """For every indicator set: run the adaptive interview on a random full answer vector
    until it says the outcome is settled; the outcome (and the forced-criminality flag) is
    the one answering every question the same way gives."""
    set_id, truth = data.draw(answer_vectors((set_id,)))
    asked, state = run_interview(set_id, truth)
    full = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=truth)
    assert state.settled  # type: ignore[attr-defined]
    assert state.outcome is full.outcome  # type: ignore[attr-defined]
    stopped = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=asked)
    assert stopped.outcome is full.outcome
    assert stopped.forced_criminality == full.forced_criminality
    assert stopped.refer == full.refer
    # never asks twice, never more than the set, and the progress adds up
    assert len(asked) <= len(truth)
    assert state.asked == len(asked)  # type: ignore[attr-defined]
    assert sum(p.asked for p in state.progress) == len(asked)  # type: ignore[attr-defined]


@settings(max_examples=80, deadline=None)
@given(answer_vectors(), st.data())
def test_bounds_hold_every_way_of_answering_the_rest(
    case: tuple[str, dict[str, Answer]], data: st.DataObject
) -> None:
    set_id, truth = case
    ids = list(truth)
    asked_n = data.draw(st.integers(0, len(ids)))
    order = data.draw(st.permutations(ids))
    partial = {i: truth[i] for i in order[:asked_n]}
    low, high = outcome_bounds(CAT, set_id=set_id, age=AGE[set_id], answers=partial)
    assert low <= high
    now = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=partial).outcome
    assert low <= now <= high
    completion = {i: data.draw(st.sampled_from(VALUES)) for i in order[asked_n:]}
    final = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers={**partial, **completion})
    assert low <= final.outcome <= high


def test_strong_or_rule_deciding_questions_come_first() -> None:
    for set_id in CAT.set_ids:
        state = interview_state(CAT, set_id=set_id, age=AGE[set_id], answers={})
        assert state.next_question is not None
        strength = CAT.set_index(set_id).strengths[state.next_question]
        assert strength is Strength.STRONG
        assert not state.settled
        assert state.asked == 0
        assert state.total == len(CAT.indicator_set(set_id).indicator_ids)


def test_presumed_adult_stops_well_before_the_end() -> None:
    truth = {
        "deceptive_recruitment.deceived_about_the_nature_of_the_job_location_or_employer": Answer.YES,
        "deceptive_recruitment.deceived_about_wages_or_earnings": Answer.YES,
        "exploitative_conditions.excessive_working_days_or_hours": Answer.YES,
        "exploitative_conditions.low_or_no_salary": Answer.YES,
        "coercion_at_destination.confiscation_of_documents": Answer.YES,
        "coercion_at_destination.debt_bondage": Answer.YES,
    }
    ids = CAT.indicator_set("adult_labour").indicator_ids
    assert all(i in ids for i in truth), [i for i in truth if i not in ids]
    full = {i: truth.get(i, Answer.NO) for i in ids}
    asked, state = run_interview("adult_labour", full)
    assert state.outcome is Outcome.PRESUMED_VICTIM  # type: ignore[attr-defined]
    assert len(asked) < len(ids) // 2


def test_unknown_is_an_answer_not_a_question_to_repeat() -> None:
    ids = CAT.indicator_set("child_labour").indicator_ids
    answers = {i: Answer.UNKNOWN for i in ids[:10]}
    state = interview_state(CAT, set_id="child_labour", age=15, answers=answers)
    assert state.next_question not in answers
    assert state.asked == 10


def test_everything_unknown_settles_on_incomplete_without_repeating() -> None:
    ids = CAT.indicator_set("adult_sexual").indicator_ids
    _asked, state = run_interview("adult_sexual", dict.fromkeys(ids, Answer.UNKNOWN))
    assert state.outcome is Outcome.INCOMPLETE  # type: ignore[attr-defined]
