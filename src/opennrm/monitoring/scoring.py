"""Explainable risk score: indicator flags combined with the calibrated n-gram model.

How the two parts are combined (documented, deliberately simple):

* ``model_score`` – the model's calibrated probability (Platt on out-of-fold decisions);
* ``flag_score``  – noisy-OR of the weights of the flags that fired, ``1 - Π(1 - w)``;
* ``risk = 1 - (1 - model_score) * (1 - flag_score)`` – noisy-OR of the two, so a post is
  risky if the model *or* the indicators say so, each flag can only raise the risk, and
  the result stays in [0, 1]. Without a model, ``risk = flag_score``.

``flagged`` compares ``risk`` with the threshold stored in the model's manifest, which
:func:`train_risk_model` chooses by maximising F1 of the *combined* score on out-of-fold
predictions (it is re-chosen whenever the flags file changes version). Without a model,
:data:`DEFAULT_FLAGS_ONLY_THRESHOLD` is used. A post on which one of the strongest
forced-labour indicators fired (``"alert": true`` in the flags file: documents kept by the
employer, debt to work off, movement restricted, minors recruited) is flagged whatever its
risk (``alerted``): the threshold keeps the false alarms of the model down, and these
indicators, which fire on about one ordinary post in ten thousand, are not what it is for.

Every score carries its ``reasons``: the flags that fired (label and the words that made
them fire) and the model's top n-grams with their contributions in log-odds.

**Which queue.** A flagged post also gets a ``category``: ``"recruitment"`` when it
offers work or recruits people (the topic detector of ``data/topics.json``, in uk, ru, pl,
ro and en) or when a trafficking-specific flag fired (documents kept, debt for travel,
minors, no work permit, …: ``recruitment_flags`` in that file); otherwise ``"spam"``
(casino, crypto, adult bots, loans, services). The review queue is for the first; generic
spam is kept apart so that it does not bury it. Topics never change the risk.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np

from opennrm.monitoring._flags import FlagHit, FlagSet, flag_score, load_flags, parse_flags
from opennrm.monitoring._model import (
    Metrics,
    ModelConfig,
    RiskModel,
    best_threshold,
    evaluate,
    train_model,
)
from opennrm.monitoring.normalize import normalize

DEFAULT_FLAGS_ONLY_THRESHOLD = 0.3
RECRUITMENT = "recruitment"
SPAM = "spam"


@dataclass(frozen=True, eq=False)
class Topics:
    """The topic detectors (a :class:`FlagSet` of weight-0 entries) and the flags that
    mark a post as recruitment by themselves."""

    detectors: FlagSet
    recruitment_flags: frozenset[str]

    def category(self, raw: str, normalized: str, hits: Sequence[FlagHit]) -> str:
        if any(h.flag_id in self.recruitment_flags for h in hits):
            return RECRUITMENT
        return RECRUITMENT if self.detectors.evaluate(raw, normalized) else SPAM


@lru_cache(maxsize=1)
def load_topics() -> Topics:
    """The packaged ``data/topics.json`` (cached)."""
    doc = json.loads(
        resources.files("opennrm.monitoring").joinpath("data/topics.json").read_text("utf-8")
    )
    return Topics(parse_flags(doc), frozenset(doc.get("recruitment_flags", ())))


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a score: a flag, or an n-gram of the model."""

    kind: Literal["flag", "model"]
    id: str
    text: str
    weight: float
    # the words that made a flag fire, or the word holding a model n-gram: lets a page
    # say the reason again in its own language (``text`` is in the pipeline's language)
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    """The risk of one post, and why."""

    risk: float
    model_score: float | None
    flag_score: float
    flagged: bool
    reasons: tuple[Reason, ...]
    # "recruitment" or "spam" when flagged (which queue), else None
    category: str | None = None
    # flagged because an alert indicator fired, whatever the risk
    alerted: bool = False

    def explain(self) -> str:
        """All reasons in one line (what the ``reasons`` CSV column shows)."""
        return "; ".join(r.text for r in self.reasons)


def combine(model_score: float | None, flags: float) -> float:
    """Noisy-OR of the model probability and the flag score (see the module doc)."""
    if model_score is None:
        return flags
    return 1.0 - (1.0 - model_score) * (1.0 - flags)


def _flag_reasons(hits: Sequence[FlagHit], language: str, flags: FlagSet) -> list[Reason]:
    ordered = sorted(hits, key=lambda h: (-h.weight, h.flag_id))
    return [
        Reason("flag", h.flag_id, "flag: " + h.describe(language, flags), h.weight, h.evidence)
        for h in ordered
    ]


