"""Imports that never take the system down: memory of the worker and lock-outs of others.

    PYTHONPATH=src .venv/bin/python bench/imports.py                 # 200,000 posts, ~50 MB
    PYTHONPATH=src .venv/bin/python bench/imports.py --posts 20000   # a quick look

On a throwaway SQLite database (WAL, busy timeout, as shipped) it:

1. generates a JSON Lines file of synthetic posts (uk/ru/pl/en recruitment ads and
   ordinary posts, with phone numbers and handles; one hostile line every 10,000);
2. baseline: the old all-in-memory path (read the whole file into a list, run the pipeline
   over all of it) in its own process, and its peak RSS;
3. queues the file as the web upload does and runs ``opennrm worker --batch`` as a real
   process, measuring its peak RSS, while ``--writers`` threads do small writes through
   the services (``case_create``: a case plus its audit entry) with a think time, until the
   import has finished; counts "database is locked" errors and any other error, and
   reports the write latency (p50/p95/p99/max).
4. ``--stuck SECONDS``: a transaction held open (a stuck request, a process stopped with
   SIGSTOP): ``--stuck-after`` seconds into the import, this script takes the SQLite write
   queue's lock (the ``flock`` on ``<database>-writers.lock``) and keeps it that long. Every
   writer then waits for it: for at most ``OPENNRM_SQLITE_WRITE_WAIT`` seconds (then
   "database is locked"), or, without that limit, as long as the lock is held. Reports how
   many writes failed and how long the longest write, failed or not, took.

Prints the figures (and ``--json OUT`` writes them). Leaves nothing behind unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPENNRM = [sys.executable, "-c", "from opennrm.cli import main; main()"]

_ADS = [
    "Робота в Польщі на складі, {n} злотих на місяць, житло безкоштовно, пиши {h} або {p}",
    "Требуются девушки 18-25 для работы за границей, {n}$ в месяц, опыт не нужен, WhatsApp {p}",
    "Praca w Niemczech, mieszkanie i transport zapewnione, {n} euro, tel {p}",
    "Hiring drivers abroad, salary {n} EUR, visa and flat provided, contact {h}",
    "Продам велосипед, майже новий, Київ, {n} грн, дзвоніть {p}",
    "Кто знает хорошего стоматолога в Варшаве? Посоветуйте, пожалуйста, {n}",
    "Шукаю кімнату в Кракові з {n} числа, недорого",
]


def generate(path: Path, posts: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(posts):
            if i % 10_000 == 9_999:
                out.write("[" * 50_000 + "]" * 50_000 + "\n")  # hostile: nested too deeply
                continue
            text = rng.choice(_ADS).format(
                n=rng.randint(500, 5000),
                p=f"+48 5{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
                h=f"@job_{rng.randint(1, 5000)}",
            )
            text += f" #{i} " + " ".join(
                rng.choice(("терміново", "срочно", "today", "dziś", ""))
                for _ in range(rng.randint(0, 4))
            )
            rec = {
                "text": text,
                "channel": f"channel-{rng.randint(1, 200)}",
                "author": f"user{rng.randint(1, 20000)}",
                "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00+02:00",
                "url": f"https://t.me/channel/{i}",
            }
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "opennrm.settings"
    import django

    django.setup()


def measured(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """Run ``cmd`` in a fresh child (through this script) and return (peak RSS KiB,
    seconds, CPU seconds: user and system, less sensitive than seconds to a busy machine)."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "_rss", *cmd], env=env, cwd=ROOT, check=True,
        stdout=subprocess.PIPE, text=True,  # the child's errors go to this terminal
    )  # fmt: skip
    rss, seconds, cpu = out.stdout.strip().splitlines()[-1].split()
    return int(rss), float(seconds), float(cpu)


def _rss(cmd: list[str]) -> None:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    took = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(usage.ru_maxrss, f"{took:.1f}", f"{usage.ru_utime + usage.ru_stime:.1f}")


def _baseline(path: str) -> None:
    """The old path: every post in a list, the whole pipeline at once (no database)."""
    from opennrm.monitoring import IngestReport, PipelineConfig, iter_posts, run_pipeline

    posts = list(iter_posts(path, report=IngestReport()))
    result = run_pipeline(posts, model=None, config=PipelineConfig())
    print(len(result.posts))


