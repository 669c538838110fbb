"""Does the project's risk model earn its place? Baseline vs model, in one run.

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/monitoring_models.py \\
        [--false-alarm-rate 0.02] [--json OUT]

(also a section of ``bench/monitoring.py``). Data, read by path and never copied:

* shared (``$OPENNRM_SHARED_DATA`` or ``../shared/data``): ``telegram-spam-ru`` (T,
  labelled spam/ordinary), ``ru-chat-stankin`` (S, ordinary chat of another community
  plus 52 spam bots), ``ru-jobs-superjob`` (J, legitimate Russian vacancies);
* UA-GEC (the ``ua-gec`` package of the dev dependencies, CC BY 4.0: texts donated by
  Ukrainian writers, essays and translations): paragraphs of 20–1,500 characters,
  ordinary Ukrainian text, split by **author** into U1 (may be trained on) and U2 (never);
* ``tests/monitoring/data/uk_handwritten.jsonl`` (H): 100 messages written by the project
  (AGPL-3.0-or-later): 30 ordinary Ukrainian chat posts, 25 legitimate Ukrainian
  vacancies, 25 recruitment posts with trafficking risk, 20 generic spam (casino, crypto,
  adult bots, loans). Written before any model was measured on it; never trained on;
* ``bench/data/recruitment_hand_labels.tsv``: 100 random spam rows of T, labelled by hand
  recruitment (R) or other spam (O), to measure the queue routing (row numbers only).

Scorers, always trained on exactly the same rows in one run:

* **baseline**: scikit-learn ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
  min_df=2, sublinear_tf=True)`` + ``LogisticRegression(C=10, liblinear)``;
* **model**: what ships, :func:`train_risk_model` with the default :class:`ModelConfig`
  (hashed char 2–5-grams inside words plus word 1–2-grams, each block L2-normalised,
  Ukrainian-only letters folded, 3-fold out-of-fold Platt calibration, then refitted on
  all rows) combined with the indicator flags;
* ``--variant NAME=field:value,...``: the same with :class:`ModelConfig` fields changed,
  e.g. ``previous=word_weight:0,refit:false`` (what shipped before the third round).

Thresholds are chosen out-of-fold on the *training* rows only (3 folds): so that at most
``--false-alarm-rate`` of the ordinary training rows are flagged, either **pooled** over
all of them or **per source** (each training source with ≥ 200 ordinary rows keeps the
budget; what the model ships with). Every out-of-source figure is measured on a source
that no scorer saw in that training run:

1. **CV on T** (3 folds, same folds for both; S, J and U1 added to every training fold):
   F1 at the best threshold, ROC AUC.
2. **chat**: train T + J + U1 → S (false alarms on its ordinary messages, recall on its
   spam), U2.
3. **jobs**: train T + S + U1 → J (no vacancy in training: what a queue without
   legitimate vacancies does).
4. **all** (what ships): train T + S + J + U1 → H by category, U2; training CPU seconds.
5. **queue**: of the flagged posts of H, which land in the recruitment queue; routing of
   the 100 hand-labelled spam rows of T (topics and flags only: no model decides it).
6. **equal recall**: false alarms of every scorer at the same recall (on S's spam; on H's
   recruitment posts), read off each scorer's scores on the test source: a comparison of
   operating curves, never used to choose a threshold or a model.

``--parts cv,chat`` runs a subset (exploration only; the figures in ``bench/README.md``
come from full runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_contacts import shared_data  # noqa: E402

HANDWRITTEN = ROOT / "tests" / "monitoring" / "data" / "uk_handwritten.jsonl"
ROUTING = Path(__file__).resolve().parent / "data" / "recruitment_hand_labels.tsv"
CATEGORIES = ("ordinary", "vacancy", "recruitment_risk", "spam")


def _load(path: Path) -> tuple[list[str], np.ndarray]:
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["message"] for r in rows], np.array([int(r["label"]) for r in rows])


def ukrainian_paragraphs(n: int = 4000, seed: int = 0) -> tuple[list[str], list[str]] | None:
    """UA-GEC paragraphs (as written), the first ``n`` after a seeded shuffle, split by
    author into (U1, U2); ``None`` without the ``ua-gec`` package."""
    from opennrm.monitoring.corpora import ukrainian_paragraphs as paragraphs

    found = paragraphs(n, seed=seed)
    if not found:
        return None
    half = [zlib.crc32(author.encode()) % 2 for author, _ in found]
    return (
        [t for (_, t), h in zip(found, half, strict=True) if h == 0],
        [t for (_, t), h in zip(found, half, strict=True) if h == 1],
    )


class Baseline:
    """Character 2–5-gram TF-IDF + logistic regression, as published for this data."""

    def fit(self, raw: list[str], norm: list[str], y: np.ndarray, src: list[str]) -> Baseline:
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

    def oof(self, raw: list[str], norm: list[str], y: np.ndarray, src: list[str]) -> np.ndarray:
        from sklearn.model_selection import StratifiedKFold

        out = np.zeros(len(y))
        strata = [f"{s}:{label}" for s, label in zip(src, y.tolist(), strict=True)]
        for tr, te in StratifiedKFold(3, shuffle=True, random_state=0).split(norm, strata):
            part = Baseline().fit(
                [raw[i] for i in tr], [norm[i] for i in tr], y[tr], [src[i] for i in tr]
            )
            out[te] = part.score([raw[i] for i in te], [norm[i] for i in te])
        return out


class Project:
    """The shipped model: train_risk_model (its own out-of-fold risk) + flags."""

    def __init__(self, false_alarm_rate: float, config: Any = None) -> None:
        from opennrm.monitoring._model import ModelConfig

        self.rate = false_alarm_rate
        self.config = config if config is not None else ModelConfig()

    def fit(self, raw: list[str], norm: list[str], y: np.ndarray, src: list[str]) -> Project:
        from opennrm.monitoring.scoring import train_risk_model

        self.report = train_risk_model(
            raw,
            y.tolist(),
            normalized_texts=norm,
            false_alarm_rate=self.rate,
            sources=src,
            config=self.config,
        )
        return self

    def score(self, raw: list[str], norm: list[str]) -> np.ndarray:
        return np.array([s.risk for s in self._scores(raw, norm)])

    def _scores(self, raw: list[str], norm: list[str]) -> list[Any]:
        from opennrm.monitoring.scoring import score_texts

        return score_texts(raw, norm, model=self.report.model, top_features=0)

    def oof(self, raw: list[str], norm: list[str], y: np.ndarray, src: list[str]) -> np.ndarray:
        if self.report.oof_risk is None:
            raise RuntimeError("train_risk_model returned no out-of-fold risk")
        return self.report.oof_risk


def _thresholds(oof: np.ndarray, y: np.ndarray, src: list[str], rate: float) -> dict[str, float]:
    from opennrm.monitoring.scoring import threshold_for_false_alarms, threshold_per_source

    ordinary = [s for s, label in zip(src, y.tolist(), strict=True) if label == 0]
    return {
        "pooled": threshold_for_false_alarms(oof[y == 0], rate),
        "per source": threshold_per_source(oof[y == 0], ordinary, rate)[0],
    }


Sets = dict[str, tuple[list[str], list[str], np.ndarray]]


def _train(
    make: Callable[[], Any], sets: Sets, names: list[str], rate: float
) -> tuple[Any, dict[str, float], float]:
    raw, norm, y, src = _concat(sets, names)
    c0 = time.process_time()
    scorer = make().fit(raw, norm, y, src)
    cpu = time.process_time() - c0
    return scorer, _thresholds(scorer.oof(raw, norm, y, src), y, src, rate), cpu


def _load_all() -> tuple[Sets, dict[str, Any], np.ndarray] | None:
    from opennrm.monitoring.normalize import normalize

    paths = {
        "T": shared_data("telegram-spam-ru", "train.csv"),
        "S": shared_data("ru-chat-stankin", "messages.csv"),
        "J": shared_data("ru-jobs-superjob", "vacancies.csv"),
    }
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        print(f"\nmodels: shared data missing ({', '.join(missing)}); section skipped")
        return None
    sets: Sets = {}
    info: dict[str, Any] = {}
    for key, path in paths.items():
        raw, y = _load(path)
        sets[key] = (raw, [normalize(t) for t in raw], y)
        info[key] = {"path": str(path), "rows": len(raw), "positives": int(y.sum())}
    ua = ukrainian_paragraphs()
    if ua is None:
        print("models: the ua-gec package is not installed; no Ukrainian corpus (U1/U2)")
    else:
        for key, texts in zip(("U1", "U2"), ua, strict=True):
            sets[key] = (texts, [normalize(t) for t in texts], np.zeros(len(texts), dtype=int))
            info[key] = {"source": "UA-GEC (pip ua-gec), CC BY 4.0", "rows": len(texts)}
    rows = [json.loads(line) for line in HANDWRITTEN.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows]
    sets["H"] = (texts, [normalize(t) for t in texts], np.array([r["label"] for r in rows]))
    info["H"] = {"path": str(HANDWRITTEN.relative_to(ROOT)), "rows": len(rows)}
    return sets, info, np.array([r["category"] for r in rows])


def parse_variant(spec: str) -> tuple[str, Any]:
    """``NAME=field:value,field:value`` -> (NAME, ModelConfig with those fields changed)."""
    import dataclasses

    from opennrm.monitoring._model import ModelConfig

    name, _, fields = spec.partition("=")
    base = ModelConfig()
    changes: dict[str, Any] = {}
    for item in filter(None, fields.split(",")):
        key, _, value = item.partition(":")
        kind = type(getattr(base, key))
        changes[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return name, dataclasses.replace(base, **changes)


def run(
    false_alarm_rate: float = 0.02,
    variants: tuple[tuple[str, Any], ...] = (),
    parts: tuple[str, ...] = ("cv", "chat", "jobs", "all"),
) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from opennrm.monitoring._model import best_threshold, evaluate

    loaded = _load_all()
    if loaded is None:
        return {"skipped": True}
    sets, info, h_category = loaded
    u1 = ["U1"] if "U1" in sets else []
    rate = false_alarm_rate
    makers: dict[str, Callable[[], Any]] = {
        "baseline": Baseline,
        "model": lambda: Project(rate),
    }
    for vname, vconfig in variants:
        makers[vname] = lambda vconfig=vconfig: Project(rate, vconfig)
    models = [n for n in makers if n != "baseline"]
    result: dict[str, Any] = {"false_alarm_rate_target": rate, "data": info}
    load_start = os.getloadavg()
    print(f"\nmodels: load average at start {load_start[0]:.1f} (CPU seconds are this process's)")

    # 1. cross-validation on T --------------------------------------------------------------
    t_raw, t_norm, t_y = sets["T"]
    extra = ["S", "J", *u1]
    print(
        f"\nmodels: 3-fold CV on telegram-spam-ru ({len(t_y)} messages), same folds; "
        f"{' + '.join(extra)} added to every training fold"
    )
    print(f"  {'scorer':<10}{'thr':>6}{'prec':>7}{'recall':>8}{'F1':>7}{'AUC':>7}{'CPU-s':>8}")
    cv: dict[str, Any] = {}
    if "cv" not in parts:
        makers_cv: dict[str, Callable[[], Any]] = {}
    else:
        makers_cv = makers
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(t_norm, t_y))
    for name, make in makers_cv.items():
        oof = np.zeros(len(t_y))
        c0 = time.process_time()
        for tr, te in folds:
            fold_sets = dict(sets)
            fold_sets["Ttr"] = ([t_raw[i] for i in tr], [t_norm[i] for i in tr], t_y[tr])
            scorer = make().fit(*_concat(fold_sets, ["Ttr", *extra]))
            oof[te] = scorer.score([t_raw[i] for i in te], [t_norm[i] for i in te])
        cpu = time.process_time() - c0
        m = evaluate(oof, t_y, best_threshold(oof, t_y))
        cv[name] = m.to_dict() | {"cpu_s": cpu}
        cv[name].pop("reliability", None)
        print(
            f"  {name:<10}{m.threshold:6.2f}{m.precision:7.3f}{m.recall:8.3f}{m.f1:7.3f}"
            f"{roc_auc_score(t_y, oof):7.3f}{cpu:8.1f}"
        )
    result["cross_validation_T"] = cv

    # 2-4. out of source ------------------------------------------------------------------
    protocols = {
        "chat": (["T", "J", *u1], ["S", "U2"]),
        "jobs": (["T", "S", *u1], ["J"]),
        "all": (["T", "S", "J", *u1], ["H", "U2"]),
    }
    oos: dict[str, Any] = {}
    trained: dict[str, Any] = {}
    all_scores: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for proto, (train_names, test_names) in protocols.items():
        if proto not in parts:
            continue
        tests = [t for t in test_names if t in sets]
        print(
            f"\nmodels: out of source [{proto}] — trained on {' + '.join(train_names)}; "
            f"measured on {', '.join(tests)}; threshold: at most {rate:.0%} of ordinary "
            "training rows flagged (out-of-fold), pooled or per source"
        )
        header = f"  {'scorer':<10}{'rule':<12}{'thr':>7}"
        columns = _columns(tests)
        print(header + "".join(f"{c:>{max(9, len(c) + 1)}}" for c in columns) + f"{'CPU-s':>8}")
        oos[proto] = {}
        for name, make in makers.items():
            scorer, thresholds, cpu = _train(make, sets, train_names, rate)
            _PER_SOURCE_THRESHOLDS[(proto, name)] = thresholds["per source"]
            trained[(proto, name)] = scorer
            scores = {t: scorer.score(sets[t][0], sets[t][1]) for t in tests}
            all_scores[(proto, name)] = scores
            for rule, threshold in thresholds.items():
                row = _measure(scores, sets, h_category, threshold)
                oos[proto][f"{name} / {rule}"] = row | {"threshold": threshold, "train_cpu_s": cpu}
                print(
                    f"  {name:<10}{rule:<12}{threshold:7.3f}"
                    + "".join(f"{_fmt(c, row[c]):>{max(9, len(c) + 1)}}" for c in columns)
                    + f"{cpu:8.1f}"
                )
    result["out_of_source"] = oos
    result["matched_recall"] = _matched_recall(all_scores, sets, h_category, models)

    # 5. queue routing ----------------------------------------------------------------------
    if "all" in parts:
        result["queue"] = {n: _queue(trained[("all", n)], sets, h_category, n) for n in models}
    result["load_average"] = {"start": load_start, "end": os.getloadavg()}
    for name in models:
        _verdict(result, name)
    return result


def _verdict(result: dict[str, Any], name: str = "model") -> None:
    """One line per comparison: does the model beat the baseline trained on the same rows?"""
    print(f"\nmodels: {name} vs baseline, same training rows, same run (per-source thresholds)")
    cv = result["cross_validation_T"]
    if cv:
        print(f"  CV F1 on T: {name} {cv[name]['f1']:.4f}, baseline {cv['baseline']['f1']:.4f}")
    for proto, rows in result["out_of_source"].items():
        model, base = rows[f"{name} / per source"], rows["baseline / per source"]
        for key in model:
            if key in ("threshold", "train_cpu_s"):
                continue
            better = model[key] > base[key] if key.startswith("rec") else model[key] < base[key]
            same = abs(model[key] - base[key]) < 1e-9
            verdict = "same" if same else (f"{name} better" if better else "baseline better")
            print(
                f"  [{proto}] {key}: {name} {_fmt(key, model[key])}, "
                f"baseline {_fmt(key, base[key])} ({verdict})"
            )


def _false_alarms_at_recall(
    scores: np.ndarray, positive: np.ndarray, negatives: list[np.ndarray], recall: float
) -> list[float]:
    """False-alarm rate on each negative group at the highest threshold that still
    reaches ``recall`` on the positives."""
    need = int(np.ceil(recall * int(positive.sum()) - 1e-9))
    if need <= 0:
        return [0.0 for _ in negatives]
    threshold = np.sort(scores[positive])[::-1][need - 1]
    return [float(np.mean(scores[neg] >= threshold)) for neg in negatives]


def _matched_recall(
    all_scores: dict[tuple[str, str], dict[str, np.ndarray]],
    sets: Sets,
    h_category: np.ndarray,
    models: list[str],
) -> dict[str, Any]:
    """Operating curves compared at equal recall (a measurement, never used to choose a
    threshold or a model): on S, false alarms on its ordinary messages at the recall on its
    spam that the baseline reaches with its own per-source threshold (and at 0.9); on H,
    false alarms on its vacancies and ordinary posts at the baseline's recall on its
    recruitment posts (and at 0.8)."""
    out: dict[str, Any] = {}
    print(
        "\nmodels: false alarms at equal recall (operating curves; measurement only, the "
        "shipped thresholds are the out-of-fold ones above)"
    )
    cases = []
    if ("chat", "baseline") in all_scores and "S" in all_scores[("chat", "baseline")]:
        y = sets["S"][2]
        cases.append(("chat", "S", y == 1, [y == 0], ["S chat"]))
    if ("all", "baseline") in all_scores and "H" in all_scores[("all", "baseline")]:
        cases.append(
            (
                "all",
                "H",
                h_category == "recruitment_risk",
                [h_category == "vacancy", h_category == "ordinary"],
                ["H jobs", "H ord"],
            )
        )
    for proto, test, positive, negatives, labels in cases:
        base = all_scores[(proto, "baseline")][test]
        base_threshold = _PER_SOURCE_THRESHOLDS[(proto, "baseline")]
        own = float(np.mean(base[positive] >= base_threshold))
        for recall in sorted({own, 0.8, 0.9}):
            line = []
            for name in ["baseline", *models]:
                fa = _false_alarms_at_recall(
                    all_scores[(proto, name)][test], positive, negatives, recall
                )
                out[f"{proto} {test} recall {recall:.3f} {name}"] = dict(
                    zip(labels, fa, strict=True)
                )
                line.append(
                    f"{name} "
                    + ", ".join(f"{lab} {v:.2%}" for lab, v in zip(labels, fa, strict=True))
                )
            mark = " (the baseline's, per-source threshold)" if recall == own else ""
            print(f"  [{proto}] {test} recall {recall:.3f}{mark}: " + "; ".join(line))
    return out


_PER_SOURCE_THRESHOLDS: dict[tuple[str, str], float] = {}


def _concat(sets: Sets, names: list[str]) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    raw: list[str] = []
    norm: list[str] = []
    ys: list[np.ndarray] = []
    src: list[str] = []
    for name in names:
        r, n, y = sets[name]
        raw += r
        norm += n
        ys.append(y)
        src += [{"Ttr": "T"}.get(name, name)] * len(r)
    return raw, norm, np.concatenate(ys), src


def _columns(tests: list[str]) -> list[str]:
    out: list[str] = []
    for t in tests:
        if t == "S":
            out += ["FA S chat", "recall S spam"]
        elif t == "H":
            out += ["FA H ord", "FA H jobs", "rec H recr", "rec H spam"]
        else:
            out.append(f"FA {t}")
    return out


def _fmt(column: str, value: float) -> str:
    return f"{value:.3f}" if column.startswith("rec") else f"{value:.2%}"


def _measure(
    scores: dict[str, np.ndarray], sets: Sets, h_category: np.ndarray, threshold: float
) -> dict[str, float]:
    row: dict[str, float] = {}
    for t, s in scores.items():
        y = sets[t][2]
        hit = s >= threshold
        if t == "S":
            row["FA S chat"] = float(hit[y == 0].mean())
            row["recall S spam"] = float(hit[y == 1].mean())
        elif t == "H":
            for cat, col in zip(
                CATEGORIES, ("FA H ord", "FA H jobs", "rec H recr", "rec H spam"), strict=True
            ):
                row[col] = float(hit[h_category == cat].mean())
        else:
            row[f"FA {t}"] = float(hit[y == 0].mean())
    return row


def _queue(
    project: Project, sets: Sets, h_category: np.ndarray, name: str = "model"
) -> dict[str, Any]:
    from opennrm.monitoring.scoring import score_texts

    raw, norm, _ = sets["H"]
    scores = project._scores(raw, norm)
    out: dict[str, Any] = {"H": {}}
    print(f"\nmodels: queues of {name} on H (hand-written, never trained on)")
    print(f"  {'category':<18}{'n':>4}{'flagged':>9}{'recruitment':>13}{'spam queue':>12}")
    for cat in CATEGORIES:
        mine = [s for s, c in zip(scores, h_category, strict=True) if c == cat]
        flagged = sum(s.flagged for s in mine)
        recruit = sum(s.category == "recruitment" for s in mine)
        out["H"][cat] = {"n": len(mine), "flagged": flagged, "recruitment_queue": recruit}
        print(f"  {cat:<18}{len(mine):>4}{flagged:>9}{recruit:>13}{flagged - recruit:>12}")
    if ROUTING.exists():
        t_raw, t_norm, _ = sets["T"]
        labelled = [line.split("\t") for line in ROUTING.read_text("utf-8").split("\n")[1:] if line]
        idx = [int(i) for i, _ in labelled]
        truth = [lab.strip() for _, lab in labelled]
        routed = score_texts(
            [t_raw[i] for i in idx], [t_norm[i] for i in idx], model=None, threshold=0.0
        )
        cells = {(a, b): 0 for a in "RO" for b in ("recruitment", "spam")}
        for s, lab in zip(routed, truth, strict=True):
            cells[(lab, s.category or "spam")] += 1
        n_r = sum(v for (a, _), v in cells.items() if a == "R")
        n_o = sum(v for (a, _), v in cells.items() if a == "O")
        out["telegram_spam_routing"] = {f"{a}->{b}": v for (a, b), v in cells.items()}
        print(
            f"  routing of {len(idx)} hand-labelled spam rows of T (topics and flags only): "
            f"recruitment -> recruitment queue {cells[('R', 'recruitment')]}/{n_r}, "
            f"other spam -> spam queue {cells[('O', 'spam')]}/{n_o}"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--false-alarm-rate", type=float, default=0.02)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="also measure NAME=field:value,... (ModelConfig fields changed), e.g. "
        "chars=word_weight:0",
    )
    parser.add_argument(
        "--parts", default="cv,chat,jobs,all", help="comma-separated subset of cv,chat,jobs,all"
    )
    args = parser.parse_args()
    result = run(
        args.false_alarm_rate,
        tuple(parse_variant(v) for v in args.variant),
        tuple(args.parts.split(",")),
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str) + "\n", "utf-8")


if __name__ == "__main__":
    main()
