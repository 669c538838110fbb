"""Adaptive interview: ask the deciding questions first and know when to stop.

The outcome is monotone in every answer under the order ``no < unknown/not asked < yes``
(turning an answer into "yes" never lowers it; turning a "no" into "unknown" never lowers it
either, since "unknown" keeps the indicator open). So, for the questions not asked yet:

* answering all of them "no" gives the **lowest** outcome still possible, and
* answering all of them "yes" gives the **highest**;

every way of answering them lands in between. When the two are equal the outcome is
**settled**: asking more cannot change it. The interview also waits for the
forced-criminality flag (non-punishment) to be settled: a trigger indicator answered "yes",
or none left unasked.

"Unknown" is an answer: an indicator answered "unknown" is not asked again and stays open in
the result, exactly as when all questions are asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ._catalogue import Catalogue
from ._engine import ScreeningResult, evaluate
from ._model import Answer, Outcome, Strength

_CHECKED = 6


class Mode(StrEnum):
    """How the interview runs, chosen by the officer at the start.

    ``SHORT`` — first contact: the deciding questions first, and the interview ends as soon as
    the outcome is settled. ``FULL`` — a formal interview: every question, section by section;
    the officer is told when the outcome is settled and may finish there."""

    SHORT = "short"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class DimensionProgress:
    dimension: str
    asked: int
    total: int


@dataclass(frozen=True, slots=True)
class InterviewState:
    """Where an interview stands: the outcome now, the range it can still move in, whether it
    is settled, and the next question to ask (``None`` once settled or when all are asked)."""

    set_id: str
    result: ScreeningResult
    lowest: Outcome
    highest: Outcome
    forced_criminality_settled: bool
    asked: int
    total: int
    not_asked: tuple[str, ...]
    next_question: str | None
    progress: tuple[DimensionProgress, ...]

    @property
    def outcome(self) -> Outcome:
        return self.result.outcome

    @property
    def outcome_settled(self) -> bool:
        return self.lowest is self.highest

    @property
    def settled(self) -> bool:
        """Nothing the result page shows as a decision can change any more: the outcome and
        the non-punishment flag."""
        return self.outcome_settled and self.forced_criminality_settled

    @property
    def complete(self) -> bool:
        return not self.not_asked

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set_id,
            "outcome": str(self.outcome),
            "lowest": str(self.lowest),
            "highest": str(self.highest),
            "settled": self.settled,
            "forced_criminality_settled": self.forced_criminality_settled,
            "asked": self.asked,
            "total": self.total,
            "next_question": self.next_question,
            "progress": [
                {"dimension": p.dimension, "asked": p.asked, "total": p.total}
                for p in self.progress
            ],
        }


def _filled(
    answers: Mapping[str, Answer | str], open_: tuple[str, ...], value: Answer
) -> dict[str, Answer | str]:
    full: dict[str, Answer | str] = dict(answers)
    for iid in open_:
        full[iid] = value
    return full


def outcome_bounds(
    catalogue: Catalogue,
    *,
    set_id: str,
    age: int | None,
    answers: Mapping[str, Answer | str],
) -> tuple[Outcome, Outcome]:
    """The lowest and highest outcome that answering the questions not asked yet can give."""
    ids = catalogue.indicator_set(set_id).indicator_ids
    open_ = tuple(i for i in ids if i not in answers)
    low = evaluate(catalogue, set_id=set_id, age=age, answers=_filled(answers, open_, Answer.NO))
    high = evaluate(catalogue, set_id=set_id, age=age, answers=_filled(answers, open_, Answer.YES))
    return low.outcome, high.outcome


def interview_state(
    catalogue: Catalogue,
    *,
    set_id: str,
    age: int | None,
    answers: Mapping[str, Answer | str],
) -> InterviewState:
    """Evaluate a partly answered screening and choose the next question.

    Raises ``ScreeningInputError`` for invalid input, like ``evaluate``."""
    result = evaluate(catalogue, set_id=set_id, age=age, answers=answers)
    sid = result.set_id
    index = catalogue.set_index(sid)
    given = {k.strip().casefold(): v for k, v in answers.items()}
    ids = catalogue.indicator_set(sid).indicator_ids
    not_asked = tuple(i for i in ids if i not in given)

    def ev(values: Mapping[str, Answer | str]) -> Outcome:
        return evaluate(catalogue, set_id=sid, age=age, answers=values).outcome

    lowest = ev(_filled(given, not_asked, Answer.NO))
    highest = ev(_filled(given, not_asked, Answer.YES))
    triggers = [i for i in ids if i in catalogue.forced_criminality_triggers]
    fc_settled = result.forced_criminality or not any(i in not_asked for i in triggers)

    progress = tuple(
        DimensionProgress(
            dimension=dim.id,
            asked=sum(1 for i in index.by_dimension[dim.id] if i in given),
            total=len(index.by_dimension[dim.id]),
        )
        for dim in catalogue.dimensions
        if index.by_dimension[dim.id]
    )
    nxt: str | None = None
    if not_asked and not (lowest is highest and fc_settled):
        nxt = _choose(
            catalogue, sid, age, given, not_asked, result, lowest, highest, fc_settled, ev
        )
    return InterviewState(
        set_id=sid,
        result=result,
        lowest=lowest,
        highest=highest,
        forced_criminality_settled=fc_settled,
        asked=len(ids) - len(not_asked),
        total=len(ids),
        not_asked=not_asked,
        next_question=nxt,
        progress=progress,
    )


def _choose(
    catalogue: Catalogue,
    sid: str,
    age: int | None,
    given: Mapping[str, Answer | str],
    not_asked: tuple[str, ...],
    result: ScreeningResult,
    lowest: Outcome,
    highest: Outcome,
    fc_settled: bool,
    ev: Callable[[Mapping[str, Answer | str]], Outcome],
) -> str:
    """The first question, in order of likely effect, whose answer can move a bound.

    Order: the questions the engine ranks as closest to completing the rule (a "yes" that
    would complete it first; once "possible victim" is certain, those of the element with
    the fewest open questions first), then strong indicators (for a child, exploitation alone is
    enough, and the engine's ranking already knows it), then forced-criminality triggers,
    then the rest, strongest first, in interview order."""
    strengths = catalogue.set_index(sid).strengths
    open_set = set(not_asked)
    order = {iid: n for n, iid in enumerate(not_asked)}
    ranked = [i for i in result.next_questions if i in open_set]
    rank_pos = {iid: n for n, iid in enumerate(ranked)}
    triggers = catalogue.forced_criminality_triggers

    # Once "possible victim" is certain, only the rule is open: it is settled either by
    # completing it or by ruling out one of its elements, and the element with the fewest
    # open questions is the quickest to rule out. Before that, the most decisive "yes" first.
    element_of = {d.id: d.element for d in catalogue.dimensions}
    element_open: dict[str, int] = {}
    for d in result.dimensions:
        if d.reachable and not d.established:
            element_open[d.element] = element_open.get(d.element, 0) + len(
                [i for i in d.not_asked if i in open_set]
            )

    def key(iid: str) -> tuple[int, int, int]:
        if iid in rank_pos and lowest < Outcome.PRESUMED_VICTIM <= highest:
            if lowest >= Outcome.POSSIBLE_VICTIM:
                element = element_of[catalogue.indicator(iid).dimension]
                return (0, element_open.get(element, len(not_asked)), rank_pos[iid])
            return (0, 0, rank_pos[iid])
        st = strengths[iid]
        if st is Strength.STRONG:
            return (1, order[iid], 0)
        if iid in triggers and not fc_settled:
            return (2, order[iid], 0)
        return (3, st.rank, order[iid])

    candidates = sorted(not_asked, key=key)
    if lowest is highest:
        # only the forced-criminality flag is open: ask its triggers
        for iid in candidates:
            if iid in triggers:
                return iid
    # checking whether a question can move a bound costs two evaluations: look at the
    # first few in order, which is where a deciding question almost always is
    for iid in candidates[:_CHECKED]:
        if iid in triggers and not fc_settled:
            return iid
        others = tuple(i for i in not_asked if i != iid)
        raised = ev(_filled({**given, iid: Answer.YES}, others, Answer.NO))
        if raised > lowest:
            return iid
        lowered = ev(_filled({**given, iid: Answer.NO}, others, Answer.YES))
        if lowered < highest:
            return iid
    return candidates[0]
