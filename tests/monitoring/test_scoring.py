"""Combined, explainable risk score."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring._model import ModelConfig
from opennrm.monitoring.scoring import (
    DEFAULT_FLAGS_ONLY_THRESHOLD,
    TrainReport,
    combine,
    score_texts,
    train_risk_model,
)

unit = st.floats(min_value=0.0, max_value=1.0)


@given(unit, unit, unit)
def test_combination_is_a_monotone_probability(p: float, f: float, g: float) -> None:
    risk = combine(p, f)
    assert 0.0 <= risk <= 1.0
    assert risk >= max(p, f) - 1e-12
    assert combine(p, max(f, g)) >= risk - 1e-12
    assert combine(None, f) == f


def test_flags_only_scoring_explains_itself() -> None:
    [risky, calm] = score_texts(
        ["СРОЧНО! Работа в Польше, жильё предоставляется, предоплата за визу", "Привет, как дела?"],
        model=None,
    )
    assert calm.risk == 0.0 and not calm.flagged and calm.reasons == ()
    assert risky.model_score is None
    assert risky.flagged and risky.risk >= DEFAULT_FLAGS_ONLY_THRESHOLD
    kinds = [r.id for r in risky.reasons]
    assert kinds[:2] == ["fees.advance", "travel.arranged"]  # strongest first
    assert "предоплата" in risky.explain()


def test_labels_in_ukrainian() -> None:
    [score] = score_texts(["Терміново!"], model=None, language="uk")
    assert "Терміновість" in score.explain()


def _data(seed: int = 0) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    spam = ["Работа на дому, доход от {} в день, пишите в лс", "Easy money {} per day, DM me"]
    ham = ["Во сколько открывается вокзал {}?", "Thanks, see you at {} tomorrow"]
    texts, labels = [], []
    for label, group in ((1, spam), (0, ham)):
        for template in group:
            for _ in range(12):
                texts.append(template.format(rng.randint(1, 999)))
                labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def report() -> TrainReport:
    texts, labels = _data()
    return train_risk_model(
        texts,
        labels,
        config=ModelConfig(cv_folds=3, min_df=1, hash_bits=16),
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_trained_threshold_and_metrics_are_in_the_manifest(report: TrainReport) -> None:
    manifest = report.model.manifest
    assert manifest["threshold"] == report.model.threshold
    assert set(manifest["metrics"]) == {"model", "combined", "flags", "flags_any"}
    assert manifest["flags_version"]
    assert report.combined_metrics.f1 > 0.9


def test_model_scores_carry_ngram_reasons(report: TrainReport) -> None:
    [s] = score_texts(["Работа на дому, доход от 5 в день"], model=report.model)
    assert s.model_score is not None
    assert s.risk == pytest.approx(combine(s.model_score, s.flag_score))
    assert s.flagged == (s.risk >= report.model.threshold)
    assert any(r.kind == "model" and r.weight > 0 for r in s.reasons)
    assert "n-gram" in s.explain()


def test_mismatched_lengths_are_an_error(report: TrainReport) -> None:
    with pytest.raises(ValueError):
        score_texts(["a", "b"], ["a"], model=report.model)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_a_probability_and_reasons(report: TrainReport, text: str) -> None:
    [s] = score_texts([text], model=report.model)
    assert 0.0 <= s.risk <= 1.0
    assert s.model_score is not None and 0.0 <= s.model_score <= s.risk + 1e-12
    assert s.flagged == (s.risk >= report.model.threshold)
    assert all(r.weight > 0 for r in s.reasons)


def test_threshold_for_false_alarms_flags_at_most_the_stated_share() -> None:
    import numpy as np

    from opennrm.monitoring.scoring import threshold_for_false_alarms

    scores = np.linspace(0.0, 1.0, 1000)
    for rate in (0.0, 0.01, 0.02, 0.1, 0.5):
        threshold = threshold_for_false_alarms(scores, rate)
        assert np.mean(scores >= threshold) <= rate
        assert np.mean(scores >= threshold) >= rate - 0.002  # and not far below it


def test_per_source_budget_holds_in_every_large_source() -> None:
    import numpy as np

    from opennrm.monitoring.scoring import threshold_for_false_alarms, threshold_per_source

    rng = np.random.default_rng(0)
    easy = rng.uniform(0.0, 0.5, 2000)  # a quiet chat
    hard = rng.uniform(0.3, 1.0, 300)  # job vacancies that look like recruitment
    tiny = np.full(20, 0.99)  # too few rows for a budget of its own
    scores = np.concatenate([easy, hard, tiny])
    names = ["chat"] * 2000 + ["jobs"] * 300 + ["feedback"] * 20
    threshold, rates = threshold_per_source(scores, names, 0.02)
    assert rates["chat"] <= 0.02 and rates["jobs"] <= 0.02
    assert rates["feedback"] == 1.0  # counted only in the pooled budget
    pooled = threshold_for_false_alarms(scores, 0.02)
    assert threshold >= pooled
    assert np.mean(hard >= pooled) > 0.02  # pooled alone would break the vacancies' budget


def test_training_with_sources_records_each_sources_false_alarms() -> None:
    texts, labels = _data()
    sources = ["a" if i % 2 else "b" for i in range(len(texts))]
    report = train_risk_model(
        texts,
        labels,
        config=ModelConfig(cv_folds=3, min_df=1, hash_bits=16),
        false_alarm_rate=0.1,
        sources=sources,
    )
    manifest = report.model.manifest
    assert set(manifest["false_alarms_by_source"]) == {"a", "b"}
    assert "each source" in manifest["threshold_rule"]
    with pytest.raises(ValueError):
        train_risk_model(texts, labels, false_alarm_rate=0.1, sources=["a"])


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Требуются курьеры, оплата 5000 в день, пиши в лс", "recruitment"),
        ("Шукаємо працівників на склад, оплата щодня, без досвіду", "recruitment"),
        ("Praca w magazynie, wysokie zarobki od zaraz", "recruitment"),
        ("Angajăm șoferi, salariu atractiv", "recruitment"),
        ("Hiring drivers now, good salary, DM", "recruitment"),
        ("Паспорт оставите нам, долг за дорогу отработаете", "recruitment"),  # flags alone
        ("🎰 Казино бонус 500 фриспинов, промокод в профиле", "spam"),
        ("Кредит без відмови за 5 хвилин, гроші на карту", "spam"),
        ("Гаряче відео 18+ у боті, переходь", "spam"),
        ("Помощь с водительским удостоверением без экзаменов", "spam"),
    ],
)
def test_flagged_posts_go_to_the_recruitment_or_the_spam_queue(text: str, category: str) -> None:
    [s] = score_texts([text], model=None, threshold=0.0)
    assert s.flagged and s.category == category


def test_unflagged_posts_have_no_queue_and_topics_do_not_change_the_risk() -> None:
    [s] = score_texts(["Требуются курьеры на склад"], model=None)
    assert s.category is None or s.flagged
    [plain] = score_texts(["Шукаємо працівників на склад"], model=None, threshold=1.0)
    assert not plain.flagged and plain.category is None


def test_recruitment_flags_of_the_topics_file_exist() -> None:
    from opennrm.monitoring._flags import load_flags
    from opennrm.monitoring.scoring import load_topics

    topics = load_topics()
    assert topics.recruitment_flags <= set(load_flags().by_id)
    assert all(f.weight == 0.0 for f in topics.detectors.flags)
