"""Property-based tests (hypothesis) for the rule: monotonicity, the child rule, and an
independent re-implementation of the Delphi rule as an oracle."""

from __future__ import annotations

import json
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.screening import Answer, Outcome, Strength, evaluate, load_catalogue

CAT = load_catalogue()
SETS = CAT.set_ids
AGE = {"adult_labour": 30, "adult_sexual": 30, "child_labour": 15, "child_sexual": 15}
MISSING = None  # not asked
_NO: list[Answer | None] = [Answer.NO]
_OPEN: list[Answer | None] = [Answer.UNKNOWN, MISSING]
PROFILES: tuple[list[Answer | None], ...] = (
    _NO * 12 + _OPEN,
    _NO * 6 + _OPEN * 3,
    [*(_NO * 20), Answer.YES],
    [*([MISSING] * 12), Answer.YES],
    [*(_NO * 2), *_OPEN, MISSING, Answer.YES],
)


@st.composite
def screenings(draw: st.DrawFn, set_ids: tuple[str, ...] = SETS) -> tuple[str, dict[str, Answer]]:
    set_id = draw(st.sampled_from(set_ids))
    ids = CAT.indicator_set(set_id).indicator_ids
    # mix densities of "yes" so that every outcome shows up (no "yes" at all, sparse, dense)
    profile = draw(st.sampled_from(PROFILES))
    values = st.sampled_from(profile)
    answers = {}
    for iid in ids:
        v = draw(values)
        if v is not None:
            answers[iid] = v
    return set_id, answers


def outcome(set_id: str, answers: Mapping[str, Answer]) -> Outcome:
    return evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=answers).outcome


# --- an independent oracle for "presumed victim" ------------------------------------------


def dimension_positive(strong: int, medium: int, weak: int) -> bool:
    return (
        strong >= 2
        or (strong >= 1 and medium + weak >= 1)
        or medium >= 3
        or (medium >= 2 and weak >= 1)
    )


def oracle_presumed(set_id: str, answers: Mapping[str, Answer]) -> bool:
    counts: dict[str, list[int]] = {}
    for ind in CAT.indicators_for(set_id):
        c = counts.setdefault(ind.dimension, [0, 0, 0])
        if answers.get(ind.id) is Answer.YES:
            c[[Strength.STRONG, Strength.MEDIUM, Strength.WEAK].index(ind.strengths[set_id])] += 1
    pos = {d for d, (s, m, w) in counts.items() if dimension_positive(s, m, w)}
    recruitment = bool(
        pos
        & {"deceptive_recruitment", "coercive_recruitment", "recruitment_abuse_of_vulnerability"}
    )
    exploitation = "exploitative_conditions" in pos
    destination = bool(pos & {"coercion_at_destination", "abuse_of_vulnerability_at_destination"})
    if CAT.indicator_set(set_id).child:
        return exploitation  # recruitment + exploitation, or exploitation alone: refer
    return recruitment and exploitation and destination


@settings(max_examples=300, deadline=None)
@given(screenings())
def test_presumed_matches_independent_oracle(case: tuple[str, dict[str, Answer]]) -> None:
    set_id, answers = case
    assert (outcome(set_id, answers) is Outcome.PRESUMED_VICTIM) == oracle_presumed(set_id, answers)


# --- monotonicity -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(screenings(), st.data())
def test_turning_answers_into_yes_never_lowers_the_outcome(
    case: tuple[str, dict[str, Answer]], data: st.DataObject
) -> None:
    set_id, answers = case
    ids = CAT.indicator_set(set_id).indicator_ids
    flip = data.draw(st.sets(st.sampled_from(ids), min_size=1, max_size=6))
    before = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=answers)
    after = evaluate(
        CAT, set_id=set_id, age=AGE[set_id], answers=answers | dict.fromkeys(flip, Answer.YES)
    )
    assert after.outcome >= before.outcome
    # and no established dimension is lost, no flag is cleared
    for b, a in zip(before.dimensions, after.dimensions, strict=True):
        assert a.established or not b.established
    assert after.forced_criminality or not before.forced_criminality
    assert set(before.forced_labour_indicators) <= set(after.forced_labour_indicators)


