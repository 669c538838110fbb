"""Statistical risk model: character n-grams, a linear model and Platt calibration.

The model is deliberately simple and explainable:

* features: TF-IDF over character n-grams inside word boundaries (``char_wb``, 2–5 by
  default) of the *normalised* text, so it works for any script and look-alike letters
  are already folded, plus (``word_weight``, on by default since the third round) TF-IDF
  over word unigrams and bigrams, each block L2-normalised on its own;
* classifier: L2 logistic regression; its decision value is a sum of per-n-gram
  contributions ``tfidf(x, g) * coef(g)``, which is what :meth:`RiskModel.explain` returns;
* calibration: a Platt sigmoid fitted on *out-of-fold* decision values of a stratified
  k-fold cross-validation (the final classifier is refitted on all rows), so
  ``predict_proba`` is a calibrated probability and the reported metrics are held-out.
  The texts are hashed once for all folds: the idf (the vectoriser's only fitted state)
  uses no label.

Model directories hold a ``model.joblib`` (a pickle) and ``manifest.json``. **A model
directory is trusted input**: unpickling can run code, so only load directories you
produced yourself. :func:`load_model` refuses a directory whose ``model.joblib`` does not
match the SHA-256 recorded in its manifest (this detects corruption and accidental
swaps; it is not a defence against someone who can rewrite both files).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from opennrm.monitoring._model_features import CharNgramHasher

MODEL_FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"


class ModelError(Exception):
    """A model directory that is missing, incomplete or does not match its manifest.

    ``str()`` is an English sentence; ``code`` (``model.missing``, ``model.manifest``,
    ``model.format``, ``model.checksum``) and ``path`` let a caller say it in its reader's
    language."""

    def __init__(self, message: str, code: str = "model.error", path: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.path = path


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of :func:`train_model` (all recorded in the manifest)."""

    ngram_min: int = 2
    ngram_max: int = 5
    min_df: int = 2
    hash_bits: int = 20
    c: float = 10.0
    cv_folds: int = 3
    seed: int = 0
    # refit on all rows after the cross-validation (True: what ships since the third
    # round, CV F1 +0.002 on telegram-spam-ru); False averages the fold models instead
    # (same calibration, a third less training time)
    refit: bool = True
    # hash Ukrainian-only letters as their Russian neighbours (see _model_features.UK_FOLD)
    fold_letters: bool = True
    # weight of the word 1–2-gram block beside the char n-grams (0: char n-grams only,
    # what shipped before the third round; see bench/README.md "third round")
    word_weight: float = 1.0


@dataclass(frozen=True, slots=True)
class FeatureContribution:
    """One n-gram's contribution to the model's decision value (log-odds units)."""

    ngram: str
    contribution: float

    def describe(self, text: str | Sequence[str] = "") -> str:
        """``n-gram "раб" in "работа" (+0.41)``; ``text`` (normalised, or its words)
        supplies the word."""
        word = ""
        if text:
            fragment = self.ngram.strip()
            words = text.split() if isinstance(text, str) else text
            word = next((w for w in words if fragment in w), "")
        return self.describe_in(word)

    def describe_in(self, word: str) -> str:
        """:meth:`describe` given the word that holds the n-gram (``""``: none)."""
        fragment = self.ngram.strip()
        sign = "+" if self.contribution >= 0 else "−"
        where = f' in "{word}"' if word and word != fragment else ""
        return f'n-gram "{fragment}"{where} ({sign}{abs(self.contribution):.2f})'


