"""Does the project's risk model earn its place? Baseline vs model, in one run.

    PYTHONPATH=src python bench/monitoring_models.py [--false-alarm-rate 0.02] [--json OUT]

(also a section of ``bench/monitoring.py``). Shared data, read by path (never copied):
``telegram-spam-ru`` (T, labelled spam/ordinary), ``ru-chat-stankin`` (S, ordinary chat of
another community plus 52 spam bots), ``ru-jobs-superjob`` (J, legitimate vacancies).

Scorers, trained on exactly the same rows each time:

* **baseline**: scikit-learn ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
  min_df=2, sublinear_tf=True)`` + ``LogisticRegression(C=10, liblinear)``;
* **model**: the project's hashed char n-gram model (``train_model``: the same features
  hashed in numpy, 3-fold out-of-fold Platt calibration, the fold models averaged);
* **model + flags**: the pipeline's risk, ``1 - (1 - model) * (1 - flags)``.

1. **Cross-validation on T** (3 folds, the same folds for every scorer): F1 at the
   threshold of best F1, ROC AUC.
2. **Out of source**: train on T plus half of J (the vacancies the queue must learn to
   leave alone); the threshold is calibrated, out-of-fold on the training rows, so that at
   most ``--false-alarm-rate`` of the *ordinary* training rows are flagged. Then, never
   seen in training: false alarms on all of S's ordinary messages (another community),
   recall on S's spam (a spam source not used in training), false alarms on the other half
   of J.

Every figure of a run comes from that run; CPU seconds are per scorer.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_contacts import shared_data  # noqa: E402


def _load(path: Path) -> tuple[list[str], np.ndarray]:
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["message"] for r in rows], np.array([int(r["label"]) for r in rows])


class Baseline:
    """Character 2–5-gram TF-IDF + logistic regression, as published for this data."""

    name = "baseline"

    def fit(self, raw: list[str], norm: list[str], y: np.ndarray) -> Baseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vec = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
        )
        self.clf = LogisticRegression(C=10, solver="liblinear", max_iter=1000)
        self.clf.fit(self.vec.fit_transform(norm), y)
        return self

    def score(self, raw: list[str], norm: list[str]) -> np.ndarray:
        out: np.ndarray = self.clf.predict_proba(self.vec.transform(norm))[:, 1]
        return out


class Project:
    """The project's model, alone or combined with the indicator flags."""

    def __init__(self, with_flags: bool) -> None:
        self.with_flags = with_flags
        self.name = "model + flags" if with_flags else "model"

    def fit(self, raw: list[str], norm: list[str], y: np.ndarray) -> Project:
        from opennrm.monitoring._model import ModelConfig, train_model

        self.model = train_model(norm, y, config=ModelConfig()).model
        return self

    def score(self, raw: list[str], norm: list[str]) -> np.ndarray:
        from opennrm.monitoring._flags import flag_score, load_flags

        p: np.ndarray = self.model.predict_proba(norm)
        if not self.with_flags:
            return p
        flags = load_flags()
        f = np.array([flag_score(flags.evaluate(r, n)) for r, n in zip(raw, norm, strict=True)])
        out: np.ndarray = 1.0 - (1.0 - p) * (1.0 - f)
        return out


def _scorers() -> list[Any]:
    return [Baseline(), Project(with_flags=False), Project(with_flags=True)]


def _oof(
    make: Any, raw: list[str], norm: list[str], y: np.ndarray, folds: int = 3
) -> tuple[np.ndarray, float]:
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(y))
    c0 = time.process_time()
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(norm, y):
        scorer = make().fit([raw[i] for i in tr], [norm[i] for i in tr], y[tr])
        out[te] = scorer.score([raw[i] for i in te], [norm[i] for i in te])
    return out, time.process_time() - c0


