"""End-to-end pipeline throughput of this checkout against another one, in the same run.

    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/monitoring_throughput.py \
        --other /work/main/src [--n 20000] [--rounds 2] [--distinct] [--json OUT]

The telegram-spam-ru messages are replicated to ``--n`` exactly as ``bench/monitoring.py``
replicates them (perturbed copies: 19,758 distinct texts in 20,000), or with
``--distinct`` the first ``--n`` distinct original messages are used as they are (no
copies, so no cache keyed on the text could help); a model is trained once on the original messages (this checkout's code)
and saved; then each round runs ``run_pipeline`` (normalise → extract → language → score
→ MinHash → campaigns → networks) in a fresh single-threaded child process, first with
this checkout's ``src`` and then with ``--other``'s, alternating, and reports CPU
seconds (``time.process_time`` of the child: robust to the other processes on a shared
machine), messages per CPU-second, wall seconds, and the load average before each run.
Before the timed run each child warms up (lingua, 200 messages, and one message with
phones, an e-mail and URLs, so that the one-time loading of the phone metadata and the
public-suffix list, about 0.2–0.3 CPU-s, is not counted as throughput).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring import DEFAULT_DATA, load, replicate  # noqa: E402

WARM_CONTACTS = (
    "Работа в Польше, звоните +48 512 345 678 или +380 67 123 4567, пишите job@example.com, "
    "сайт https://www.example.com.ua/vacancy и t.me/example_jobs"
)

CHILD = """
import gc, json, sys, time
from opennrm.monitoring._model import load_model
from opennrm.monitoring._post import Post
from opennrm.monitoring.language import detect_language
from opennrm.monitoring.pipeline import PipelineConfig, run_pipeline
WARM_CONTACTS = @WARM@
texts = json.load(open(sys.argv[1], encoding="utf-8"))
model = load_model(sys.argv[2])
detect_language("прогрев детектора языка")
run_pipeline([Post.create("bench", t) for t in texts[:200]], model=model)
# one-time loads the first 200 messages may not reach: phone metadata, public suffixes
run_pipeline([Post.create("bench", WARM_CONTACTS)], model=model)
posts = [Post.create("bench", t, record=f"bench:{i}") for i, t in enumerate(texts)]
gc.collect()
c0, t0 = time.process_time(), time.perf_counter()
result = run_pipeline(posts, model=model, config=PipelineConfig())
cpu, wall = time.process_time() - c0, time.perf_counter() - t0
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "campaigns": len(result.campaigns),
                  "posts_in_campaigns": sum(g.size for g in result.campaigns)}))
"""


def run_child(src: Path, texts_path: str, model_dir: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    load1 = os.getloadavg()[0]
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD.replace("@WARM@", repr(WARM_CONTACTS)), texts_path, model_dir],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["load_average_before"] = load1
    return result


def reference_workload() -> float:
    """CPU seconds of a fixed pure-Python workload (integer sums, a regex, dictionary and
    string work, as the pipeline does): how fast this core is. Messages per CPU-second
    scale with it, so figures of two machines compare only beside this one."""
    import re

    words = re.compile(r"\w+")
    text = "Работа в Польше, звоните +48 512 345 678, зарплата от 5000 злотых в месяц " * 4
    start = time.process_time()
    for _ in range(3):
        sum(range(1_000_000))
        counts: dict[str, int] = {}
        for _ in range(2_000):
            for w in words.findall(text.casefold()):
                counts[w] = counts.get(w, 0) + 1
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="the other checkout's src")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="the first --n distinct original messages, no replicated copies (at most 13,201)",
    )
    args = parser.parse_args()
    texts, labels = load(DEFAULT_DATA)
    if args.distinct:
        replicated = list(dict.fromkeys(texts))[: args.n]
        args.n = len(replicated)
    else:
        replicated, _ = replicate(texts, args.n)
    print(f"{args.n} messages, {len(set(replicated))} distinct texts", flush=True)
    reference = [reference_workload() for _ in range(3)]
    print(f"reference workload (this core's speed): {min(reference):.2f} CPU-s", flush=True)
    from opennrm.monitoring._model import ModelConfig, save_model
    from opennrm.monitoring.scoring import train_risk_model

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = str(Path(tmp) / "model")
        save_model(train_risk_model(texts, labels, config=ModelConfig()).model, model_dir)
        texts_path = str(Path(tmp) / "texts.json")
        Path(texts_path).write_text(json.dumps(replicated, ensure_ascii=False), encoding="utf-8")
        runs: list[dict[str, Any]] = []
        for rnd in range(args.rounds):
            for name, src in (("this", ROOT / "src"), ("other", args.other)):
                r = run_child(src, texts_path, model_dir)
                r.update(code=name, round=rnd, msg_per_cpu_s=args.n / r["cpu_s"])
                runs.append(r)
                print(
                    f"round {rnd} {name:5s}: {r['msg_per_cpu_s']:7,.0f} messages/CPU-s "
                    f"({r['cpu_s']:.2f} CPU-s, {r['wall_s']:.2f} s wall, load "
                    f"{r['load_average_before']:.1f}); {r['posts_in_campaigns']} posts in "
                    f"{r['campaigns']} campaigns",
                    flush=True,
                )
    for name in ("this", "other"):
        best = max(r["msg_per_cpu_s"] for r in runs if r["code"] == name)
        print(f"best {name}: {best:,.0f} messages/CPU-s")
    if args.json:
        out = {"reference_workload_cpu_s": min(reference), "runs": runs}
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