@settings(max_examples=200, deadline=None)
@given(screenings())
def test_unknown_and_not_asked_are_equivalent_for_the_outcome(
    case: tuple[str, dict[str, Answer]],
) -> None:
    set_id, answers = case
    without_unknown = {k: v for k, v in answers.items() if v is not Answer.UNKNOWN}
    a = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=answers)
    b = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=without_unknown)
    assert a.outcome is b.outcome
    assert a.next_questions == b.next_questions


# --- the child rule -----------------------------------------------------------------------

DESTINATION_MEANS = ("coercion_at_destination", "abuse_of_vulnerability_at_destination")


@settings(max_examples=300, deadline=None)
@given(screenings(("child_labour", "child_sexual")), st.sampled_from(list(Answer)))
def test_child_needs_no_means_at_destination(
    case: tuple[str, dict[str, Answer]], replacement: Answer
) -> None:
    set_id, answers = case
    changed = {
        k: (replacement if CAT.indicator(k).dimension in DESTINATION_MEANS else v)
        for k, v in answers.items()
    }
    r1 = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=answers)
    r2 = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=changed)
    assert (r1.outcome is Outcome.PRESUMED_VICTIM) == (r2.outcome is Outcome.PRESUMED_VICTIM)
    exploitation = next(d for d in r1.dimensions if d.dimension == "exploitative_conditions")
    assert (r1.outcome is Outcome.PRESUMED_VICTIM) == exploitation.established
    if r1.outcome is Outcome.PRESUMED_VICTIM:
        recruitment = any(e.established for e in r1.elements if e.element == "recruitment")
        assert r1.rule_clause == (
            "child_recruitment_and_exploitation" if recruitment else "child_exploitation_only"
        )


@settings(max_examples=300, deadline=None)
@given(screenings(("adult_labour",)))
def test_whatever_presumes_an_adult_presumes_a_child(case: tuple[str, dict[str, Answer]]) -> None:
    # compared on the indicators both sets share (the adult list has two items the child list
    # lacks); child strengths are never lower, and the child rule needs fewer elements
    _, answers = case
    child_ids = set(CAT.indicator_set("child_labour").indicator_ids)
    shared = {k: v for k, v in answers.items() if k in child_ids}
    if outcome("adult_labour", shared) is Outcome.PRESUMED_VICTIM:
        assert outcome("child_labour", shared) is Outcome.PRESUMED_VICTIM


# --- next questions -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(screenings())
def test_next_questions_are_open_and_in_open_dimensions(
    case: tuple[str, dict[str, Answer]],
) -> None:
    set_id, answers = case
    r = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=answers)
    assert len(set(r.next_questions)) == len(r.next_questions)
    if r.outcome in (Outcome.PRESUMED_VICTIM, Outcome.NO_INDICATORS):
        assert r.next_questions == ()
    for q in r.next_questions:
        assert answers.get(q) in (None, Answer.UNKNOWN)
        assert CAT.indicator(q).dimension in r.open_dimensions
    if r.next_questions:
        # the most decisive question is at least as decisive as any other: answering it
        # "yes" gives an outcome no lower than answering any later one "yes"
        top = outcome(set_id, answers | {r.next_questions[0]: Answer.YES})
        last = outcome(set_id, answers | {r.next_questions[-1]: Answer.YES})
        assert top >= last


@settings(max_examples=150, deadline=None)
@given(screenings())
def test_every_result_is_json_and_fully_explained(case: tuple[str, dict[str, Answer]]) -> None:
    set_id, answers = case
    r = evaluate(CAT, set_id=set_id, age=AGE[set_id], answers=answers)
    d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert d["outcome"] == r.outcome.value and d["catalogue_version"] == CAT.version
    for lang in ("en", "uk", "ru"):
        lines = d["explanation"][lang]
        # six dimensions, three elements, at least one rule line, every reason
        assert len(lines) >= 6 + 3 + 1 + len(r.reasons)
        assert all(line.strip() for line in lines)
        assert d["next_action"][lang]
    assert (r.outcome is Outcome.PRESUMED_VICTIM) == (r.rule_clause is not None)
