"""The calibrated character n-gram model: training, explanation, save/load."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from opennrm.monitoring._model import (
    ModelConfig,
    ModelError,
    RiskModel,
    evaluate,
    load_model,
    reliability_bins,
    save_model,
    train_model,
)
from opennrm.monitoring.normalize import normalize

SPAM = [
    "работа на дому, доход от {n} в день, пишите в лс",
    "робота за кордоном, житло надається, оплата {n} євро",
    "easy money from home, earn {n} per day, dm me",
    "praca zdalna, zarobki {n} zł dziennie, napisz prywatnie",
    "câștig rapid {n} lei pe zi, scrie in privat",
]
HAM = [
    "кто-нибудь знает, во сколько сегодня открывается вокзал {n}",
    "дякую за допомогу, документи вже подали {n}",
    "does anyone know a good dentist near the station {n}",
    "czy ktoś wie, gdzie jest urząd numer {n}",
    "mulțumesc pentru răspuns, ne vedem mâine la {n}",
]


def corpus(seed: int = 0, per_template: int = 8) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[int] = []
    for label, templates in ((1, SPAM), (0, HAM)):
        for template in templates:
            for _ in range(per_template):
                texts.append(normalize(template.format(n=rng.randint(10, 9999))))
                labels.append(label)
    return texts, labels


CONFIG = ModelConfig(cv_folds=3, min_df=1, seed=3, hash_bits=16)
FIXED = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def trained() -> RiskModel:
    texts, labels = corpus()
    return train_model(texts, labels, config=CONFIG, data_sha256="abc", clock=lambda: FIXED).model


def test_model_separates_and_is_calibrated(trained: RiskModel) -> None:
    spam = normalize("Удалённая работа на дому, доход от 500 в день, пишите в лс")
    ham = normalize("Подскажите, во сколько открывается вокзал?")
    p_spam, p_ham = trained.predict_proba([spam, ham])
    assert 0.0 <= p_ham < 0.5 < p_spam <= 1.0
    assert trained.manifest["created_at"] == FIXED.isoformat()
    assert trained.manifest["training_data_sha256"] == "abc"
    assert trained.manifest["metrics"]["f1"] > 0.9


def test_explanations_are_positive_ngrams_of_the_text(trained: RiskModel) -> None:
    text = normalize("easy money from home, dm me")
    [(proba, top)] = trained.score_and_explain([text], top_k=3)
    assert 0 < len(top) <= 3
    assert proba == pytest.approx(float(trained.predict_proba([text])[0]))
    contributions = [c.contribution for c in top]
    assert contributions == sorted(contributions, reverse=True)
    for c in top:
        assert c.contribution > 0
        assert len(c.ngram) >= 3
        assert c.ngram in text
        assert c.ngram in c.describe(text)


def test_training_is_deterministic() -> None:
    texts, labels = corpus()
    a = train_model(texts, labels, config=CONFIG, clock=lambda: FIXED)
    b = train_model(texts, labels, config=CONFIG, clock=lambda: FIXED)
    np.testing.assert_array_equal(a.oof_proba, b.oof_proba)
    np.testing.assert_array_equal(a.model.coef, b.model.coef)


def test_save_and_load_round_trip(trained: RiskModel, tmp_path: Path) -> None:
    save_model(trained, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    texts, _ = corpus(seed=9, per_template=1)
    np.testing.assert_allclose(loaded.predict_proba(texts), trained.predict_proba(texts))
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text("utf-8"))
    assert len(manifest["model_sha256"]) == 64
    assert manifest["threshold"] == trained.threshold


def test_tampered_model_file_is_refused(trained: RiskModel, tmp_path: Path) -> None:
    save_model(trained, tmp_path / "m")
    with (tmp_path / "m" / "model.joblib").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="SHA-256"):
        load_model(tmp_path / "m")


def test_missing_directory_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a model directory"):
        load_model(tmp_path)


@pytest.mark.parametrize(
    "labels", [[0, 1, 2] * 10, [1] * 30, [0] * 28 + [1] * 2], ids=["bad", "one", "few"]
)
def test_bad_labels_are_rejected(labels: list[int]) -> None:
    with pytest.raises(ValueError):
        train_model(["x"] * len(labels), labels, config=CONFIG)


def test_metrics_worked_example() -> None:
    proba = np.array([0.9, 0.8, 0.3, 0.2])
    labels = np.array([1, 0, 1, 0])
    m = evaluate(proba, labels, 0.5)
    assert (m.precision, m.recall) == (0.5, 0.5)
    assert m.brier == pytest.approx((0.01 + 0.64 + 0.49 + 0.04) / 4)
    bins = reliability_bins(proba, labels, bins=2)
    assert [(b.count, b.observed_rate) for b in bins] == [(2, 0.5), (2, 0.5)]


def test_shipped_config_beats_trivial_baselines_on_held_out_posts() -> None:
    """The default model (char + word n-grams) on posts it never saw (other numbers,
    other wording) against two trivial scorers: flag everything, and one keyword."""
    from dataclasses import replace

    from sklearn.metrics import f1_score

    texts, labels = corpus(seed=0)
    config = replace(ModelConfig(), min_df=1, hash_bits=16, seed=3)
    assert config.word_weight > 0
    model = train_model(texts, labels, config=config).model
    held_out = [
        ("Работа на дому! Доход от 700 в день, пишите в лс", 1),
        ("Робота за кордоном: житло надається, оплата 900 євро", 1),
        ("Earn 300 per day from home, dm me now", 1),
        ("Praca zdalna, zarobki 400 zł dziennie", 1),
        ("Кто-нибудь знает, во сколько открывается вокзал?", 0),
        ("Дякую, документи вже подали вчора", 0),
        ("Does anyone know a dentist near the station?", 0),
        ("Czy ktoś wie, gdzie jest urząd?", 0),
        ("Кто знает, где на вокзале работа камеры хранения?", 0),
    ]
    norm = [normalize(t) for t, _ in held_out]
    truth = [label for _, label in held_out]
    predicted = (model.predict_proba(norm) >= model.threshold).astype(int).tolist()
    model_f1 = f1_score(truth, predicted)
    everything_f1 = f1_score(truth, [1] * len(truth))
    keyword_f1 = f1_score(truth, [int("работ" in t) for t in norm])
    assert model_f1 > max(everything_f1, keyword_f1)
    assert model_f1 >= 0.85


def test_word_bigram_explanations_read_as_written() -> None:
    from dataclasses import replace

    texts, labels = corpus(seed=0)
    config = replace(ModelConfig(), min_df=1, hash_bits=16, seed=3)
    model = train_model(texts, labels, config=config).model
    [(_p, top)] = model.score_and_explain([normalize("доход от 500 в день, пишите в лс")], top_k=6)
    assert top
    for c in top:
        assert "  " not in c.ngram and c.ngram == c.ngram.strip()