def run(false_alarm_rate: float = 0.02) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    from opennrm.monitoring._model import best_threshold, evaluate
    from opennrm.monitoring.normalize import normalize
    from opennrm.monitoring.scoring import threshold_for_false_alarms

    paths = {
        "T": shared_data("telegram-spam-ru", "train.csv"),
        "S": shared_data("ru-chat-stankin", "messages.csv"),
        "J": shared_data("ru-jobs-superjob", "vacancies.csv"),
    }
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        print(f"\nmodels: shared data missing ({', '.join(missing)}); section skipped")
        return {"skipped": missing}
    data = {k: _load(p) for k, p in paths.items()}
    norm = {k: [normalize(t) for t in v[0]] for k, v in data.items()}
    result: dict[str, Any] = {"false_alarm_rate_target": false_alarm_rate, "data": {}}
    for key, (texts, labels) in data.items():
        result["data"][key] = {
            "path": str(paths[key]),
            "rows": len(texts),
            "positives": int(labels.sum()),
        }

    # 1. cross-validation on T ------------------------------------------------------------
    t_raw, t_y = data["T"]
    makers = {
        "baseline": Baseline,
        "model": lambda: Project(False),
        "model + flags": lambda: Project(True),
    }
    cv: dict[str, Any] = {}
    print(f"\nmodels: 3-fold CV on telegram-spam-ru ({len(t_y)} messages), same folds")
    print(f"  {'scorer':<16}{'thr':>6}{'prec':>7}{'recall':>8}{'F1':>7}{'AUC':>7}{'CPU-s':>8}")
    for name, make in makers.items():
        oof, cpu = _oof(make, t_raw, norm["T"], t_y)
        m = evaluate(oof, t_y, best_threshold(oof, t_y))
        cv[name] = m.to_dict() | {"cpu_s": cpu}
        cv[name].pop("reliability", None)
        print(
            f"  {name:<16}{m.threshold:6.2f}{m.precision:7.3f}{m.recall:8.3f}{m.f1:7.3f}"
            f"{roc_auc_score(t_y, oof):7.3f}{cpu:8.1f}"
        )
    result["cross_validation_T"] = cv

    # 2. out of source -------------------------------------------------------------------
    j_raw, j_y = data["J"]
    order = np.random.default_rng(0).permutation(len(j_y))
    j_train, j_test = order[: len(order) // 2], order[len(order) // 2 :]
    train_raw = t_raw + [j_raw[i] for i in j_train]
    train_norm = norm["T"] + [norm["J"][i] for i in j_train]
    train_y = np.concatenate([t_y, j_y[j_train]])
    s_raw, s_y = data["S"]
    test_j_raw = [j_raw[i] for i in j_test]
    test_j_norm = [norm["J"][i] for i in j_test]
    oos: dict[str, Any] = {}
    print(
        f"\nmodels: out of source — trained on telegram-spam-ru + {len(j_train)} vacancies; "
        f"threshold: at most {false_alarm_rate:.0%} of ordinary training rows flagged "
        "(out-of-fold)"
    )
    print(
        f"  {'scorer':<16}{'thr':>7}{'FA chat':>9}{'recall spam':>13}{'FA jobs':>9}"
        f"{'train CPU-s':>13}"
    )
    for name, make in makers.items():
        oof, _ = _oof(make, train_raw, train_norm, train_y)
        threshold = threshold_for_false_alarms(oof[train_y == 0], false_alarm_rate)
        c0 = time.process_time()
        scorer = make().fit(train_raw, train_norm, train_y)
        cpu = time.process_time() - c0
        s = scorer.score(s_raw, norm["S"])
        j = scorer.score(test_j_raw, test_j_norm)
        oos[name] = {
            "threshold": float(threshold),
            "false_alarms_ordinary_chat": float(np.mean(s[s_y == 0] >= threshold)),
            "recall_spam_other_source": float(np.mean(s[s_y == 1] >= threshold)),
            "false_alarms_legitimate_jobs": float(np.mean(j >= threshold)),
            "train_cpu_s": cpu,
            "auc_chat_ham_vs_its_spam": float(roc_auc_score(s_y, s)),
        }
        r = oos[name]
        print(
            f"  {name:<16}{threshold:7.3f}{r['false_alarms_ordinary_chat']:9.2%}"
            f"{r['recall_spam_other_source']:13.3f}{r['false_alarms_legitimate_jobs']:9.2%}"
            f"{cpu:13.1f}"
        )
    print(
        f"  (chat: {int((s_y == 0).sum())} ordinary + {int(s_y.sum())} spam messages of "
        f"ru-chat-stankin; jobs: {len(j_test)} held-out vacancies of ru-jobs-superjob)"
    )
    result["out_of_source"] = oos
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--false-alarm-rate", type=float, default=0.02)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.false_alarm_rate)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