def _setup(path: str) -> None:
    """Two agencies with a monitoring user each; the file queued as an upload would be."""
    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.online.services import import_enqueue

    agency = Agency.objects.create(name="Bench police", type=AgencyType.POLICE, country="UA")
    importer = User.objects.create_user(username="importer", agency=agency, role=Role.FRONTLINE)
    User.objects.create_user(username="caseworker", agency=agency, role=Role.CASE_MANAGER)

    def chunks():
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk

    run = import_enqueue(actor=importer, chunks=chunks(), source_name=Path(path).name)
    print(run.pk)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--writers", type=int, default=30, help="concurrent writing threads")
    parser.add_argument(
        "--think", type=float, default=0.2, help="mean think time (s) between writes"
    )
    parser.add_argument("--batch-posts", type=int, default=1000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-only", action="store_true", help="only the old path's figures")
    parser.add_argument(
        "--control",
        type=int,
        default=0,
        help="seconds of the same writers without an import, first",
    )
    parser.add_argument(
        "--stuck", type=float, default=0, help="seconds a stuck transaction holds the lock"
    )
    parser.add_argument("--stuck-after", type=float, default=5, help="seconds into the import")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="opennrm-bench-imports-"))
    env = {
        **os.environ,
        "OPENNRM_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "OPENNRM_DATA_DIR": str(tmp / "data"),
        "OPENNRM_IMPORT_BATCH_POSTS": str(args.batch_posts),
        "OPENNRM_MAX_UPLOAD_BYTES": str(10**9),  # the file may pass the web's 50 MB default
        "PYTHONPATH": str(ROOT / "src"),
    }
    figures: dict[str, object] = {
        "posts": args.posts,
        "writers": args.writers,
        "batch_posts": args.batch_posts,
    }
    try:
        data = tmp / "posts.jsonl"
        generate(data, args.posts, args.seed)
        size_mb = data.stat().st_size / 1e6
        figures["file_mb"] = round(size_mb, 1)
        print(f"file: {args.posts} posts, {size_mb:.1f} MB")
        migrate = [*OPENNRM, "migrate"]
        if not args.baseline_only:
            subprocess.run(migrate, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        if not args.no_baseline:
            rss, took, _cpu = measured([sys.executable, __file__, "_baseline", str(data)], env)
            figures["baseline_rss_mb"] = round(rss / 1024)
            figures["baseline_seconds"] = took
            print(
                f"baseline (old all-in-memory path, no database writes): peak RSS {rss / 1024:.0f} MB, {took:.0f} s"
            )
        if args.baseline_only:
            if args.json_out:
                Path(args.json_out).write_text(json.dumps(figures, indent=2) + "\n")
            return
        out = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "_setup", str(data)], env=env, cwd=ROOT, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        run_id = int(out.stdout.strip().splitlines()[-1])

        _django(env)
        from django.db import OperationalError, connection

        from opennrm.accounts.models import User
        from opennrm.cases.services import case_create
        from opennrm.online.models import ImportRun

        caseworker = User.objects.get(username="caseworker")
        connection.close()
        done = threading.Event()
        lock = threading.Lock()
        latencies: list[float] = []
        failed: list[float] = []  # how long each failed write took before it failed
        errors = {"locked": 0, "other": 0}

        def writer(seed: int) -> None:
            from django.db import connections

            rng = random.Random(seed)
            try:
                while not done.is_set():
                    time.sleep(rng.expovariate(1 / args.think))
                    start = time.perf_counter()
                    try:
                        case_create(actor=caseworker, summary="Bench: synthetic lead")
                    except OperationalError as exc:
                        with lock:
                            errors["locked" if "locked" in str(exc) else "other"] += 1
                            failed.append(time.perf_counter() - start)
                        continue
                    except Exception:
                        with lock:
                            errors["other"] += 1
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - start)
            finally:
                connections.close_all()

        if args.control:
            # the same writers with no import running: what the machine and SQLite give
            threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.writers)]
            for t in threads:
                t.start()
            time.sleep(args.control)
            done.set()
            for t in threads:
                t.join()
            figures.update(
                control_seconds=args.control,
                control_writes=len(latencies),
                control_locked_errors=errors["locked"],
                control_other_errors=errors["other"],
                control_p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
                control_p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
                control_p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
                control_max_ms=round(max(latencies, default=float("nan")) * 1000, 1),
            )
            print(
                f"control, {args.writers} writers for {args.control} s without an import: "
                f"{len(latencies)} writes, {errors['locked']} 'database is locked', "
                f"{errors['other']} other errors; latency p50 {figures['control_p50_ms']} ms, "
                f"p95 {figures['control_p95_ms']} ms, p99 {figures['control_p99_ms']} ms, "
                f"max {figures['control_max_ms']} ms"
            )
            done.clear()
            latencies.clear()
            failed.clear()
            errors.update(locked=0, other=0)
        threads = [threading.Thread(target=writer, args=(i + 1000,)) for i in range(args.writers)]
        for t in threads:
            t.start()
        result: dict[str, object] = {}

        def work() -> None:
            try:
                rss, took, cpu = measured([*OPENNRM, "worker", "--batch", "--interval", "0.2"], env)
                result.update(rss=rss, took=took, cpu=cpu)
            finally:
                done.set()  # the writers stop even when the worker failed

        worker = threading.Thread(target=work)
        worker.start()
        if args.stuck:
            import fcntl

            stuck = os.open(f"{tmp / 'bench.sqlite3'}-writers.lock", os.O_RDWR | os.O_CREAT)
            time.sleep(args.stuck_after)
            fcntl.flock(stuck, fcntl.LOCK_EX)  # waits its turn, then holds it
            print(f"stuck transaction: holding the write lock for {args.stuck:g} s")
            time.sleep(args.stuck)
            fcntl.flock(stuck, fcntl.LOCK_UN)
            os.close(stuck)
        worker.join()
        for t in threads:
            t.join()
        from django.db import connections

        if not result:
            raise SystemExit("the worker failed (its error is above)")
        run = ImportRun.objects.get(pk=run_id)
        connections.close_all()
        figures.update(
            worker_rss_mb=round(int(result["rss"]) / 1024),
            import_seconds=result["took"],
            import_cpu_seconds=result["cpu"],
            import_state=run.state,
            stored=run.stored,
            skipped=run.skipped,
            read=run.read,
            writes=len(latencies),
            locked_errors=errors["locked"],
            other_errors=errors["other"],
            write_p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
            write_p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
            write_p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
            write_max_ms=round(max(latencies, default=float("nan")) * 1000, 1),
            write_mean_ms=round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
            failed_max_ms=round(max(failed, default=float("nan")) * 1000, 1),
            stuck_seconds=args.stuck,
            write_wait_limit=os.environ.get("OPENNRM_SQLITE_WRITE_WAIT", "default"),
        )
        figures["worker_rss_over_file"] = round(figures["worker_rss_mb"] / size_mb, 2)  # type: ignore[operator]
        print(
            f"worker (batches of {args.batch_posts}): peak RSS {figures['worker_rss_mb']} MB "
            f"({figures['worker_rss_over_file']} x the file size), "
            f"{result['took']:.0f} s ({result['cpu']:.1f} CPU-s); run {run.state}: read {run.read}, stored {run.stored}, "
            f"skipped {run.skipped}"
        )
        print(
            f"{args.writers} concurrent writers (case_create + audit) during the import: "
            f"{len(latencies)} writes, {errors['locked']} 'database is locked', "
            f"{errors['other']} other errors; latency p50 {figures['write_p50_ms']} ms, "
            f"p95 {figures['write_p95_ms']} ms, p99 {figures['write_p99_ms']} ms, "
            f"max {figures['write_max_ms']} ms"
            + (f"; the longest failed write took {figures['failed_max_ms']} ms" if failed else "")
        )
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_rss":
        _rss(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_baseline":
        _baseline(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "_setup":
        _django({})
        _setup(sys.argv[2])
    else:
        main()
