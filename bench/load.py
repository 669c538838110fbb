"""Load test: 50 signed-in users with think time against the real server, one import running.

    PYTHONPATH=src .venv/bin/python bench/load.py                 # PostgreSQL, 50 users, 10 min
    PYTHONPATH=src .venv/bin/python bench/load.py --minutes 2     # a short run
    PYTHONPATH=src .venv/bin/python bench/load.py --database sqlite

What it does (see bench/README.md):

1. A throwaway PostgreSQL cluster (as bench/cases.py: initdb in a temp dir, free port), or
   a SQLite file with ``--database sqlite``; migrate; the synthetic demo data
   (``load_demo``: agencies, users, ``--cases`` cases with persons, referrals, screenings,
   an online alert queue); then ``--users`` load users (front-line, case managers,
   coordinators spread over the demo agencies), each with a confirmed TOTP device.
2. ``opennrm serve`` (gunicorn, ``--workers`` x ``--threads``) on a free port.
3. Every virtual user signs in through the real pages (password, then the TOTP code),
   then loops until the time is up: a request chosen by weight, then a think time
   (exponential, mean ``--think`` seconds). The mix: case list and search, case page,
   person page, a screening started and its first questions shown, the online alert
   queue, the dashboard. Meanwhile one import runs the whole time: ``opennrm online
   import`` of a ``--import-posts``-post JSONL file, again and again, as a separate process.
4. Report: per request type and overall, the count, errors (any status >= 400 or a
   transport error) and p50/p95/p99 in ms; the import runs and their durations; the load
   average of this machine (1-minute, sampled every 5 s: start, max, end).
   ``--json OUT`` writes every figure.

Exit status 1 when there was any error or the overall p95 is above ``--p95-target`` ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import Cluster, log, pct, serve, setup_django

_REF = re.compile(r"/cases/(C-[2-9A-HJ-NP-Z]{8})/")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SET = re.compile(r'<option value="(adult_[a-z_]+)"')
#: request type -> weight in the mix
MIX = {
    "case_list": 3,
    "case_search": 2,
    "case_page": 4,
    "person": 2,
    "screening": 1,
    "online_queue": 2,
    "dashboard": 1,
}
_LOAD_PASSWORD = "load-test-password-2026"  # noqa: S105 - throwaway synthetic users


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if error:
                self.errors[kind] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{kind}: {error}")


@dataclass
class LoadUser:
    username: str
    key: bytes
    step: int
    t0: int
    digits: int


# --- set-up -------------------------------------------------------------------------------


def prepare(cases: int, users: int, seed: int) -> list[LoadUser]:
    """Migrate, load the demo data and make the load users (in this process, via services)."""
    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from opennrm.accounts.models import Agency
    from opennrm.accounts.roles import Role
    from opennrm.accounts.services import user_create
    from opennrm.demo import load_demo

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    load_demo(cases=cases, seed=seed)
    log(f"demo data: {cases} cases in {time.monotonic() - started:.0f} s")
    agencies = list(Agency.objects.filter(is_synthetic=True).order_by("pk"))
    roles = [Role.FRONTLINE, Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR]
    made: list[LoadUser] = []
    for n in range(users):
        user = user_create(
            actor=None,
            username=f"load{n:03d}",
            password=_LOAD_PASSWORD,
            agency=agencies[n % min(len(agencies), 7)],
            role=roles[n % len(roles)],
            check_password_strength=False,
        )
        device = TOTPDevice.objects.create(user=user, name="load", confirmed=True)
        made.append(LoadUser(user.username, device.bin_key, device.step, device.t0, device.digits))
    return made


def import_file(path: Path, posts: int, seed: int) -> None:
    rng = random.Random(seed)
    words = ["робота", "Польща", "виплати", "житло", "job", "Germany", "visa", "salary", "прямо"]
    with path.open("w", encoding="utf-8") as out:
        for n in range(posts):
            text = " ".join(rng.choice(words) for _ in range(12)) + f" +48 500 {n % 1000:03d} 111"
            out.write(json.dumps({"id": n, "text": text, "channel": f"load-{n % 7}"}) + "\n")


def importer(env: dict[str, str], path: Path, username: str, stop: threading.Event) -> list[dict]:
    """Run `opennrm online import` again and again until told to stop (one at a time)."""
    runs: list[dict] = []
    child_env = {**os.environ, **env}
    while not stop.is_set():
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [
                sys.executable,
                "-c",
                "from opennrm.cli import main; main()",
                "online",
                "import",
                str(path),
                "--user",
                username,
            ],
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
        runs.append(
            {
                "seconds": round(time.monotonic() - started, 1),
                "ok": done.returncode == 0,
                "tail": "" if done.returncode == 0 else (done.stderr or done.stdout)[-300:],
            }
        )
    return runs


# --- virtual users ------------------------------------------------------------------------


def _code(user: LoadUser) -> str:
    from django_otp.oath import totp

    return f"{totp(user.key, user.step, user.t0, user.digits):0{user.digits}d}"


def sign_in(client: Any, user: LoadUser) -> None:
    page = client.get("/login/")
    token = _CSRF.search(page.text)
    answer = client.post(
        "/login/",
        data={
            "username": user.username,
            "password": _LOAD_PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
    )
    token = _CSRF.search(answer.text)
    answer = client.post(
        "/2fa/",
        data={"token": _code(user), "csrfmiddlewaretoken": token.group(1) if token else ""},
    )
    if "/2fa/" in str(answer.url) or answer.status_code >= 400:
        raise RuntimeError(f"{user.username} could not sign in ({answer.status_code})")


def virtual_user(
    base: str,
    user: LoadUser,
    results: Results,
    until: list[float],
    think: float,
    seed: int,
    ready: threading.Barrier,
    idle_close: float,
) -> None:
    import httpx

    # Like a browser or a reverse proxy, close an idle connection before the server does:
    # reusing one the server is just closing fails in transit (a ReadError that is no
    # server fault; measured with gunicorn's 2 s default: 1 in 300 requests after ~2 s idle).
    limits = httpx.Limits(keepalive_expiry=max(idle_close, 0.5))
    rng = random.Random(seed)
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    with httpx.Client(
        base_url=base, follow_redirects=True, timeout=60, trust_env=False, limits=limits
    ) as client:
        try:
            sign_in(client, user)
        except (RuntimeError, httpx.HTTPError) as exc:
            results.add("sign_in", 0, str(exc))
            ready.wait()
            return
        refs = sorted(set(_REF.findall(client.get("/cases/").text)))
        if not refs:  # an agency without cases: the mix without case and person pages
            kinds = [k for k in kinds if k not in ("case_page", "person")]
            weights = [MIX[k] for k in kinds]
        ready.wait()
        time.sleep(rng.uniform(0, think))  # do not all start at once
        while time.monotonic() < until[0]:  # set once everyone is signed in
            kind = rng.choices(kinds, weights)[0]
            started = time.monotonic()
            error = None
            try:
                status = _request(client, kind, rng, refs)
                if status >= 400:
                    error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            results.add(kind, time.monotonic() - started, error)
            time.sleep(min(rng.expovariate(1 / think), think * 5))


def _request(client: Any, kind: str, rng: random.Random, refs: list[str]) -> int:
    if kind == "case_list":
        return int(client.get("/cases/", params={"page": rng.randint(1, 3)}).status_code)
    if kind == "case_search":
        params = rng.choice(
            [
                {"state": "referred"},
                {"overdue": "on"},
                {"region": "Kyiv"},
                {"q": rng.choice(refs)[:5] if refs else "C-"},
                {"child": "on", "state": "presumed_victim"},
            ]
        )
        return int(client.get("/cases/", params=params).status_code)
    if kind == "case_page":
        return int(client.get(f"/cases/{rng.choice(refs)}/").status_code)
    if kind == "person":
        return int(client.get(f"/cases/{rng.choice(refs)}/person/").status_code)
    if kind == "online_queue":
        return int(client.get("/online/").status_code)
    if kind == "dashboard":
        return int(client.get("/").status_code)
    # screening: the start page, start one, its first questions
    page = client.get("/screenings/new/")
    token, set_id = _CSRF.search(page.text), _SET.search(page.text)
    if page.status_code >= 400 or not token or not set_id:
        return int(page.status_code) if page.status_code >= 400 else 599
    answer = client.post(
        "/screenings/new/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "set_id": set_id.group(1),
            "age": str(rng.randint(18, 60)),
            "interviewee_language": rng.choice(["uk", "ru", "en"]),
        },
    )
    return int(answer.status_code)


# --- the run ------------------------------------------------------------------------------


def loadavg_sampler(stop: threading.Event, samples: list[float]) -> None:
    while not stop.is_set():
        samples.append(os.getloadavg()[0])
        stop.wait(5)


def summary(results: Results) -> dict[str, Any]:
    out: dict[str, Any] = {}
    every: list[float] = []
    for kind in [*MIX, "sign_in"]:
        values = results.times.get(kind, [])
        if not values:
            continue
        every += values
        out[kind] = _figures(values, results.errors.get(kind, 0))
    out["overall"] = _figures(every, sum(results.errors.values()))
    return out


def _figures(values: list[float], errors: int) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "requests": len(values),
        "errors": errors,
        "p50_ms": round(pct(ordered, 50), 1),
        "p95_ms": round(pct(ordered, 95), 1),
        "p99_ms": round(pct(ordered, 99), 1),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="measured time (default 10)")
    parser.add_argument("--users", type=int, default=50, help="virtual users (default 50)")
    parser.add_argument("--think", type=float, default=3.0, help="mean think time, s")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--cases", type=int, default=500, help="demo cases (default 500)")
    parser.add_argument("--import-posts", type=int, default=2000, help="posts per import file")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--keepalive",
        type=int,
        default=5,
        help="server idle-connection timeout, s (default 5); each user closes idle ones 1 s sooner",
    )
    parser.add_argument("--p95-target", type=float, default=300.0, help="ms (default 300)")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="opennrm-load-"))
    cluster = None
    try:
        if args.database == "postgresql":
            cluster = Cluster(tmp)
            cluster.start()
            url = cluster.url
        else:
            url = f"sqlite:///{tmp / 'load.sqlite3'}"
        env = setup_django(url, tmp / "data")
        users = prepare(args.cases, args.users, args.seed)
        return run(args, env, users, tmp)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, env: dict[str, str], users: list[LoadUser], tmp: Path) -> int:
    from django.db import connections

    connections.close_all()
    posts = tmp / "import.jsonl"
    import_file(posts, args.import_posts, args.seed)
    results = Results()
    load: list[float] = []
    with serve(env, args.threads, args.workers, tmp / "server.log", args.keepalive) as base:
        log(
            f"server {base} ({args.workers} workers x {args.threads} threads, {args.database}); "
            f"{len(users)} users signing in"
        )
        stop = threading.Event()
        ready = threading.Barrier(len(users) + 1)
        until_holder: list[float] = [time.monotonic() + 3600]  # replaced after sign-in
        threads: list[threading.Thread] = []
        for n, user in enumerate(users):

            def target(u: LoadUser = user, s: int = args.seed + n) -> None:
                virtual_user(
                    base, u, results, until_holder, args.think, s, ready, args.keepalive - 1
                )

            threads.append(threading.Thread(target=target, daemon=True))
        # everyone signs in first (not measured in the mix), then the clock starts
        for thread in threads:
            thread.start()
        ready.wait()
        until_holder[0] = time.monotonic() + args.minutes * 60
        log(f"measuring for {args.minutes:g} min, one import running beside")
        sampler = threading.Thread(target=loadavg_sampler, args=(stop, load), daemon=True)
        sampler.start()
        runs: list[dict] = []
        import_thread = threading.Thread(
            target=lambda: runs.extend(importer(env, posts, "coordinator", stop)), daemon=True
        )
        import_thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        import_thread.join()
    server_log = (tmp / "server.log").read_text(errors="replace").splitlines()
    figures = summary(results)
    report = {
        "database": args.database,
        "users": len(users),
        "minutes": args.minutes,
        "think_s": args.think,
        "workers": args.workers,
        "threads": args.threads,
        "cases": args.cases,
        "cpus": os.cpu_count(),
        "loadavg_1min": {
            "start": load[0] if load else None,
            "max": max(load) if load else None,
            "end": load[-1] if load else None,
        },
        "requests": figures,
        "imports": {
            "runs": len(runs),
            "failed": sum(1 for r in runs if not r["ok"]),
            "seconds": [r["seconds"] for r in runs],
            "failures": [r["tail"] for r in runs if not r["ok"]][:3],
        },
        "error_samples": results.error_samples,
        # what the server said about its workers (a timed-out worker drops its connections)
        "server_log": [
            line for line in server_log if re.search(r"WORKER TIMEOUT|Traceback|Error|exited", line)
        ][:20],
    }
    print_report(report, args.p95_target)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    overall = figures["overall"]
    failed = overall["errors"] or report["imports"]["failed"] or overall["p95_ms"] > args.p95_target
    return 1 if failed else 0


def print_report(report: dict[str, Any], target: float) -> None:
    log("")
    log(f"{'request':<14}{'count':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, f in report["requests"].items():
        log(
            f"{kind:<14}{f['requests']:>8}{f['errors']:>8}{f['p50_ms']:>10}"
            f"{f['p95_ms']:>10}{f['p99_ms']:>10}"
        )
    imports = report["imports"]
    log(
        f"imports: {imports['runs']} runs, {imports['failed']} failed, seconds {imports['seconds']}"
    )
    for failure in imports["failures"]:
        log(f"  import failure: {failure}")
    for sample in report["error_samples"][:10]:
        log(f"  error: {sample}")
    for line in report["server_log"][:10]:
        log(f"  server: {line}")
    la = report["loadavg_1min"]
    log(
        f"load average (1 min) on {report['cpus']} CPUs: start {la['start']}, max {la['max']}, "
        f"end {la['end']}"
    )
    overall = report["requests"]["overall"]
    verdict = "MET" if not overall["errors"] and overall["p95_ms"] <= target else "NOT MET"
    log(f"target (0 errors, p95 <= {target:g} ms): {verdict}")


if __name__ == "__main__":
    sys.exit(main())