@dataclass(frozen=True)
class ReliabilityBin:
    """Calibration check: mean predicted probability vs observed positive rate in a bin."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class Metrics:
    """Held-out (out-of-fold) quality of a scorer at a threshold."""

    n: int
    positives: int
    threshold: float
    precision: float
    recall: float
    f1: float
    f1_at_half: float
    roc_auc: float
    brier: float
    reliability: tuple[ReliabilityBin, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


EXPLAIN_CHUNK = 256  # texts per step of RiskModel.score_and_explain


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))
    return out


@dataclass(frozen=True, eq=False)
class RiskModel:
    """A fitted, calibrated character n-gram model. Picklable (ships to Dask workers)."""

    vectorizer: Any
    coef: np.ndarray
    intercept: float
    platt_a: float
    platt_b: float
    threshold: float
    manifest: dict[str, Any]

    def _features(self, normalized_texts: Sequence[str]) -> Any:
        return self.vectorizer.transform(list(normalized_texts))

    def decision(self, normalized_texts: Sequence[str]) -> np.ndarray:
        """Raw linear decision values (log-odds before calibration)."""
        x = self._features(normalized_texts)
        out: np.ndarray = np.asarray(x @ self.coef, dtype=np.float64) + self.intercept
        return out

    def predict_proba(self, normalized_texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability that each (normalised) text is a risky post."""
        return _sigmoid(self.platt_a * self.decision(normalized_texts) + self.platt_b)

    def score_and_explain(
        self, normalized_texts: Sequence[str], *, top_k: int = 3
    ) -> list[tuple[float, tuple[FeatureContribution, ...]]]:
        """Calibrated probability and the ``top_k`` n-grams that pushed it up, per text.

        Only n-grams with three or more non-space characters, contributing at least a
        quarter of the strongest one, are reported (shorter ones are not meaningful to a
        reader, though they count in the score); the contribution of an n-gram is
        ``tfidf * coefficient`` in log-odds before calibration.

        Long inputs are worked through :data:`EXPLAIN_CHUNK` texts at a time (every text's
        result depends on that text alone; small chunks keep numpy's arrays in the CPU
        cache: about a fifth less time than 2,000 texts at once).
        """
        texts = list(normalized_texts)
        if len(texts) > EXPLAIN_CHUNK:
            out: list[tuple[float, tuple[FeatureContribution, ...]]] = []
            for start in range(0, len(texts), EXPLAIN_CHUNK):
                out.extend(self._score_and_explain(texts[start : start + EXPLAIN_CHUNK], top_k))
            return out
        return self._score_and_explain(texts, top_k)

    def _score_and_explain(
        self, normalized_texts: list[str], top_k: int
    ) -> list[tuple[float, tuple[FeatureContribution, ...]]]:
        x, pos, size, joined = self.vectorizer.transform_with_ngrams(normalized_texts)
        decision = np.asarray(x @ self.coef, dtype=np.float64) + self.intercept
        proba = _sigmoid(self.platt_a * decision + self.platt_b)
        if top_k <= 0:
            return [(float(p), ()) for p in proba]
        n_rows = x.shape[0]
        contrib = x.data * self.coef[x.indices]
        row = np.repeat(np.arange(n_rows), np.diff(x.indptr))
        readable = (contrib > 0) & (size >= 3)
        # only n-grams worth at least a quarter of the row's strongest one can be shown:
        # this cuts the sort below from every n-gram to a handful per post
        row_max = np.zeros(n_rows)
        # the maximum per row of the readable entries (rows come sorted in CSR order:
        # one reduceat over each row's run, the same maxima as ``np.maximum.at``)
        readable_rows = row[readable]
        if len(readable_rows):
            heads = np.flatnonzero(
                np.concatenate(([True], readable_rows[1:] != readable_rows[:-1]))
            )
            row_max[readable_rows[heads]] = np.maximum.reduceat(contrib[readable], heads)
        good = np.flatnonzero(readable & (contrib >= 0.25 * row_max[row]))
        # per row, the strongest few entries (spares: " раб" and "раб " read the same)
        order = good[np.lexsort((-contrib[good], row[good]))]
        row_sorted = row[order]
        first = np.searchsorted(row_sorted, row_sorted, side="left")
        keep = order[(np.arange(len(order)) - first) < 2 * top_k]
        chosen: list[list[FeatureContribution]] = [[] for _ in range(n_rows)]
        # plain Python numbers for the loop (indexing numpy arrays one item at a time is
        # slow); ``tolist`` gives the same values as ``float()`` and ``int()`` of each
        for r, start, length, value in zip(
            row[keep].tolist(),
            pos[keep].tolist(),
            size[keep].tolist(),
            contrib[keep].tolist(),
            strict=True,
        ):
            mine = chosen[r]
            if len(mine) >= top_k:
                continue
            # " ".join: a word bigram spans the padding between its two words
            shown = " ".join(joined[start : start + length].split())
            if len(shown) >= 3 and all(c.ngram != shown for c in mine):
                mine.append(FeatureContribution(shown, value))
        return [(float(p), tuple(c)) for p, c in zip(proba, chosen, strict=True)]