_OTHER_SPACE_RE = re.compile(r"[^\S ]")  # white space other than " "


def _word_holding(text: str, fragment: str) -> str:
    """``next((w for w in text.split() if fragment in w), "")`` for a non-empty
    ``fragment`` and a ``text`` whose only white space is ``" "``.

    A fragment without spaces lies inside one word wherever it occurs, so the first word
    holding it is the one around its first occurrence; no word holds one with a space.
    """
    if " " in fragment:
        return ""
    i = text.find(fragment)
    if i < 0:
        return ""
    start = text.rfind(" ", 0, i) + 1
    end = text.find(" ", i + len(fragment))
    return text[start:] if end < 0 else text[start:end]


def score_texts(
    raw_texts: Sequence[str],
    normalized_texts: Sequence[str] | None = None,
    *,
    model: RiskModel | None,
    flags: FlagSet | None = None,
    top_features: int = 3,
    threshold: float | None = None,
    language: str = "en",
) -> list[Score]:
    """Score a batch of posts (``normalized_texts`` defaults to ``normalize`` of each)."""
    flagset = flags if flags is not None else load_flags()
    norm = [normalize(t) for t in raw_texts] if normalized_texts is None else list(normalized_texts)
    if len(norm) != len(raw_texts):
        raise ValueError("raw_texts and normalized_texts differ in length")
    if threshold is None:
        threshold = model.threshold if model is not None else DEFAULT_FLAGS_ONLY_THRESHOLD
    explained: list[tuple[float | None, tuple[Any, ...]]]
    if model is not None and norm:
        explained = [(p, top) for p, top in model.score_and_explain(norm, top_k=top_features)]
    else:
        explained = [(None, ())] * len(norm)
    out: list[Score] = []
    topics = load_topics()
    alerts = flagset.alert_ids
    for raw, text, (p, top) in zip(raw_texts, norm, explained, strict=True):
        hits = flagset.evaluate(raw, text)
        fscore = flag_score(hits)
        risk = combine(p, fscore)
        reasons = _flag_reasons(hits, language, flagset) if hits else []
        if top:
            # the word holding each n-gram, found once for the text and the evidence
            # (what ``c.describe(words)`` looks up: the same word); without white space
            # other than single spaces (what normalize gives) it is cut out around the
            # n-gram's first occurrence, without splitting the text
            plain = _OTHER_SPACE_RE.search(text) is None
            words: list[str] | None = None
            for c in top:
                fragment = c.ngram.strip()
                if plain and fragment:
                    word = _word_holding(text, fragment)
                else:
                    words = text.split() if words is None else words
                    word = next((w for w in words if fragment in w), "")
                reasons.append(
                    Reason("model", c.ngram, "model: " + c.describe_in(word), c.contribution, word)
                )
        alerted = bool(hits) and any(h.flag_id in alerts for h in hits)
        flagged = risk >= threshold or alerted
        out.append(
            Score(
                risk=risk,
                model_score=p,
                flag_score=fscore,
                flagged=flagged,
                reasons=tuple(reasons),
                category=topics.category(raw, text, hits) if flagged else None,
                alerted=alerted,
            )
        )
    return out


def threshold_for_false_alarms(ordinary_scores: np.ndarray, rate: float) -> float:
    """The lowest threshold that flags at most ``rate`` of these ordinary posts' scores."""
    if not 0.0 <= rate < 1.0:
        raise ValueError("rate must be in [0, 1)")
    scores = np.sort(np.asarray(ordinary_scores, dtype=np.float64))
    if len(scores) == 0:
        return 0.5
    allowed = int(np.floor(rate * len(scores)))  # posts allowed at or above the threshold
    if allowed == 0:
        return float(np.nextafter(scores[-1], np.inf))
    # flag only scores strictly above the (allowed+1)-th highest
    return float(np.nextafter(scores[len(scores) - allowed - 1], np.inf))


MIN_SOURCE_ROWS = 200  # ordinary rows a source needs to get its own false-alarm budget


