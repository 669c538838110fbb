"""Campaign clustering quality on real data, with the comparison against main's settings.

    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/monitoring_campaigns.py
        [--ads CSV --text-column text --group-column phone]   # contact-stripped ads
        [--json OUT]

Measures, for the current campaign settings and for the previous ones (``ClusterConfig``
as on main: 5-character shingles, Jaccard 0.6, no template pass), in one run:

1. ``telegram-spam-ru`` (13,202 labelled messages, clustered all together as an import
   would): the share of the spam (label 1) that ends up in campaigns of two or more posts,
   the share of the ordinary messages (label 0) in campaigns, how many campaigns mix spam
   and ordinary messages, and the label-agreement precision (the share of same-campaign
   pairs with the same label: an upper bound on precision, a lower bound on the mistakes).
2. ``ru-chat-stankin`` ordinary messages (label 0, 22,786), clustered on their own: how
   many end up in campaigns and the largest such campaigns' templates (to judge whether
   unrelated posts were merged, or whether they are real repeated messages).
3. With ``--ads``: pairwise precision / recall / F1 of campaigns against the groups of ads
   that share a phone number (the ``--group-column``), texts given with contacts removed.
   That data set is not in ``../shared/data``; the option exists so that the figure can be
   measured where it is.
4. CPU seconds of the clustering stage (signatures + campaigns + templates).
5. ``CampaignIndex`` (current settings): the spam collection added in batches of
   ``--index-batch`` posts as successive imports would add them; CPU time per post, whether
   the campaigns equal those of clustering everything at once, size of the serialised
   state and the time to load it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_contacts import shared_data  # noqa: E402

from opennrm.monitoring.cluster import (  # noqa: E402
    ClusterConfig,
    campaigns_of,
    cluster_signatures,
    minhash_signatures,
)
from opennrm.monitoring.index import CampaignIndex  # noqa: E402
from opennrm.monitoring.normalize import normalize  # noqa: E402

PREVIOUS = ClusterConfig(shingle_size=5, threshold=0.6, mode="chars", min_tokens=0)


def _read(path: Path, text: str = "message", label: str | None = "label") -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row[text], row[label] if label else "") for row in csv.DictReader(handle)]


def _pairs(groups: dict[Any, list[int]]) -> int:
    return sum(len(m) * (len(m) - 1) // 2 for m in groups.values())


def _run(texts: list[str], config: ClusterConfig) -> tuple[list[str], list[str], float]:
    norm = [normalize(t) for t in texts]
    keys = [f"{i:08d}" for i in range(len(texts))]
    start = time.process_time()
    ids, templates = campaigns_of(norm, keys, config)
    return ids, templates, time.process_time() - start


def _groups(ids: list[str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, cid in enumerate(ids):
        groups[cid].append(i)
    return {c: m for c, m in groups.items() if len(m) > 1}


def spam_collection(config: ClusterConfig) -> dict[str, Any]:
    rows = _read(shared_data("telegram-spam-ru", "train.csv"))
    texts = [t for t, _ in rows]
    labels = [lab for _, lab in rows]
    ids, templates, cpu = _run(texts, config)
    groups = _groups(ids)
    in_campaign = {i for m in groups.values() for i in m}
    spam = [i for i, lab in enumerate(labels) if lab == "1"]
    ham = [i for i, lab in enumerate(labels) if lab == "0"]
    mixed = [m for m in groups.values() if len({labels[i] for i in m}) > 1]
    same = sum(
        n * (n - 1) // 2 for m in groups.values() for n in Counter(labels[i] for i in m).values()
    )
    total = _pairs(groups)
    largest = sorted(groups.values(), key=len, reverse=True)[:5]
    return {
        "messages": len(texts),
        "campaigns": len(groups),
        "spam_in_campaigns": sum(1 for i in spam if i in in_campaign) / len(spam),
        "ordinary_in_campaigns": sum(1 for i in ham if i in in_campaign) / len(ham),
        "mixed_campaigns": len(mixed),
        "posts_in_mixed_campaigns": sum(len(m) for m in mixed),
        "label_pair_precision": same / total if total else 1.0,
        "largest": [(len(m), templates[m[0]][:120]) for m in largest],
        "mixed_examples": [
            (len(m), templates[m[0]][:120]) for m in sorted(mixed, key=len, reverse=True)[:5]
        ],
        "cpu_s": cpu,
    }


def ordinary_chat(config: ClusterConfig) -> dict[str, Any]:
    rows = _read(shared_data("ru-chat-stankin", "messages.csv"))
    texts = [t for t, lab in rows if lab == "0"]
    ids, templates, cpu = _run(texts, config)
    groups = _groups(ids)
    largest = sorted(groups.values(), key=len, reverse=True)[:8]
    return {
        "messages": len(texts),
        "campaigns": len(groups),
        "in_campaigns": sum(len(m) for m in groups.values()),
        "share_in_campaigns": sum(len(m) for m in groups.values()) / len(texts),
        "largest": [(len(m), templates[m[0]][:100]) for m in largest],
        "cpu_s": cpu,
    }


def ads(path: Path, text_col: str, group_col: str, config: ClusterConfig) -> dict[str, Any]:
    rows = _read(path, text_col, group_col)
    texts = [t for t, _ in rows]
    truth = [g for _, g in rows]
    ids, _, cpu = _run(texts, config)
    pred = _groups(ids)
    true_groups: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(truth):
        if g:
            true_groups[g].append(i)
    tp = 0
    for m in pred.values():
        tp += sum(n * (n - 1) // 2 for n in Counter(truth[i] for i in m if truth[i]).values())
    pp, tt = _pairs(pred), _pairs(true_groups)
    p = tp / pp if pp else 0.0
    r = tp / tt if tt else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "cpu_s": cpu}


def index_check(config: ClusterConfig, batch: int) -> dict[str, Any]:
    rows = _read(shared_data("telegram-spam-ru", "train.csv"))
    norm = [normalize(t) for t, _ in rows]
    keys = [f"{i:08d}" for i in range(len(norm))]
    sig, valid = minhash_signatures(norm, config)
    expected = cluster_signatures(keys, sig, valid, config)
    sizes = Counter(expected)
    index = CampaignIndex(config)
    start = time.process_time()
    for lo in range(0, len(keys), batch):
        index.add_signatures(
            keys[lo : lo + batch],
            sig[lo : lo + batch],
            valid[lo : lo + batch],
            snippets=[t[:500] for t in norm[lo : lo + batch]],
        )
    cpu = time.process_time() - start
    same = all(
        index.campaign_of(k) == (e if sizes[e] > 1 else None)
        for k, e in zip(keys, expected, strict=True)
    )
    start = time.process_time()
    blob = index.to_bytes()
    save = time.process_time() - start
    start = time.process_time()
    CampaignIndex.from_bytes(blob)
    load = time.process_time() - start
    return {
        "posts": len(keys),
        "batch": batch,
        "add_cpu_s": cpu,
        "add_us_per_post": cpu / len(keys) * 1e6,
        "equal_to_all_at_once": same,
        "serialised_bytes": len(blob),
        "save_cpu_s": save,
        "load_cpu_s": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=Path)
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--group-column", default="phone")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--index-batch", type=int, default=1000)
    args = parser.parse_args()
    out: dict[str, Any] = {
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_start": os.getloadavg(),
    }
    for name, config in (("previous", PREVIOUS), ("current", ClusterConfig())):
        out[name] = {"config": repr(config), "spam": spam_collection(config)}
        out[name]["chat"] = ordinary_chat(config)
        if args.ads:
            out[name]["ads"] = ads(args.ads, args.text_column, args.group_column, config)
    out["index"] = index_check(ClusterConfig(), args.index_batch)
    out["load_average_end"] = os.getloadavg()
    for name in ("previous", "current"):
        s, c = out[name]["spam"], out[name]["chat"]
        print(f"== {name}: {out[name]['config']}")
        print(
            f"  spam collection: {s['spam_in_campaigns']:.1%} of spam in campaigns, "
            f"{s['ordinary_in_campaigns']:.1%} of its ordinary messages; {s['campaigns']} "
            f"campaigns, {s['mixed_campaigns']} mixed ({s['posts_in_mixed_campaigns']} posts); "
            f"label-pair precision {s['label_pair_precision']:.3f}; {s['cpu_s']:.2f} CPU-s"
        )
        for size, tpl in s["largest"]:
            print(f"    {size:5d}  {tpl}")
        for size, tpl in s["mixed_examples"]:
            print(f"    mixed {size:5d}  {tpl}")
        print(
            f"  ordinary chat: {c['in_campaigns']} of {c['messages']} "
            f"({c['share_in_campaigns']:.2%}) in {c['campaigns']} campaigns; {c['cpu_s']:.2f} CPU-s"
        )
        for size, tpl in c["largest"]:
            print(f"    {size:5d}  {tpl}")
        if "ads" in out[name]:
            a = out[name]["ads"]
            print(f"  ads: P {a['precision']:.3f} R {a['recall']:.3f} F1 {a['f1']:.3f}")
    ix = out["index"]
    print(
        f"CampaignIndex: {ix['posts']} posts in batches of {ix['batch']}: "
        f"{ix['add_us_per_post']:.1f} µs CPU per post; equal to all at once: "
        f"{ix['equal_to_all_at_once']}; serialised {ix['serialised_bytes'] / 2**20:.1f} MiB "
        f"(save {ix['save_cpu_s']:.2f} CPU-s, load {ix['load_cpu_s']:.2f} CPU-s)"
    )
    print(f"load average {out['load_average_start']} -> {out['load_average_end']}")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
