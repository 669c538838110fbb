"""Interview-guide helpers built on the engine: the next questions to ask."""

from __future__ import annotations

from collections.abc import Mapping

from ._catalogue import Catalogue, GuideQuestion
from ._engine import evaluate
from ._model import Answer, as_lang


def next_questions(
    catalogue: Catalogue,
    *,
    set_id: str,
    age: int | None,
    answers: Mapping[str, Answer | str],
    lang: str = "en",
    interviewee_lang: str | None = None,
    limit: int | None = None,
) -> tuple[GuideQuestion, ...]:
    """The unanswered or "unknown" questions that could still settle an open dimension, most
    decisive first (a "yes" that would complete the rule, then one that would establish its
    dimension, then strong before medium before weak). Empty when the outcome is already
    ``PRESUMED_VICTIM`` (refer, do not keep questioning) or when no open answer could change it.
    """
    lang_ = as_lang(lang)
    ilang = (
        None if interviewee_lang is None else as_lang(interviewee_lang, field="interviewee_lang")
    )
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0")
    result = evaluate(catalogue, set_id=set_id, age=age, answers=answers)
    ids = result.next_questions if limit is None else result.next_questions[:limit]
    return tuple(catalogue.guide_question(i, result.set_id, lang_, ilang) for i in ids)
