"""Training CPU seconds and scoring cost of risk-model configurations, in one run.

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/monitoring_model_speed.py \\
        [--variant NAME=field:value,...] [--rounds 3] [--json OUT]

Measures, for the shipped :class:`ModelConfig` and each ``--variant`` (as in
``bench/monitoring_models.py``; ``chars=word_weight:0`` is the char-only model of before):

* **training**: ``train_risk_model`` on the rows the app trains on (``opennrm online
  retrain`` / the demo): the three shared sets plus 2,000 UA-GEC paragraphs, 2 % false
  alarms per source, raw texts (normalisation and flags included, as the app calls it);
  CPU seconds of this process (``time.process_time``), one core, after a warm-up
  training on 2 % of the rows (imports are not counted);
* **scoring**: microseconds of CPU per message of ``RiskModel.score_and_explain`` (top 3
  n-grams, what the pipeline calls) on the 13,202 normalised telegram-spam-ru messages,
  in batches of 1,000, best of ``--rounds``; texts are normalised beforehand (not timed).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_contacts import shared_data  # noqa: E402
from monitoring_models import parse_variant  # noqa: E402

SETS = (
    "telegram-spam-ru/train.csv",
    "ru-chat-stankin/messages.csv",
    "ru-jobs-superjob/vacancies.csv",
)


def app_rows() -> tuple[list[str], list[int], list[str]]:
    """What ``opennrm.online.model.training_rows`` reads (without reviewers' feedback)."""
    from opennrm.monitoring.corpora import ukrainian_paragraphs

    csv.field_size_limit(2**31 - 1)
    texts: list[str] = []
    labels: list[int] = []
    sources: list[str] = []
    for name in SETS:
        with shared_data(*name.split("/")).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                texts.append(row["message"])
                labels.append(int(row["label"]))
                sources.append(name.split("/")[0])
    for _, text in ukrainian_paragraphs(2000):
        texts.append(text)
        labels.append(0)
        sources.append("ua-gec")
    return texts, labels, sources


def main() -> None:
    from opennrm.monitoring._model import ModelConfig
    from opennrm.monitoring.normalize import normalize
    from opennrm.monitoring.scoring import train_risk_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configs = [("shipped", ModelConfig()), *(parse_variant(v) for v in args.variant)]
    texts, labels, sources = app_rows()
    norm = [normalize(t) for t in texts]
    telegram = [n for n, s in zip(norm, sources, strict=True) if s == "telegram-spam-ru"]
    # warm-up (imports of scikit-learn, the flags and topics files): not counted
    warm = [i for i in range(len(texts)) if i % 50 == 0]
    train_risk_model([texts[i] for i in warm], [labels[i] for i in warm])
    print(f"load average at start {os.getloadavg()[0]:.1f}; {len(texts)} training rows")
    out: dict[str, Any] = {"load_average_start": os.getloadavg()}
    for name, config in configs:
        c0 = time.process_time()
        report = train_risk_model(
            texts,
            labels,
            false_alarm_rate=0.02,
            sources=sources,
            config=config,
        )
        train_cpu = time.process_time() - c0
        model = report.model
        best = float("inf")
        for _ in range(args.rounds):
            c0 = time.process_time()
            for start in range(0, len(telegram), 1000):
                model.score_and_explain(telegram[start : start + 1000], top_k=3)
            best = min(best, time.process_time() - c0)
        us = best / len(telegram) * 1e6
        out[name] = {"train_cpu_s": train_cpu, "score_us_per_message": us, "config": str(config)}
        print(f"  {name:<10} training {train_cpu:6.1f} CPU-s   scoring {us:6.1f} µs/message")
    out["load_average_end"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
