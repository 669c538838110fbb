"""Does this checkout's pipeline give exactly the other checkout's results?

    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/monitoring_same_results.py \
        --other /work/main/src

The companion of ``bench/monitoring_throughput.py`` for changes that must only be faster:
a model is trained once (this checkout's code) on the telegram-spam-ru messages and saved;
then ``run_pipeline`` runs in a child process with each checkout's ``src`` on

* the telegram-spam-ru messages replicated to 20,000 (what the throughput bench times),
* the 13,201 distinct telegram-spam-ru messages,
* the Russian chat (``ru-chat-stankin``) and vacancy (``ru-jobs-superjob``) sets, and the
  hand-written Ukrainian set and the contact sets of ``tests/monitoring/data``,

and every post's result (language, risk, model score, flag score, flagged, reasons with
their weights and evidence, contacts, category), the campaign and network of every post,
and every campaign and network summary are compared for equality (floats exactly).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_contacts import shared_data  # noqa: E402

from monitoring import DEFAULT_DATA, load, replicate  # noqa: E402

CHILD = """
import json, pickle, sys
from opennrm.monitoring._model import load_model
from opennrm.monitoring._post import Post
from opennrm.monitoring.pipeline import PipelineConfig, run_pipeline
texts = json.load(open(sys.argv[1], encoding="utf-8"))
model = load_model(sys.argv[2])
posts = [Post.create("bench", t, record=f"bench:{i}") for i, t in enumerate(texts)]
res = run_pipeline(posts, model=model, config=PipelineConfig())
out = {
    "posts": [repr(p) for p in res.posts],
    "cluster_ids": list(res.cluster_ids),
    "network_ids": list(res.network_ids),
    "campaigns": [repr(g) for g in res.campaigns],
    "networks": [repr(g) for g in res.networks],
}
pickle.dump(out, open(sys.argv[3], "wb"))
"""


def datasets() -> dict[str, list[str]]:
    csv.field_size_limit(2**31 - 1)
    texts, _ = load(DEFAULT_DATA)
    out = {
        "telegram-spam-ru replicated to 20,000": replicate(texts, 20_000)[0],
        "telegram-spam-ru distinct": list(dict.fromkeys(texts)),
    }
    for name, file in (("ru-chat-stankin", "messages.csv"), ("ru-jobs-superjob", "vacancies.csv")):
        path = shared_data(name, file)
        with path.open(encoding="utf-8", newline="") as fh:
            out[name] = [row["message"] for row in csv.DictReader(fh)]
    hand = []
    for name in ("uk_handwritten", "contacts_eval", "contacts_holdout"):
        path = ROOT / "tests" / "monitoring" / "data" / f"{name}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                hand.append(json.loads(line).get("text", ""))
    out["tests/monitoring/data (uk hand-written, contacts)"] = hand
    return out


def run(src: Path, texts_path: str, model_dir: str, out_path: str) -> dict[str, list[str]]:
    import os
    import pickle

    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, texts_path, model_dir, out_path], env=env, check=True
    )
    with open(out_path, "rb") as fh:
        result: dict[str, list[str]] = pickle.load(fh)  # noqa: S301 - our own child's file
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="the other checkout's src")
    args = parser.parse_args()
    from opennrm.monitoring._model import ModelConfig, save_model
    from opennrm.monitoring.scoring import train_risk_model

    texts, labels = load(DEFAULT_DATA)
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = str(Path(tmp) / "model")
        save_model(train_risk_model(texts, labels, config=ModelConfig()).model, model_dir)
        for name, data in datasets().items():
            path = str(Path(tmp) / "texts.json")
            Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            mine = run(ROOT / "src", path, model_dir, str(Path(tmp) / "this.pkl"))
            other = run(args.other, path, model_dir, str(Path(tmp) / "other.pkl"))
            parts = []
            for key in ("posts", "cluster_ids", "network_ids", "campaigns", "networks"):
                a, b = mine[key], other[key]
                differ = len(a) != len(b) or sum(x != y for x, y in zip(a, b, strict=True))
                same = same and not differ
                parts.append(f"{key} {len(a):,}" + (f" ({differ} DIFFER)" if differ else ""))
            print(f"{name}: " + ", ".join(parts), flush=True)
    print("RESULT: identical" if same else "RESULT: DIFFERENT")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