def _make_vectorizer(config: ModelConfig) -> CharNgramHasher:
    return CharNgramHasher(
        ngram_min=config.ngram_min,
        ngram_max=config.ngram_max,
        bits=config.hash_bits,
        min_df=config.min_df,
        fold_letters=config.fold_letters,
        word_weight=config.word_weight,
    )


def _make_classifier(config: ModelConfig) -> Any:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    # the dual solver: same optimum (L2 logistic loss is strictly convex), about half the
    # time when there are far more hashed columns than posts
    return LogisticRegression(
        C=config.c, solver="liblinear", dual=True, max_iter=1000, random_state=config.seed
    )


def fit_platt(decision: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Platt scaling: ``p = sigmoid(a * decision + b)`` fitted by logistic regression."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    lr.fit(decision.reshape(-1, 1), labels)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def reliability_bins(
    proba: np.ndarray, labels: np.ndarray, *, bins: int = 10
) -> tuple[ReliabilityBin, ...]:
    """Equal-width reliability diagram data (empty bins omitted)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(proba, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append(
                ReliabilityBin(
                    lower=float(edges[b]),
                    upper=float(edges[b + 1]),
                    count=int(mask.sum()),
                    mean_predicted=float(proba[mask].mean()),
                    observed_rate=float(labels[mask].mean()),
                )
            )
    return tuple(out)


def best_threshold(proba: np.ndarray, labels: np.ndarray) -> float:
    """The threshold that maximises F1 on the given (held-out) scores."""
    from sklearn.metrics import precision_recall_curve  # type: ignore[import-untyped]

    precision, recall, thresholds = precision_recall_curve(labels, proba)
    if len(thresholds) == 0:
        return 0.5
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    return float(thresholds[int(np.argmax(f1))])


def evaluate(proba: np.ndarray, labels: np.ndarray, threshold: float) -> Metrics:
    """Precision/recall/F1 at ``threshold``, F1 at 0.5, ROC AUC, Brier and reliability."""
    from sklearn.metrics import (
        brier_score_loss,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    pred = (proba >= threshold).astype(int)
    both = len(set(labels.tolist())) == 2
    return Metrics(
        n=len(labels),
        positives=int(labels.sum()),
        threshold=float(threshold),
        precision=float(precision_score(labels, pred, zero_division=0)),
        recall=float(recall_score(labels, pred, zero_division=0)),
        f1=float(f1_score(labels, pred, zero_division=0)),
        f1_at_half=float(f1_score(labels, (proba >= 0.5).astype(int), zero_division=0)),
        roc_auc=float(roc_auc_score(labels, proba)) if both else math.nan,
        brier=float(brier_score_loss(labels, proba)),
        reliability=reliability_bins(proba, labels),
    )


@dataclass(frozen=True)
class TrainResult:
    """A fitted model plus its out-of-fold predictions (for combining with flags)."""

    model: RiskModel
    oof_proba: np.ndarray
    metrics: Metrics


def train_model(
    normalized_texts: Sequence[str],
    labels: Sequence[int],
    *,
    config: ModelConfig = ModelConfig(),
    data_sha256: str = "",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> TrainResult:
    """Fit the n-gram model with ``config.cv_folds``-fold out-of-fold Platt calibration.

    ``labels`` must be 0/1 with both classes present at least ``cv_folds`` times.
    """
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    y = np.asarray(labels, dtype=np.int64)
    texts = list(normalized_texts)
    if len(texts) != len(y):
        raise ValueError("texts and labels differ in length")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValueError("labels must be 0 or 1")
    counts = np.bincount(y, minlength=2)
    if counts.min() < config.cv_folds:
        raise ValueError(
            f"each class needs at least {config.cv_folds} examples (have {counts.tolist()})"
        )
    folds = StratifiedKFold(n_splits=config.cv_folds, shuffle=True, random_state=config.seed)
    # The texts are hashed once: the vectoriser's only fitted state is the idf, which
    # uses no label, so the folds share it (and training stays within seconds).
    vectorizer = _make_vectorizer(config)
    x = vectorizer.fit_transform(texts)
    oof_decision = np.zeros(len(y), dtype=np.float64)
    coefs: list[np.ndarray] = []
    intercepts: list[float] = []
    for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
        fold_clf = _make_classifier(config).fit(x[train_idx], y[train_idx])
        oof_decision[test_idx] = fold_clf.decision_function(x[test_idx])
        coefs.append(np.asarray(fold_clf.coef_[0], dtype=np.float64))
        intercepts.append(float(fold_clf.intercept_[0]))
    platt_a, platt_b = fit_platt(oof_decision, y)
    oof_proba = _sigmoid(platt_a * oof_decision + platt_b)
    threshold = best_threshold(oof_proba, y)
    metrics = evaluate(oof_proba, y, threshold)

    if config.refit:
        clf = _make_classifier(config).fit(x, y)
        coef, intercept = np.asarray(clf.coef_[0], dtype=np.float64), float(clf.intercept_[0])
    else:
        # the mean of the fold models (each saw 1 - 1/k of the rows): one fit fewer
        coef, intercept = np.mean(coefs, axis=0), float(np.mean(intercepts))
    manifest: dict[str, Any] = {
        "format_version": MODEL_FORMAT_VERSION,
        "opennrm_version": _package_version(),
        "kind": (
            "hashed-char-wb-and-word-ngram-tfidf-logreg-platt"
            if config.word_weight > 0
            else "hashed-char-wb-ngram-tfidf-logreg-platt"
        ),
        "created_at": clock().isoformat(),
        "training_data_sha256": data_sha256,
        "n_samples": len(y),
        "config": asdict(config),
        "threshold": threshold,
        "metrics": metrics.to_dict(),
    }
    model = RiskModel(
        vectorizer=vectorizer,
        coef=coef,
        intercept=intercept,
        platt_a=platt_a,
        platt_b=platt_b,
        threshold=threshold,
        manifest=manifest,
    )
    return TrainResult(model=model, oof_proba=oof_proba, metrics=metrics)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opennrm")
    except PackageNotFoundError:  # running from a source tree
        return "unknown"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(model: RiskModel, directory: str | Path) -> Path:
    """Write ``model.joblib`` and ``manifest.json`` (with the pickle's SHA-256)."""
    import joblib  # type: ignore[import-untyped]

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "vectorizer": model.vectorizer,
        "coef": model.coef,
        "intercept": model.intercept,
        "platt_a": model.platt_a,
        "platt_b": model.platt_b,
        "threshold": model.threshold,
    }
    joblib.dump(payload, out / MODEL_FILE, compress=3)
    manifest = dict(model.manifest)
    manifest["model_file"] = MODEL_FILE
    manifest["model_sha256"] = _sha256_file(out / MODEL_FILE)
    (out / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=float) + "\n", encoding="utf-8"
    )
    return out


