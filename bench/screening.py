"""How many questions does a screening take to reach its final outcome, before and after
the adaptive interview — and does the explanation stay complete?

Run from the repository root (see bench/README.md)::

    PYTHONPATH=src .venv/bin/python bench/screening.py

Evaluation cases. There is no set of real screenings, and no documented prevalence of each
indicator, in the repository or the shared reference data. The cases are therefore synthetic
and say so: for every indicator set, ``--cases`` full answer vectors (every indicator
answered), seeded, each drawn with a "yes" rate from {0, 3, 8, 15, 30} % and an "unknown" rate
from {0, 5, 20} % (uniform over the 15 combinations), so that every outcome occurs. The
outcome mix is printed with the figures. The "final outcome" of a case is the outcome of its
full answer vector.

Figures per case:

* ``fixed, all``   — what the interview did before: every question in the fixed order
  (dimension by dimension); the outcome is final only at the end.
* ``fixed, stop``  — the same fixed order, stopping at the first question after which the
  outcome (and the forced-criminality flag) can no longer change: what the stopping rule
  alone gains.
* ``adaptive``     — ``opennrm.screening.interview_state``: deciding questions first, stop
  when settled.

Checks per case (any failure is printed and makes the exit status 1): the adaptive stop gives
the final outcome and forced-criminality flag; the plain explanation, in en, uk and ru, names
every indicator answered "yes", every dimension that is shown, and the rule's parts; the
formal trace names every dimension and the rule.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opennrm.settings")

import django

django.setup()

from opennrm.screening import (  # noqa: E402
    Answer,
    Catalogue,
    evaluate,
    interview_state,
    load_catalogue,
    outcome_bounds,
)
from opennrm.screenings.plain import element_name, explain  # noqa: E402

AGE = {"adult_labour": 30, "adult_sexual": 30, "child_labour": 15, "child_sexual": 15}
YES_RATES = (0.0, 0.03, 0.08, 0.15, 0.30)
UNKNOWN_RATES = (0.0, 0.05, 0.20)


def make_cases(cat: Catalogue, per_set: int, seed: int) -> list[tuple[str, dict[str, Answer]]]:
    rng = random.Random(seed)
    cases = []
    for set_id in cat.set_ids:
        ids = cat.indicator_set(set_id).indicator_ids
        for _ in range(per_set):
            p_yes, p_unknown = rng.choice(YES_RATES), rng.choice(UNKNOWN_RATES)
            answers = {}
            for iid in ids:
                u = rng.random()
                answers[iid] = (
                    Answer.YES
                    if u < p_yes
                    else Answer.UNKNOWN
                    if u < p_yes + p_unknown
                    else Answer.NO
                )
            cases.append((set_id, answers))
    return cases


def fixed_stop(cat: Catalogue, set_id: str, truth: dict[str, Answer]) -> int:
    """Questions asked in the fixed order until the outcome and the flag are settled."""
    order = [q.indicator_id for s in cat.questions(set_id) for q in s.questions]
    triggers = [i for i in order if i in cat.forced_criminality_triggers]
    answers: dict[str, Answer] = {}
    for k in range(len(order) + 1):
        low, high = outcome_bounds(cat, set_id=set_id, age=AGE[set_id], answers=answers)
        fc_yes = any(answers.get(i) is Answer.YES for i in triggers)
        fc_settled = fc_yes or all(i in answers for i in triggers)
        if low is high and fc_settled:
            return k
        answers[order[k]] = truth[order[k]]
    return len(order)


def adaptive(cat: Catalogue, set_id: str, truth: dict[str, Answer]) -> tuple[dict, Any]:
    answers: dict[str, Answer] = {}
    while True:
        state = interview_state(cat, set_id=set_id, age=AGE[set_id], answers=answers)
        if state.settled or state.next_question is None:
            return answers, state
        answers[state.next_question] = truth[state.next_question]


def check_explanation(cat: Catalogue, result: dict[str, Any]) -> list[str]:
    """What is missing from the explanations of one stored result (empty: complete)."""
    problems = []
    yes_ids = [p["indicator_id"] for d in result["dimensions"] for p in d["present"]]
    shown_dims = [d["dimension"] for d in result["dimensions"] if d["established"]]
    child = result["child"]
    rules = cat.child_rule if child else cat.adult_rule
    fired = [r for r in rules if r.id == result["rule_clause"]]
    rule_parts = fired[0].all_of if fired else ()
    for lang in ("en", "uk", "ru"):
        plain = explain(result, lang)
        text = "\n".join(plain.sentences)
        for iid in yes_ids:
            if cat.indicator(iid).label.get(lang) not in text:  # type: ignore[arg-type]
                problems.append(f"{lang}: indicator {iid} not named")
        for dim in shown_dims:
            if cat.dimension(dim).label.get(lang) not in text:  # type: ignore[arg-type]
                problems.append(f"{lang}: dimension {dim} not named")
        from django.utils import translation

        with translation.override(lang):
            names = [element_name(e) for e in rule_parts]
        if result["rule_clause"] and not all(n in plain.rule for n in names):
            problems.append(f"{lang}: rule parts not named")
        if not plain.headline or not plain.rule:
            problems.append(f"{lang}: headline or rule missing")
        formal = "\n".join(result["explanation"][lang])
        for d in result["dimensions"]:
            if cat.dimension(d["dimension"]).label.get(lang) not in formal:  # type: ignore[arg-type]
                problems.append(f"{lang}: formal trace misses {d['dimension']}")
        if not any(r.label.get(lang) in formal for r in rules):  # type: ignore[arg-type]
            problems.append(f"{lang}: formal trace misses the rule")
    return problems


def pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def summary(values: list[int]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p90": pct(values, 0.9),
        "mean": round(statistics.fmean(values), 1),
        "max": max(values),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100, help="cases per indicator set")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write every figure as JSON")
    args = parser.parse_args()

    cat = load_catalogue()
    started = time.perf_counter()
    cases = make_cases(cat, args.cases, args.seed)
    rows: dict[str, dict[str, list[int]]] = {key: {} for key in (*cat.set_ids, "all sets")}
    outcomes: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    for n, (set_id, truth) in enumerate(cases):
        final = evaluate(cat, set_id=set_id, age=AGE[set_id], answers=truth)
        asked, state = adaptive(cat, set_id, truth)
        if state.outcome is not final.outcome or (
            state.result.forced_criminality != final.forced_criminality
        ):
            failures.append(
                f"case {n} ({set_id}): stopped at {state.outcome}, final {final.outcome}"
            )
        stored = {
            **state.result.to_dict(),
            "settled": state.outcome_settled,
            "forced_criminality_settled": state.forced_criminality_settled,
        }
        failures += [f"case {n} ({set_id}): {p}" for p in check_explanation(cat, stored)]
        for key in (set_id, "all sets"):
            r = rows[key]
            for k in ("fixed, all", "fixed, stop", "adaptive"):
                r.setdefault(k, [])
            r["fixed, all"].append(len(truth))
            r["fixed, stop"].append(fixed_stop(cat, set_id, truth))
            r["adaptive"].append(len(asked))
            o = outcomes.setdefault(key, {})
            o[str(final.outcome)] = o.get(str(final.outcome), 0) + 1

    figures = {
        key: {k: summary(v) for k, v in r.items()} | {"outcomes": outcomes[key]}
        for key, r in rows.items()
    }
    print(
        f"{len(cases)} synthetic cases ({args.cases} per set, seed {args.seed}), "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(
        f"{'set':<14} {'outcomes (final)':<60} {'fixed, all':>12} {'fixed, stop':>12} "
        f"{'adaptive':>12}   (median / p90 questions)"
    )
    for key, f in figures.items():
        mix = ", ".join(f"{k} {v}" for k, v in sorted(f["outcomes"].items()))
        cells = [
            f"{f[k]['median']:.0f} / {f[k]['p90']:.0f}"
            for k in ("fixed, all", "fixed, stop", "adaptive")
        ]
        print(f"{key:<14} {mix:<60} {cells[0]:>12} {cells[1]:>12} {cells[2]:>12}")
    by_outcome: dict[str, list[int]] = {}
    for (set_id, truth), k in zip(cases, rows["all sets"]["adaptive"], strict=True):
        o = str(evaluate(cat, set_id=set_id, age=AGE[set_id], answers=truth).outcome)
        by_outcome.setdefault(o, []).append(k)
    print("\nadaptive, by final outcome (median / p90 questions):")
    for o, v in sorted(by_outcome.items()):
        print(f"  {o:<16} {statistics.median(v):>5.0f} / {pct(v, 0.9):.0f}   ({len(v)} cases)")
    figures["adaptive by outcome"] = {o: summary(v) for o, v in by_outcome.items()}
    print(f"\nexplanation and outcome checks: {len(failures)} failure(s)")
    for line in failures[:20]:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
