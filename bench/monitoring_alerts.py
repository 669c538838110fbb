"""Alert indicators and the corrected flags against the flags before them, in one run.

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/monitoring_alerts.py \\
        [--before 63d0668] [--false-alarm-rate 0.02] [--json OUT]

"Before" is ``data/flags.json`` at the git revision ``--before`` (read with ``git show``)
scored as it was: a post is flagged when its risk reaches the threshold. "After" is this
checkout's flags file (the strongest forced-labour indicators marked ``alert``, more
wordings of documents kept, "work abroad" no longer counted as travel arranged) with its
rule: flagged when the risk reaches the threshold **or** an alert indicator fired. The
model is trained exactly as the app trains it (``train_risk_model``, what ships, per-source
false-alarm budget) once with each flags file, on the same rows, in the same process; the
data and the held-out sets are those of ``bench/monitoring_models.py`` (T telegram-spam-ru,
S ru-chat-stankin, J ru-jobs-superjob, U1/U2 UA-GEC split by author, H the project's
hand-written Ukrainian posts, never trained on):

1. how often an alert indicator fires, with no model at all, on every set (ordinary and
   spam rows apart; H by category);
2. trained on T + S + J + U1 (what ships) → H by category and U2: share flagged, before
   and after;
3. trained on T + J + U1 → S (another community's chat): false alarms on its ordinary
   messages, recall on its 52 spam messages, before and after;
4. 3-fold CV on T (S + J + U1 in every training fold; best-F1 threshold on the
   out-of-fold risk, the alert rule applied on top for "after").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_models import _concat, _load_all  # noqa: E402

FLAGS_FILE = "src/opennrm/monitoring/data/flags.json"


def _flagsets(before: str) -> dict[str, Any]:
    from opennrm.monitoring._flags import load_flags

    old = subprocess.run(  # noqa: S603 - git, our own repository
        ["git", "show", f"{before}:{FLAGS_FILE}"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        fh.write(old)
    return {"before": load_flags(fh.name), "after": load_flags(ROOT / FLAGS_FILE)}


def _alerted(flagset: Any, raw: list[str], norm: list[str]) -> np.ndarray:
    ids = flagset.alert_ids
    return np.array(
        [
            any(h.flag_id in ids for h in flagset.evaluate(r, n))
            for r, n in zip(raw, norm, strict=True)
        ]
    )


def _flagged(flagset: Any, report: Any, raw: list[str], norm: list[str], rule: bool) -> np.ndarray:
    from opennrm.monitoring.scoring import score_texts

    scores = score_texts(raw, norm, model=report.model, flags=flagset, top_features=0)
    risk = np.array([s.risk for s in scores])
    flagged = risk >= report.model.threshold
    if rule:  # the rule of this checkout (score_texts applies it when the file marks alerts)
        flagged = np.array([s.flagged for s in scores])
    return flagged


def run(before: str, rate: float) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold

    from opennrm.monitoring._model import best_threshold, evaluate
    from opennrm.monitoring.scoring import train_risk_model

    loaded = _load_all()
    if loaded is None:
        return {"skipped": True}
    sets, _info, h_category = loaded
    flagsets = _flagsets(before)
    out: dict[str, Any] = {"before": before, "false_alarm_rate": rate}

    # 1. alert indicators alone
    fires: dict[str, float] = {}
    after = flagsets["after"]
    for name, (raw, norm, y) in sets.items():
        hit = _alerted(after, raw, norm)
        if name == "H":
            for cat in sorted(set(h_category.tolist())):
                fires[f"H {cat}"] = float(hit[h_category == cat].mean())
        else:
            for label, what in ((0, "ordinary"), (1, "spam")):
                if (y == label).any():
                    fires[f"{name} {what} ({int((y == label).sum())})"] = float(
                        hit[y == label].mean()
                    )
    out["alert_fires"] = fires
    print("alert indicators fire on (no model):")
    for k, v in fires.items():
        print(f"  {k:28s} {v:7.2%}")

    def train(names: list[str], version: str) -> Any:
        raw, norm, y, src = _concat(sets, names)
        return train_risk_model(
            raw, y.tolist(), normalized_texts=norm, false_alarm_rate=rate, sources=src,
            flags=flagsets[version],
        )  # fmt: skip

    # 2. what ships -> H, U2
    u1 = ["U1"] if "U1" in sets else []
    ships: dict[str, dict[str, float]] = {}
    for version in ("before", "after"):
        report = train(["T", "S", "J", *u1], version)
        raw, norm, _y = sets["H"]
        flagged = _flagged(flagsets[version], report, raw, norm, rule=version == "after")
        row = {f"H {c}": float(flagged[h_category == c].mean()) for c in sorted(set(h_category))}
        if "U2" in sets:
            raw2, norm2, _ = sets["U2"]
            row["U2 ordinary"] = float(
                _flagged(flagsets[version], report, raw2, norm2, version == "after").mean()
            )
        row["threshold"] = float(report.model.threshold)
        ships[version] = row
    out["trained_T_S_J_U1"] = ships
    print("\ntrained on T+S+J+U1 (what ships), share flagged:")
    for k in ships["before"]:
        print(f"  {k:28s} {ships['before'][k]:8.3f} -> {ships['after'][k]:8.3f}")

    # 3. T + J + U1 -> S
    chat: dict[str, dict[str, float]] = {}
    for version in ("before", "after"):
        report = train(["T", "J", *u1], version)
        raw, norm, y = sets["S"]
        flagged = _flagged(flagsets[version], report, raw, norm, rule=version == "after")
        chat[version] = {
            "S false alarms": float(flagged[y == 0].mean()),
            "S spam recall": float(flagged[y == 1].mean()),
            "threshold": float(report.model.threshold),
        }
    out["trained_T_J_U1_to_S"] = chat
    print("\ntrained on T+J+U1, measured on S:")
    for k in chat["before"]:
        print(f"  {k:28s} {chat['before'][k]:8.4f} -> {chat['after'][k]:8.4f}")

    # 4. CV on T
    raw_t, norm_t, y_t = sets["T"]
    extra = ["S", "J", *u1]
    cv: dict[str, dict[str, float]] = {}
    oof = {v: np.zeros(len(y_t)) for v in ("before", "after")}
    alert_t = _alerted(after, raw_t, norm_t)
    for tr, te in StratifiedKFold(3, shuffle=True, random_state=0).split(norm_t, y_t):
        sub = {**sets, "Ttr": ([raw_t[i] for i in tr], [norm_t[i] for i in tr], y_t[tr])}
        for version in ("before", "after"):
            raw, norm, y, src = _concat(sub, ["Ttr", *extra])
            report = train_risk_model(
                raw, y.tolist(), normalized_texts=norm, false_alarm_rate=rate, sources=src,
                flags=flagsets[version],
            )  # fmt: skip
            from opennrm.monitoring.scoring import score_texts

            scores = score_texts(
                [raw_t[i] for i in te], [norm_t[i] for i in te], model=report.model,
                flags=flagsets[version], top_features=0,
            )  # fmt: skip
            oof[version][te] = [s.risk for s in scores]
    for version in ("before", "after"):
        threshold = best_threshold(oof[version], y_t)
        predicted = oof[version] >= threshold
        if version == "after":
            predicted = predicted | alert_t
        tp = int((predicted & (y_t == 1)).sum())
        fp = int((predicted & (y_t == 0)).sum())
        fn = int((~predicted & (y_t == 1)).sum())
        cv[version] = {
            "threshold": float(threshold),
            "f1": 2 * tp / (2 * tp + fp + fn),
            "fp": fp,
            "fn": fn,
            "f1_without_alert_rule": evaluate(oof[version], y_t, threshold).f1,
        }
    out["cv_T"] = cv
    print("\n3-fold CV on T (S+J+U1 in every training fold), best-F1 threshold:")
    for version, row in cv.items():
        print(
            f"  {version:6s} F1 {row['f1']:.4f} (FP {row['fp']}, FN {row['fn']}; "
            f"without the alert rule {row['f1_without_alert_rule']:.4f})"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="63d0668", help="git revision of the flags before")
    parser.add_argument("--false-alarm-rate", type=float, default=0.02)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.before, args.false_alarm_rate)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