def threshold_per_source(
    ordinary_scores: np.ndarray,
    ordinary_sources: Sequence[str],
    rate: float,
    *,
    min_rows: int = MIN_SOURCE_ROWS,
) -> tuple[float, dict[str, float]]:
    """The lowest threshold that keeps *every* source within the false-alarm budget.

    Each source with at least ``min_rows`` ordinary rows gets its own budget (smaller ones
    only count in the pooled one); the threshold is the strictest of these, so a large,
    easy source (a quiet chat) cannot hide a hard one (job vacancies). Returns the
    threshold and each source's out-of-fold false-alarm rate at it.
    """
    scores = np.asarray(ordinary_scores, dtype=np.float64)
    names = np.asarray(list(ordinary_sources), dtype=object)
    if len(names) != len(scores):
        raise ValueError("scores and sources differ in length")
    threshold = threshold_for_false_alarms(scores, rate)
    for name in sorted(set(names.tolist())):
        mine = scores[names == name]
        if len(mine) >= min_rows:
            threshold = max(threshold, threshold_for_false_alarms(mine, rate))
    rates = {
        str(name): float(np.mean(scores[names == name] >= threshold))
        for name in sorted(set(names.tolist()))
    }
    return threshold, rates


@dataclass(frozen=True)
class TrainReport:
    """What :func:`train_risk_model` produced: the model and held-out metrics."""

    model: RiskModel
    model_metrics: Metrics
    combined_metrics: Metrics
    flags_metrics: Metrics
    flags_any_precision: float
    flags_any_recall: float
    # out-of-fold combined risk of every training row (what the threshold was chosen on)
    oof_risk: np.ndarray | None = None


def train_risk_model(
    raw_texts: Sequence[str],
    labels: Sequence[int],
    *,
    flags: FlagSet | None = None,
    config: ModelConfig = ModelConfig(),  # noqa: B008 - frozen dataclass
    data_sha256: str = "",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    normalized_texts: Sequence[str] | None = None,
    false_alarm_rate: float | None = None,
    sources: Sequence[str] | None = None,
) -> TrainReport:
    """Train the model on normalised texts and choose the combined threshold out-of-fold.

    The threshold maximises F1 of the combined risk, or, with ``false_alarm_rate``, is the
    lowest one that flags at most that share of the label-0 (ordinary) rows out-of-fold:
    the alert budget an agency can review, stated up front. With ``sources`` (one name per
    row: the file or data set it came from) that budget holds for each source with at
    least :data:`MIN_SOURCE_ROWS` ordinary rows (:func:`threshold_per_source`).
    """
    flagset = flags if flags is not None else load_flags()
    norm = [normalize(t) for t in raw_texts] if normalized_texts is None else list(normalized_texts)
    per_source: dict[str, float] = {}
    result = train_model(norm, labels, config=config, data_sha256=data_sha256, clock=clock)
    y = np.asarray(labels, dtype=np.int64)
    fscores = np.array(
        [flag_score(flagset.evaluate(r, n)) for r, n in zip(raw_texts, norm, strict=True)]
    )
    combined = 1.0 - (1.0 - result.oof_proba) * (1.0 - fscores)
    if false_alarm_rate is None:
        threshold = best_threshold(combined, y)
        rule = "max F1 (out-of-fold)"
    elif sources is not None:
        if len(sources) != len(y):
            raise ValueError("sources and labels differ in length")
        names = [s for s, label in zip(sources, y.tolist(), strict=True) if label == 0]
        threshold, per_source = threshold_per_source(combined[y == 0], names, false_alarm_rate)
        rule = (
            f"at most {false_alarm_rate:.2%} of ordinary rows flagged in each source (out-of-fold)"
        )
    else:
        threshold = threshold_for_false_alarms(combined[y == 0], false_alarm_rate)
        rule = f"at most {false_alarm_rate:.2%} of ordinary rows flagged (out-of-fold)"
    combined_metrics = evaluate(combined, y, threshold)
    flags_metrics = evaluate(fscores, y, best_threshold(fscores, y))
    any_flag = fscores > 0
    tp = int((any_flag & (y == 1)).sum())
    any_precision = tp / max(int(any_flag.sum()), 1)
    any_recall = tp / max(int((y == 1).sum()), 1)
    manifest = dict(result.model.manifest)
    manifest.update(
        {
            "threshold": threshold,
            "threshold_applies_to": "risk = 1 - (1 - model) * (1 - flags)",
            "threshold_rule": rule,
            "false_alarms_by_source": per_source,
            "flags_version": flagset.version,
            "metrics": {
                "model": result.metrics.to_dict(),
                "combined": combined_metrics.to_dict(),
                "flags": flags_metrics.to_dict(),
                "flags_any": {"precision": any_precision, "recall": any_recall},
            },
        }
    )
    model = dataclasses.replace(result.model, threshold=threshold, manifest=manifest)
    return TrainReport(
        model=model,
        model_metrics=result.metrics,
        combined_metrics=combined_metrics,
        flags_metrics=flags_metrics,
        flags_any_precision=any_precision,
        flags_any_recall=any_recall,
        oof_risk=combined,
    )
