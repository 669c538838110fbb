"""How much of the remaining CV error on telegram-spam-ru can text decide at all?

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/monitoring_label_noise.py \\
        [--show] [--json OUT]

The data set's labels look given per *sender*: many spam labels sit on text with no spam
content ("норм?", "это как исправить?"). No text-only scorer can get those right, so the
F1 target of issue 12 has a ceiling below 1. This bench estimates it:

1. the out-of-fold CV scores of the **baseline** and the shipped **model** on
   ``telegram-spam-ru`` (T), exactly as ``bench/monitoring_models.py`` computes them (same
   3 folds, S + J + U1 added to every training fold), each cut at its best-F1 threshold;
2. a seeded random sample of 100 rows from the union of both scorers' errors (when the
   scorers have changed since, the labelled rows that are still errors are used and the
   bench says how many); each row was read by hand and labelled in ``bench/data/telegram_error_labels.tsv`` (row numbers
   and one letter only, never the text):

   * **D**: the text itself shows its label (a scorer could learn it);
   * **N**: not decidable from the text alone (a spam label on ordinary words, or an
     ordinary label on text that reads as spam); when in doubt the row was labelled D;

3. per scorer, the share N among its sampled false positives and false negatives, and
   the F1 a text-only scorer would reach if it fixed every D error and kept every N
   error (``TP' = P - FN·nFN``, ``FP' = FP·nFP``): an estimate of the attainable F1,
   with a 95 % bootstrap interval over the labelled rows and, since a bootstrap cannot
   widen a share of 0/k, the ceiling with both N shares at the upper ends of their
   Wilson intervals (the lowest plausible one); the share N overall gets a Wilson
   interval;
4. a hard floor that needs no hand label: exact duplicates (same normalised text) that
   carry both labels; at least the minority of each such group is wrong for any scorer.

``--show`` prints the sampled rows' texts (for labelling; they are never written to a
file). Without the labels file the bench prints the sample and stops.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import monitoring_models as mm  # noqa: E402

LABELS = Path(__file__).resolve().parent / "data" / "telegram_error_labels.tsv"
SAMPLE = 100
SEED = 12


def read_labels(path: Path = LABELS) -> dict[int, str]:
    """``row -> D/N`` from the labels file (``#`` lines are comments; one header row)."""
    lines = [ln for ln in path.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    out: dict[int, str] = {}
    for line in lines[1:]:
        row, letter = line.split("\t")
        if letter.strip() not in ("D", "N"):
            raise ValueError(f"{path}: row {row}: label must be D or N")
        out[int(row)] = letter.strip()
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n``."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def cv_oof(sets: mm.Sets) -> dict[str, np.ndarray]:
    """Out-of-fold CV scores on T of baseline and model (the harness's protocol)."""
    from sklearn.model_selection import StratifiedKFold

    t_raw, t_norm, t_y = sets["T"]
    extra = ["S", "J", *(["U1"] if "U1" in sets else [])]
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(t_norm, t_y))
    makers = {"baseline": mm.Baseline, "model": lambda: mm.Project(0.02)}
    out: dict[str, np.ndarray] = {}
    for name, make in makers.items():
        oof = np.zeros(len(t_y))
        for tr, te in folds:
            fold_sets = dict(sets)
            fold_sets["Ttr"] = ([t_raw[i] for i in tr], [t_norm[i] for i in tr], t_y[tr])
            scorer = make().fit(*mm._concat(fold_sets, ["Ttr", *extra]))
            oof[te] = scorer.score([t_raw[i] for i in te], [t_norm[i] for i in te])
        out[name] = oof
    return out


def ceiling_f1(positives: int, fp: int, fn: int, n_fp: float, n_fn: float) -> float:
    """F1 with every D error fixed and every N error kept (shares ``n_fp``, ``n_fn``)."""
    keep_fp, keep_fn = fp * n_fp, fn * n_fn
    tp = positives - keep_fn
    return 2 * tp / (2 * tp + keep_fp + keep_fn)


def conflicting_duplicates(norm: list[str], y: np.ndarray) -> tuple[int, int]:
    """(groups of identical normalised texts with both labels, rows any scorer must get
    wrong in them: the minority of each group)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for text, label in zip(norm, y.tolist(), strict=True):
        groups[" ".join(text.split())].append(label)
    mixed = [g for g in groups.values() if 0 < sum(g) < len(g)]
    return len(mixed), sum(min(sum(g), len(g) - sum(g)) for g in mixed)


def run(show: bool = False, boot: int = 2000) -> dict[str, Any]:
    from opennrm.monitoring._model import best_threshold, evaluate

    loaded = mm._load_all()
    if loaded is None:
        return {"skipped": True}
    sets, info, _ = loaded
    t_raw, t_norm, y = sets["T"]
    load_start = os.getloadavg()
    c0 = time.process_time()
    oof = cv_oof(sets)
    cpu = time.process_time() - c0
    errors: dict[str, dict[str, set[int]]] = {}
    counts: dict[str, dict[str, Any]] = {}
    for name, scores in oof.items():
        thr = best_threshold(scores, y)
        pred = scores >= thr
        fp = set(np.flatnonzero(pred & (y == 0)).tolist())
        fn = set(np.flatnonzero(~pred & (y == 1)).tolist())
        errors[name] = {"FP": fp, "FN": fn}
        m = evaluate(scores, y, thr)
        counts[name] = {"threshold": thr, "f1": m.f1, "FP": len(fp), "FN": len(fn)}
        print(f"label-noise: {name}: CV F1 {m.f1:.4f} at {thr:.3f}; FP {len(fp)}, FN {len(fn)}")
    union = sorted(set().union(*(e["FP"] | e["FN"] for e in errors.values())))
    sample = sorted(random.Random(SEED).sample(union, min(SAMPLE, len(union))))
    print(f"label-noise: {len(union)} rows are an error of either scorer; sampled {len(sample)}")
    if show or not LABELS.exists():
        for i in sample:
            who = ",".join(f"{n}:{k}" for n, e in errors.items() for k in e if i in e[k])
            print(f"{i}\tlabel={y[i]}\t{who}\t{t_raw[i]!r}")
    result: dict[str, Any] = {
        "data": info["T"],
        "cv_cpu_s": cpu,
        "scorers": counts,
        "union_errors": len(union),
        "sample_rows": sample,
    }
    groups, floor = conflicting_duplicates(t_norm, y)
    positives = int(y.sum())
    print(
        f"label-noise: {groups} groups of identical normalised texts carry both labels: "
        f"at least {floor} rows wrong for any scorer"
    )
    result["conflicting_duplicates"] = {"groups": groups, "rows_wrong_for_any_scorer": floor}
    if not LABELS.exists():
        print(f"label-noise: {LABELS} missing; label the rows above and run again")
        return result
    labels = read_labels()
    if sorted(labels) != sample:
        # the scorers changed since the rows were labelled: keep the labelled rows that
        # are still errors (a random sample of the old errors, restricted to the new ones)
        still = set(union)
        print(
            f"label-noise: the errors changed since the labelling: "
            f"{sum(i in still for i in labels)} of the {len(labels)} labelled rows are still "
            f"errors (used); {len(set(sample) - set(labels))} rows of this run's sample are "
            "unlabelled (--show lists the sample)"
        )
        labels = {i: v for i, v in labels.items() if i in still}
        sample = sorted(labels)
    result["labelled_rows_used"] = len(labels)
    n_all = sum(v == "N" for v in labels.values())
    lo, hi = wilson(n_all, len(labels))
    print(
        f"label-noise: share N among the {len(labels)} sampled errors: "
        f"{n_all / len(labels):.2f} (95% Wilson {lo:.2f}–{hi:.2f})"
    )
    result["share_N"] = {"n": n_all, "of": len(labels), "share": n_all / len(labels)}
    result["share_N"]["wilson95"] = [lo, hi]
    rng = np.random.default_rng(SEED)
    rows = np.array(sample)
    is_n = np.array([labels[i] == "N" for i in sample])
    for name, err in errors.items():
        kind = np.array(["FP" if i in err["FP"] else "FN" if i in err["FN"] else "" for i in rows])
        c = counts[name]

        def estimate(idx: np.ndarray, kind: np.ndarray = kind, c: dict[str, Any] = c) -> float:
            shares = []
            for k in ("FP", "FN"):
                mine = is_n[idx][kind[idx] == k]
                shares.append(float(mine.mean()) if len(mine) else 0.0)
            return ceiling_f1(positives, c["FP"], c["FN"], shares[0], shares[1])

        every = np.arange(len(rows))
        point = estimate(every)
        draws = [estimate(rng.integers(0, len(rows), len(rows))) for _ in range(boot)]
        lo_f, hi_f = np.percentile(draws, [2.5, 97.5])
        split = {
            k: f"{int(is_n[kind == k].sum())}/{int((kind == k).sum())} N" for k in ("FP", "FN")
        }
        # the bootstrap cannot widen a share of 0/k: also the ceiling with both shares at
        # the upper end of their Wilson intervals (the lowest plausible ceiling)
        upper = [
            wilson(int(is_n[kind == k].sum()), int((kind == k).sum()))[1] for k in ("FP", "FN")
        ]
        low = ceiling_f1(positives, c["FP"], c["FN"], upper[0], upper[1])
        print(
            f"label-noise: {name}: sampled errors FP {split['FP']}, FN {split['FN']}; "
            f"F1 if every N error is unavoidable: {point:.4f} (95% bootstrap {lo_f:.4f}–"
            f"{hi_f:.4f}; with both N shares at their Wilson upper ends {low:.4f}); "
            f"its CV F1 {c['f1']:.4f}"
        )
        result[f"ceiling_{name}"] = {
            "sampled": split,
            "attainable_f1": point,
            "bootstrap95": [float(lo_f), float(hi_f)],
            "at_wilson_upper_N_shares": low,
        }
    result["load_average"] = {"start": load_start, "end": os.getloadavg()}
    print(f"label-noise: load average {load_start[0]:.2f} at start, {os.getloadavg()[0]:.2f} end")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print the sampled rows' texts")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.show)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str) + "\n", "utf-8")


if __name__ == "__main__":
    main()
