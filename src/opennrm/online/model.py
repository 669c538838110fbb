"""The agency's scoring model: where it lives, training it, and what the pages say about it.

The model directory is ``OPENNRM_MONITORING_MODEL`` when set, else
``$OPENNRM_DATA_DIR/monitoring-model``. ``opennrm online retrain`` (and the demo, at
set-up) trains it from the labelled shared data sets when they are on this machine, with
ordinary Ukrainian paragraphs of UA-GEC (a package dependency), plus every reviewer's
label kept as feedback; the alert threshold keeps the false-alarm budget in each of those
sources. Without a model the queue is scored by the indicator flags alone and the pages
say so.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from opennrm.monitoring import load_model, save_model

SHARED_SETS = (
    "telegram-spam-ru/train.csv",
    "ru-chat-stankin/messages.csv",
    "ru-jobs-superjob/vacancies.csv",
)
DEFAULT_FALSE_ALARM_RATE = 0.02
# ordinary Ukrainian paragraphs of UA-GEC (the ua-gec package, CC BY 4.0) trained on with
# the shared sets: there is no Ukrainian in those, and without it about a third of
# ordinary Ukrainian text was flagged (bench/README.md)
UKRAINIAN_PARAGRAPHS = 2000

_cache: dict[str, Any] = {}


def model_dir() -> Path:
    configured = getattr(settings, "OPENNRM_MONITORING_MODEL", "")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "monitoring-model"


def active_model() -> Any:
    """The trained model, or ``None`` (flags only). Reloaded when the directory changes."""
    directory = model_dir()
    manifest = directory / "manifest.json"
    if not manifest.exists():
        return None
    key = f"{directory}:{manifest.stat().st_mtime_ns}"
    if _cache.get("key") != key:
        _cache.update(key=key, model=load_model(directory))
    return _cache["model"]


@dataclass(frozen=True)
class ModelStatus:
    available: bool
    created_at: str = ""
    n_samples: int = 0
    threshold: float = 0.0
    threshold_rule: str = ""
    sources: tuple[str, ...] = ()


def model_status() -> ModelStatus:
    model = active_model()
    if model is None:
        return ModelStatus(available=False)
    manifest = model.manifest
    return ModelStatus(
        available=True,
        created_at=str(manifest.get("created_at", ""))[:10],
        n_samples=int(manifest.get("n_samples", 0)),
        threshold=float(model.threshold),
        threshold_rule=str(manifest.get("threshold_rule", "")),
        sources=tuple(manifest.get("training_sources", ())),
    )


def alert_threshold() -> float:
    """The risk from which new imports are flagged: the active model's threshold, or the
    flags-only one without a model."""
    from opennrm.monitoring.scoring import DEFAULT_FLAGS_ONLY_THRESHOLD

    model = active_model()
    return float(model.threshold) if model is not None else DEFAULT_FLAGS_ONLY_THRESHOLD


def shared_data_dir() -> Path | None:
    """The shared labelled data sets, if this machine has them (never downloaded)."""
    candidates = []
    if os.environ.get("OPENNRM_SHARED_DATA"):
        candidates.append(Path(os.environ["OPENNRM_SHARED_DATA"]))
    here = Path.cwd().resolve()
    candidates += [here.parent / "shared" / "data", here.parent.parent / "shared" / "data"]
    for base in candidates:
        if any((base / name).exists() for name in SHARED_SETS):
            return base
    return None


def _shared_rows(base: Path) -> Iterator[tuple[str, int, str]]:
    csv.field_size_limit(2**31 - 1)
    for name in SHARED_SETS:
        path = base / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("label") in ("0", "1"):
                    yield row.get("message") or "", int(row["label"]), name.split("/")[0]


def training_rows(
    *, shared: bool = True, feedback: bool = True, row_sources: list[str] | None = None
) -> tuple[list[str], list[int], list[str]]:
    """Texts, labels and the names of the sources used (``row_sources``, when given, is
    filled with each row's source: the false-alarm budget holds per source)."""
    from opennrm.online.services import feedback_rows

    texts: list[str] = []
    labels: list[int] = []
    sources: list[str] = []
    base = shared_data_dir() if shared else None
    if base is not None:
        for text, label, source in _shared_rows(base):
            texts.append(text)
            labels.append(label)
            if row_sources is not None:
                row_sources.append(source)
            if source not in sources:
                sources.append(source)
        from opennrm.monitoring.corpora import ukrainian_paragraphs

        ukrainian = ukrainian_paragraphs(UKRAINIAN_PARAGRAPHS)
        for _, text in ukrainian:
            texts.append(text)
            labels.append(0)
            if row_sources is not None:
                row_sources.append("ua-gec")
        if ukrainian:
            sources.append(f"ua-gec ({len(ukrainian)} ordinary Ukrainian paragraphs)")
    if feedback:
        before = len(texts)
        for row in feedback_rows():
            texts.append(str(row["message"]))
            labels.append(int(row["label"]))
            if row_sources is not None:
                row_sources.append("feedback")
        if len(texts) > before:
            sources.append(f"reviewers' feedback ({len(texts) - before})")
    return texts, labels, sources


class NotEnoughData(Exception):
    """Too few labelled rows of one class to train and calibrate a model.

    ``count``, ``positive`` and ``needed`` let a caller say it in its reader's language."""

    def __init__(self, message: str, *, count: int = 0, positive: int = 0, needed: int = 0):
        super().__init__(message)
        self.count = count
        self.positive = positive
        self.needed = needed


def model_train(
    *,
    shared: bool = True,
    feedback: bool = True,
    false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE,
    folds: int = 3,
) -> Any:
    """Train on the shared sets and reviewers' labels; replace the model directory."""
    from opennrm.monitoring.scoring import train_risk_model

    row_sources: list[str] = []
    texts, labels, sources = training_rows(
        shared=shared, feedback=feedback, row_sources=row_sources
    )
    positives = sum(labels)
    needed = max(folds, 10)
    if min(positives, len(labels) - positives) < needed:
        raise NotEnoughData(
            f"{len(labels)} labelled posts ({positives} positive): at least {needed} of each "
            "are needed",
            count=len(labels),
            positive=positives,
            needed=needed,
        )
    report = train_risk_model(texts, labels, false_alarm_rate=false_alarm_rate, sources=row_sources)
    model = report.model
    model.manifest["training_sources"] = sources
    target = model_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".model-", dir=target.parent))
    save_model(model, staging / "model")
    old = target.with_name(target.name + ".old")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    (staging / "model").rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    _cache.clear()
    return report


def ensure_default_model() -> str:
    """At set-up: train from the shared data when there is no model yet. A one-line report."""
    if active_model() is not None:
        return f"monitoring model: {model_dir()}"
    if shared_data_dir() is None:
        return "monitoring model: none (no shared data here); posts are scored by the indicator flags only"
    report = model_train(feedback=False)
    return (
        f"monitoring model trained on {report.model.manifest['n_samples']} labelled posts "
        f"into {model_dir()}"
    )