def load_model(directory: str | Path) -> RiskModel:
    """Load a model directory written by :func:`save_model` (trusted input, see module doc)."""
    import joblib

    src = Path(directory)
    manifest_path = src / MANIFEST_FILE
    model_path = src / MODEL_FILE
    if not manifest_path.is_file() or not model_path.is_file():
        raise ModelError(
            f"{src}: not a model directory (needs {MANIFEST_FILE} and {MODEL_FILE})",
            "model.missing",
            str(src),
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"{manifest_path}: unreadable manifest ({exc})", "model.manifest", str(manifest_path)
        ) from exc
    if manifest.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelError(
            f"{manifest_path}: unsupported format_version", "model.format", str(manifest_path)
        )
    if _sha256_file(model_path) != manifest.get("model_sha256"):
        raise ModelError(
            f"{model_path}: SHA-256 does not match the manifest; refusing to load",
            "model.checksum",
            str(model_path),
        )
    payload = joblib.load(model_path)  # trusted: hash checked above
    return RiskModel(
        vectorizer=payload["vectorizer"],
        coef=np.asarray(payload["coef"], dtype=np.float64),
        intercept=float(payload["intercept"]),
        platt_a=float(payload["platt_a"]),
        platt_b=float(payload["platt_b"]),
        threshold=float(payload["threshold"]),
        manifest=manifest,
    )
