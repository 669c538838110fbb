"""Case-search benchmark: GET /api/cases over real HTTP against PostgreSQL.

Fills PostgreSQL with N synthetic cases (COPY, not services), serves the real
application with gunicorn (``opennrm serve`` in a subprocess: its own processes, as
in production), drives the real endpoint with 20 concurrent keep-alive
clients carrying a bearer token, and times the exact SQL that the endpoint
runs, executed with psycopg in the same run, sequentially and with the same
concurrency. Prints p50/p95 of both and the ratio API p95 / raw SQL p95.

Run from the repository root (see bench/README.md)::

    PYTHONPATH=src python bench/cases.py --cases 100000

Every row is synthetic; no real person, case or agency is represented.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_RATIO = 3.0
PAGE_SIZE = 25

# ~20 regions, with a realistic skew (the capital and big cities hold more cases).
REGIONS: list[tuple[str, int]] = [
    ("Kyiv", 14),
    ("Lviv", 9),
    ("Odesa", 9),
    ("Kharkiv", 8),
    ("Dnipro", 7),
    ("Zakarpattia", 6),
    ("Volyn", 5),
    ("Chernivtsi", 5),
    ("Zaporizhzhia", 5),
    ("Vinnytsia", 4),
    ("Ivano-Frankivsk", 4),
    ("Ternopil", 3),
    ("Rivne", 3),
    ("Khmelnytskyi", 3),
    ("Mykolaiv", 3),
    ("Poltava", 3),
    ("Cherkasy", 2),
    ("Zhytomyr", 2),
    ("Sumy", 2),
    ("Chernihiv", 2),
]

# Final state of a case and its weight, roughly where NRM cases sit at any time
# (the same shape as the demo data's paths).
STATE_WEIGHTS: dict[str, int] = {
    "flagged": 20,
    "screened": 20,
    "referred": 35,
    "presumed_victim": 15,
    "recovery_reflection": 35,
    "identified": 15,
    "not_identified": 11,
    "assistance": 30,
    "closed": 12,
    "lost_contact": 4,
    "withdrawn": 3,
}

# name, agency type, region (all in UA; no Jurisdiction row: the configured defaults apply)
AGENCIES: list[tuple[str, str, str]] = [
    ("National Anti-Trafficking Coordination Office (BENCH)", "social_protection", "Kyiv"),
    ("Kyiv Police Department (BENCH)", "police", "Kyiv"),
    ("Lviv Anti-Trafficking Police Unit (BENCH)", "athb_police", "Lviv"),
    ("State Border Guard, Western Region (BENCH)", "border_guard", "Volyn"),
    ("Labour Inspectorate, Odesa (BENCH)", "labour_inspectorate", "Odesa"),
    ("Migration Service, Chernivtsi (BENCH)", "migration", "Chernivtsi"),
    ("Safe Harbour NGO (BENCH)", "ngo", "Lviv"),
    ("Regional Prosecutor's Office (BENCH)", "prosecutor", "Dnipro"),
]
BENCH_AGENCY = 0  # the benchmark user's agency

OWN_SHARE = 0.05  # cases owned by the benchmark user's agency
GRANT_AGENCY_SHARE = 0.015  # other agencies' cases granted to the user's agency
GRANT_USER_SHARE = 0.005  # ... granted to the user personally
DEAD_GRANT_SHARE = 0.01  # revoked or expired grants to the user's agency (must not count)
OTHER_GRANT_SHARE = 0.03  # grants between other agencies (noise for the grant indexes)

REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as cases.services._REF_ALPHABET


def log(msg: str = "") -> None:
    print(msg, flush=True)


# --- throwaway PostgreSQL ----------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin_dir() -> Path:
    explicit = os.environ.get("PG_BIN")
    if explicit:
        return Path(explicit)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if not candidates:
        raise SystemExit("PostgreSQL not found: install it, set PG_BIN, or pass --database-url")
    return candidates[0].parent


class Cluster:
    """initdb in a temp dir, a free port on 127.0.0.1, the socket in the temp dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.bin = pg_bin_dir()
        self.started = False
        # PostgreSQL refuses to run as root: run it as the postgres user then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        # A new session: Ctrl+C reaches only this script, which then stops the cluster itself.
        done = subprocess.run(  # noqa: S603 - fixed program paths, no shell
            [*self.prefix, *args],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        if done.returncode:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({done.returncode}): "
                + done.stderr.decode(errors="replace").strip()
            )

    def start(self) -> None:
        if self.prefix:
            shutil.chown(self.root, user="postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
        )
        opts = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.root}",
                "-c listen_addresses=127.0.0.1",
                # throwaway data: no fsync makes the fill fast and does not touch reads.
                # synchronous_commit stays on: with it off, hint bits wait for the WAL
                # flush and the VACUUM after the fill could not mark pages all-visible
                # (no index-only scans).
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c max_wal_size=4GB",
                "-c shared_buffers=256MB",
                "-c max_connections=100",
            ]
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "postgres.log"),
            "-w",
            "start",
        )
        self.started = True
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE opennrm_bench")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/opennrm_bench"

    def stop(self) -> None:
        if self.started:
            try:
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"
                )
            except RuntimeError as exc:
                log(f"warning: {exc}")
            self.started = False


# --- Django -------------------------------------------------------------------


def setup_django(database_url: str, data_dir: Path) -> dict[str, str]:
    """Set a safe local environment, then django.setup(). Returns the env for the server."""
    env = {
        "DJANGO_SETTINGS_MODULE": "opennrm.settings",
        "OPENNRM_DATABASE_URL": database_url,
        "OPENNRM_SECURE_COOKIES": "0",
        "OPENNRM_SSL_REDIRECT": "0",
        "OPENNRM_HSTS_SECONDS": "0",
        "OPENNRM_DATA_DIR": str(data_dir),
        "OPENNRM_ALLOWED_HOSTS": "127.0.0.1",
        "OPENNRM_DEBUG": "0",
        # one key for both processes (no session is used, but keep them consistent)
        "OPENNRM_SECRET_KEY": secrets.token_urlsafe(50),
    }
    os.environ.update(env)
    import django

    django.setup()
    return env


def conninfo() -> str:
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    s = connection.settings_dict
    parts = {
        "dbname": s["NAME"],
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or None,
        "port": str(s["PORT"]) if s.get("PORT") else None,
    }
    return make_conninfo(**{k: v for k, v in parts.items() if v})


@dataclass
class Fixtures:
    agency_ids: list[int]
    creator_ids: list[int]  # one front-line user per agency, same order
    user: Any  # the benchmark case manager
    token: str


def make_fixtures() -> Fixtures:
    """Agencies, users and the API token, through the services (audited like real ones)."""
    from opennrm.accounts.models import Agency
    from opennrm.accounts.services import agency_create, api_token_create, user_create

    if Agency.objects.filter(name=AGENCIES[0][0]).exists():
        raise SystemExit(
            "This database already holds benchmark data: give a fresh, empty database."
        )
    password = secrets.token_urlsafe(24)
    agencies = [
        agency_create(actor=None, name=name, type=kind, country="UA", region=region)
        for name, kind, region in AGENCIES
    ]
    creators = [
        user_create(
            actor=None,
            username=f"bench-frontline-{i}",
            password=password,
            agency=agency,
            role="frontline",
            check_password_strength=False,
        )
        for i, agency in enumerate(agencies)
    ]
    user = user_create(
        actor=None,
        username="bench-casemanager",
        password=password,
        agency=agencies[BENCH_AGENCY],
        role="case_manager",
        check_password_strength=False,
    )
    _token, raw = api_token_create(actor=user, user=user, name="case-search benchmark")
    return Fixtures(
        agency_ids=[a.pk for a in agencies],
        creator_ids=[u.pk for u in creators],
        user=user,
        token=raw,
    )


# --- fill -----------------------------------------------------------------------

CASE_COLUMNS = [
    "id",
    "reference",
    "owning_agency_id",
    "created_by_id",
    "state",
    "exploitation_type",
    "country",
    "region",
    "is_child",
    "forced_criminality",
    "forced_criminality_note",
    "summary",
    "screening_outcome",
    "rg_due",
    "reflection_starts",
    "reflection_ends",
    "deadline",
    "deadline_kind",
    "version",
    "created_at",
    "updated_at",
]
GRANT_COLUMNS = [
    "case_id",
    "agency_id",
    "user_id",
    "purpose",
    "note",
    "expires_at",
    "granted_by_id",
    "granted_at",
    "revoked_at",
    "revoked_by_id",
]
EXPLOITATION = [
    "labour",
    "sexual",
    "criminality",
    "begging",
    "domestic_servitude",
    "forced_marriage",
    "organ_removal",
    "other",
    "unknown",
]
SCREENED_STATES = frozenset(STATE_WEIGHTS) - {"flagged", "withdrawn"}


def unique_references(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        ref = "C-" + "".join(rng.choices(REF_ALPHABET, k=8))
        if ref not in seen:
            seen.add(ref)
            out.append(ref)
    return out


def seal(text: str, _tokens: dict[str, str] = {}) -> str:  # noqa: B006 - a cache on purpose
    """The encrypted form of a free-text column (COPY bypasses the model fields). One token
    per distinct text: a million encryptions would dominate the fill time; real writes get
    a fresh token each time."""
    if text not in _tokens:
        from opennrm.crypto.fields import data_cipher

        _tokens[text] = data_cipher().encrypt(text)
    return _tokens[text]


def case_rows(
    rng: random.Random, n: int, first_id: int, fx: Fixtures, today: date, now: datetime
) -> Iterator[tuple[Any, ...]]:
    states = list(STATE_WEIGHTS)
    state_w = list(STATE_WEIGHTS.values())
    regions = [r for r, _w in REGIONS]
    region_w = [w for _r, w in REGIONS]
    refs = unique_references(rng, n)
    # draw in bulk: much faster than one rng call per field per row
    state_of = rng.choices(states, state_w, k=n)
    region_of = rng.choices(regions, region_w, k=n)
    others = list(range(len(fx.agency_ids)))
    others.remove(BENCH_AGENCY)
    three_years = 3 * 365 * 86400
    for i in range(n):
        state = state_of[i]
        owner = BENCH_AGENCY if rng.random() < OWN_SHARE else rng.choice(others)
        kind = rng.choice(EXPLOITATION)
        forced = kind == "criminality" or rng.random() < 0.05
        rg_due = reflection_starts = reflection_ends = deadline = None
        deadline_kind = ""
        if state == "referred":
            # RG decision due; ~40% overdue
            rg_due = deadline = today + timedelta(days=rng.randint(-14, 21))
            deadline_kind = "rg_decision"
            created = datetime.combine(deadline, datetime.min.time(), tzinfo=UTC) - timedelta(
                days=rng.randint(7, 40), seconds=rng.randint(0, 86399)
            )
        elif state == "recovery_reflection":
            # 30-day period; started 0..49 days ago, so ~38% ended and are overdue
            reflection_starts = today - timedelta(days=rng.randint(0, 49))
            reflection_ends = deadline = reflection_starts + timedelta(days=30)
            deadline_kind = "reflection_ends"
            rg_due = reflection_starts - timedelta(days=rng.randint(3, 10))
            created = datetime.combine(rg_due, datetime.min.time(), tzinfo=UTC) - timedelta(
                days=rng.randint(7, 30), seconds=rng.randint(0, 86399)
            )
        else:
            created = now - timedelta(seconds=rng.randint(3600, three_years))
        created = min(created, now)
        yield (
            first_id + i,
            refs[i],
            fx.agency_ids[owner],
            fx.creator_ids[owner],
            state,
            kind,
            "UA",
            region_of[i],
            rng.random() < 0.15,
            forced,
            seal("Synthetic: made to transport goods across the border.") if forced else "",
            seal(
                f"Synthetic benchmark case: {kind} exploitation reported in "
                f"{region_of[i]}. Not a real person."
            ),
            rng.choice(("presumed_victim", "possible_victim")) if state in SCREENED_STATES else "",
            rg_due,
            reflection_starts,
            reflection_ends,
            deadline,
            deadline_kind,
            rng.randint(1, 8),
            created,
            min(created + timedelta(days=rng.randint(0, 60)), now),
        )


def grant_rows(
    rng: random.Random, n: int, first_id: int, owners: list[int], fx: Fixtures, now: datetime
) -> Iterator[tuple[Any, ...]]:
    """Active grants to the user's agency or the user, dead ones, and other agencies' grants."""
    me = fx.user.pk
    my_agency = fx.agency_ids[BENCH_AGENCY]
    others = [a for a in fx.agency_ids if a != my_agency]
    for i in range(n):
        owner_idx = owners[i]
        if owner_idx == BENCH_AGENCY:
            continue
        granted_by = fx.creator_ids[owner_idx]
        case_id = first_id + i
        granted_at = now - timedelta(days=rng.randint(1, 200))
        r = rng.random()
        if r < GRANT_AGENCY_SHARE:
            yield (case_id, my_agency, None, "case_work", "", now + timedelta(days=rng.randint(1, 300)), granted_by, granted_at, None, None)  # fmt: skip
        elif r < GRANT_AGENCY_SHARE + GRANT_USER_SHARE:
            yield (case_id, None, me, "case_work", "", now + timedelta(days=rng.randint(1, 300)), granted_by, granted_at, None, None)  # fmt: skip
        elif r < GRANT_AGENCY_SHARE + GRANT_USER_SHARE + DEAD_GRANT_SHARE:
            if rng.random() < 0.5:  # expired
                yield (case_id, my_agency, None, "legal_aid", "", now - timedelta(days=rng.randint(1, 100)), granted_by, granted_at, None, None)  # fmt: skip
            else:  # revoked
                yield (case_id, my_agency, None, "shelter", "", now + timedelta(days=30), granted_by, granted_at, now - timedelta(days=1), granted_by)  # fmt: skip
        elif r < GRANT_AGENCY_SHARE + GRANT_USER_SHARE + DEAD_GRANT_SHARE + OTHER_GRANT_SHARE:
            yield (case_id, rng.choice(others), None, "nrm_referral", "", now + timedelta(days=rng.randint(1, 300)), granted_by, granted_at, None, None)  # fmt: skip


@dataclass
class FillResult:
    cases: int
    grants: int
    visible: int
    copy_s: float
    vacuum_analyze_s: float
    total_s: float
    all_visible: float  # share of cases_case pages all-visible after VACUUM


def fill(n: int, fx: Fixtures, seed: int) -> FillResult:
    import psycopg
    from django.utils import timezone

    rng = random.Random(seed)
    today = timezone.localdate()  # the same local date the endpoint uses for "overdue"
    now = timezone.now()
    t0 = time.perf_counter()
    with psycopg.connect(conninfo(), autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = on")  # see Cluster.start
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        first_id = int(cur.fetchone()[0]) + 1  # type: ignore[index]
        owners: list[int] = []
        by_id = {a: k for k, a in enumerate(fx.agency_ids)}
        with cur.copy(f"COPY cases_case ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
            for row in case_rows(rng, n, first_id, fx, today, now):
                owners.append(by_id[row[2]])
                copy.write_row(row)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", (first_id + n - 1,)
        )
        grants = 0
        with cur.copy(f"COPY cases_casegrant ({', '.join(GRANT_COLUMNS)}) FROM STDIN") as copy:
            for grow in grant_rows(rng, n, first_id, owners, fx, now):
                copy.write_row(grow)
                grants += 1
        conn.commit()
    t1 = time.perf_counter()
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cases_case")
        conn.execute("VACUUM (ANALYZE) cases_casegrant")
        pages, all_visible = conn.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'cases_case'"
        ).fetchone()  # type: ignore[misc]
        visible = conn.execute(
            "SELECT count(*) FROM cases_case c WHERE c.owning_agency_id = %(a)s OR EXISTS ("
            " SELECT 1 FROM cases_casegrant g WHERE g.case_id = c.id"
            " AND (g.agency_id = %(a)s OR g.user_id = %(u)s)"
            " AND g.revoked_at IS NULL AND g.expires_at > now())",
            {"a": fx.agency_ids[BENCH_AGENCY], "u": fx.user.pk},
        ).fetchone()[0]  # type: ignore[index]
    t2 = time.perf_counter()
    return FillResult(
        cases=n,
        grants=grants,
        visible=int(visible),
        copy_s=t1 - t0,
        vacuum_analyze_s=t2 - t1,
        total_s=t2 - t0,
        all_visible=all_visible / max(pages, 1),
    )


# --- the workload -----------------------------------------------------------------


@dataclass(frozen=True)
class Combo:
    state: str
    region: str
    page: int

    @property
    def path(self) -> str:
        return (
            f"/api/cases?state={self.state}&region={self.region}&overdue=true"
            f"&page={self.page}&page_size={PAGE_SIZE}"
        )


def make_combos(seed: int, count: int = 60) -> list[Combo]:
    rng = random.Random(seed + 1)
    regions = [r for r, _w in REGIONS]
    return [
        Combo(
            state=rng.choice(("referred", "recovery_reflection")),
            region=rng.choice(regions),
            page=rng.choice((1, 1, 1, 2, 3)),  # most people look at the first page
        )
        for _ in range(count)
    ]


def combo_sequence(combos: list[Combo], client: int, n: int) -> list[Combo]:
    """What one client asks for: the fixed list, each client starting elsewhere."""
    return [combos[(client * 7 + k) % len(combos)] for k in range(n)]


Query = tuple[str, tuple[Any, ...]]


def compiled_sql(user: Any, combo: Combo) -> Query:
    """The search query as ``cases.api.case_list`` builds it: ``case_search`` sliced to
    one page plus one row, compiled with its parameters (not ``str(qs.query)``)."""
    from opennrm.cases import selectors

    qs = selectors.case_search(user, state=combo.state, region=combo.region, overdue=True)
    start = (combo.page - 1) * PAGE_SIZE
    qs = qs[start : start + PAGE_SIZE + 1]
    sql, params = qs.query.get_compiler("default").as_sql()
    return sql, tuple(params)


def captured_sql(token: str, combo: Combo) -> list[Query]:
    """The SQL and parameters the endpoint itself sends for this combination: the endpoint
    is called in-process and every statement reading cases is recorded as executed."""
    from django.db import connection
    from django.test import Client

    seen: list[Query] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if 'FROM "cases_case"' in sql:
            seen.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    with connection.execute_wrapper(record):
        r = client.get(combo.path)
    if r.status_code != 200:
        raise Abort(f"GET {combo.path} -> {r.status_code}\n{r.content[:2000]!r}")
    if not seen:
        raise Abort(f"GET {combo.path} ran no query on cases_case")
    return seen


def endpoint_queries(
    user: Any, token: str, combos: list[Combo]
) -> tuple[dict[Combo, list[Query]], bool]:
    """What to time for each combination: the endpoint's own statements (captured), and
    whether they are exactly the compiled ``case_search`` page query (SQL text equal)."""
    queries = {c: captured_sql(token, c) for c in combos}
    same = all(
        len(queries[c]) == 1 and queries[c][0][0] == compiled_sql(user, c)[0] for c in combos
    )
    return queries, same


# --- measurement helpers -----------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of latencies in seconds, as ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k] * 1000


@dataclass
class Stats:
    name: str
    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    errors: int = 0
    rows: int = 0

    def summary(self) -> dict[str, float | int]:
        n = len(self.latencies)
        return {
            "requests": n,
            "p50_ms": round(pct(self.latencies, 50), 3),
            "p95_ms": round(pct(self.latencies, 95), 3),
            "p99_ms": round(pct(self.latencies, 99), 3),
            "max_ms": round(max(self.latencies) * 1000, 3) if n else float("nan"),
            "mean_ms": round(sum(self.latencies) / n * 1000, 3) if n else float("nan"),
            "throughput_rps": round(n / self.wall_s, 1) if self.wall_s else float("nan"),
            "errors": self.errors,
            "avg_rows": round(self.rows / n, 1) if n else 0,
        }


class Abort(Exception):
    pass


def run_concurrently(
    workers: int, make_job: Callable[[int], Callable[[threading.Barrier], None]]
) -> float:
    """Start ``workers`` threads together; returns the wall time of the measured part."""
    barrier = threading.Barrier(workers + 1)
    errors: list[BaseException] = []

    def wrap(job: Callable[[threading.Barrier], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                job(barrier)
            except BaseException as exc:
                errors.append(exc)
                barrier.abort()

        return run

    threads = [threading.Thread(target=wrap(make_job(i)), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    with suppress(threading.BrokenBarrierError):
        barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real:
        raise real[0]
    return wall


# --- the server and the API load -----------------------------------------------------


@contextmanager
def serve(
    env: dict[str, str], threads: int, workers: int, log_path: Path, keepalive: int = 5
) -> Iterator[str]:
    """``opennrm serve`` (gunicorn) in a subprocess on a free port; yields its base URL."""
    port = free_port()
    import opennrm

    src = str(Path(opennrm.__file__).resolve().parent.parent)  # the code this process runs
    child_env = {**os.environ, **env}
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH", "")) if p
    )
    with log_path.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [
                sys.executable,
                "-c",
                "from opennrm.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--threads",
                str(threads),
                "--workers",
                str(workers),
                "--keepalive",
                str(keepalive),
                "--insecure-local",  # plain HTTP on loopback: no TLS in the measurement
            ],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C reaches this script only; it stops the server
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(
                    f"the server exited ({proc.returncode}):\n{log_path.read_text(errors='replace')}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start within 60 s") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def api_load(
    base: str, token: str, combos: list[Combo], clients: int, requests: int, warmup: int
) -> Stats:
    import httpx

    stats = Stats(f"API, {clients} client{'s' if clients > 1 else ''}")
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def make_job(i: int) -> Callable[[threading.Barrier], None]:
        seq = combo_sequence(combos, i, warmup + requests)

        def job(barrier: threading.Barrier) -> None:
            lat: list[float] = []
            rows = 0
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                for k, combo in enumerate(seq):
                    if k == warmup:
                        barrier.wait()
                    t0 = time.perf_counter()
                    r = client.get(combo.path)
                    dt = time.perf_counter() - t0
                    if r.status_code != 200:
                        with lock:
                            stats.errors += 1
                        raise Abort(f"GET {combo.path} -> {r.status_code}\n{r.text[:2000]}")
                    if k >= warmup:
                        lat.append(dt)
                        rows += len(r.json()["items"])
            with lock:
                stats.latencies.extend(lat)
                stats.rows += rows

        return job

    stats.wall_s = run_concurrently(clients, make_job)
    return stats


# --- raw SQL --------------------------------------------------------------------------


_WRK_LUA = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Bearer %(token)s"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"p50\\": %%f, \\"p95\\": %%f, \\"p99\\": %%f, \\"max\\": %%f, \\"requests\\": %%d, \\"duration_us\\": %%d, \\"errors\\": %%d}\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class WrkStats:
    """Latencies measured by wrk (a C load generator: almost no client CPU)."""

    name: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    wall_s: float
    errors: int

    def summary(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "p50_ms": round(self.p50_ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "throughput_rps": round(self.requests / self.wall_s, 1)
            if self.wall_s
            else float("nan"),
            "errors": self.errors,
            "avg_rows": float("nan"),
        }


def wrk_load(
    base: str, token: str, combos: list[Combo], clients: int, seconds: int, tmp: Path
) -> WrkStats | None:
    """The same requests from wrk, if installed (Debian package ``wrk``): ``clients`` connections."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = tmp / "load.lua"
    paths = ", ".join(json.dumps(c.path) for c in combos)
    script.write_text(_WRK_LUA % {"paths": paths, "token": token})

    def command(duration: int) -> list[str]:
        return [
            wrk,
            "-t",
            str(min(2, clients)),
            "-c",
            str(clients),
            "-d",
            f"{duration}s",
            "-s",
            str(script),
            base,
        ]

    subprocess.run(command(2), capture_output=True, check=False)  # noqa: S603 - warm-up
    out = subprocess.run(command(seconds), capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return WrkStats(
        f"API, {clients} conns (wrk)",
        data["p50"],
        data["p95"],
        data["p99"],
        data["max"],
        data["requests"],
        data["duration_us"] / 1e6,
        data["errors"],
    )


def raw_connect() -> Any:
    import psycopg

    # Django's psycopg backend binds parameters client-side (ClientCursor): do the same.
    return psycopg.connect(conninfo(), autocommit=True, cursor_factory=psycopg.ClientCursor)


def run_all(cur: Any, statements: list[Query]) -> list[Any]:
    """Execute the endpoint's statements for one request, fetching every row."""
    rows: list[Any] = []
    for sql, params in statements:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return rows  # the last statement's rows: the page


def raw_sequential(queries: dict[Combo, list[Query]], seq: list[Combo], warmup: int) -> Stats:
    stats = Stats("raw SQL, sequential")
    with raw_connect() as conn, conn.cursor() as cur:
        for combo in seq[:warmup]:
            run_all(cur, queries[combo])
        t0 = time.perf_counter()
        for combo in seq[warmup:]:
            t1 = time.perf_counter()
            rows = run_all(cur, queries[combo])
            stats.latencies.append(time.perf_counter() - t1)
            stats.rows += len(rows)
        stats.wall_s = time.perf_counter() - t0
    return stats


def raw_concurrent(
    queries: dict[Combo, list[Query]],
    combos: list[Combo],
    clients: int,
    requests: int,
    warmup: int,
) -> Stats:
    stats = Stats(f"raw SQL, {clients} threads")
    lock = threading.Lock()

    def make_job(i: int) -> Callable[[threading.Barrier], None]:
        seq = combo_sequence(combos, i, warmup + requests)

        def job(barrier: threading.Barrier) -> None:
            lat: list[float] = []
            rows = 0
            with raw_connect() as conn, conn.cursor() as cur:
                for k, combo in enumerate(seq):
                    if k == warmup:
                        barrier.wait()
                    t0 = time.perf_counter()
                    got = run_all(cur, queries[combo])
                    dt = time.perf_counter() - t0
                    if k >= warmup:
                        lat.append(dt)
                        rows += len(got)
            with lock:
                stats.latencies.extend(lat)
                stats.rows += rows

        return job

    stats.wall_s = run_concurrently(clients, make_job)
    return stats


def explain(sql: str, params: tuple[Any, ...], max_lines: int = 30) -> list[str]:
    with raw_connect() as conn, conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        lines = [str(r[0]) for r in cur.fetchall()]
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... ({len(lines) - max_lines} more lines)"]
    return lines


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/cases.py",
        description="Case-search benchmark: GET /api/cases p50/p95 under concurrent clients "
        "vs the raw SQL of the same query.",
    )
    p.add_argument("--cases", type=int, default=100_000, help="synthetic cases (default 100000)")
    p.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    p.add_argument(
        "--requests", type=int, default=50, help="measured requests per client (default 50)"
    )
    p.add_argument("--warmup", type=int, default=5, help="warm-up requests per client (default 5)")
    p.add_argument("--threads", type=int, default=8, help="threads per server process (default 8)")
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes (default: one per CPU, as `opennrm serve` in production)",
    )
    p.add_argument(
        "--database-url",
        help="use this (empty, disposable) PostgreSQL database instead of a throwaway cluster",
    )
    p.add_argument("--keep", action="store_true", help="keep the throwaway cluster and temp dir")
    p.add_argument("--json", metavar="OUT", help="write all figures as JSON to this file")
    p.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    args = p.parse_args(argv)
    if args.cases < 1 or args.clients < 1 or args.requests < 1 or args.warmup < 0:
        p.error("--cases, --clients and --requests must be positive, --warmup not negative")
    return args


def _sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="opennrm-bench-"))
    cluster: Cluster | None = None
    try:
        if args.database_url:
            url = args.database_url
        else:
            cluster = Cluster(tmp)
            t0 = time.perf_counter()
            cluster.start()
            log(
                f"PostgreSQL: throwaway cluster on 127.0.0.1:{cluster.port} ({tmp}), "
                f"started in {time.perf_counter() - t0:.1f} s"
            )
            url = cluster.url
        data_dir = tmp / "var"
        (data_dir / "static").mkdir(parents=True)  # whitenoise expects STATIC_ROOT
        env = setup_django(url, data_dir)
        return run(args, env, tmp)
    except KeyboardInterrupt:
        log("\ninterrupted")
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - best effort before stopping the cluster
            pass
        if cluster is not None and args.keep:
            log(f"kept: cluster {cluster.url} in {tmp} (stop: pg_ctl -D {cluster.data} stop)")
        else:
            if cluster is not None:
                cluster.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, env: dict[str, str], tmp: Path) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    log(f"Django {django.get_version()}, PostgreSQL {server_version}, {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"migrated in {time.perf_counter() - t0:.1f} s")
    fx = make_fixtures()

    log(f"filling {args.cases:,} cases (COPY) ...")
    fr = fill(args.cases, fx, args.seed)
    log(
        f"fill: {fr.cases:,} cases, {fr.grants:,} grants; the benchmark user sees "
        f"{fr.visible:,} ({fr.visible / fr.cases:.1%}); COPY {fr.copy_s:.1f} s, "
        f"VACUUM ANALYZE {fr.vacuum_analyze_s:.1f} s, total {fr.total_s:.1f} s; "
        f"{fr.all_visible:.0%} of pages all-visible"
    )

    combos = make_combos(args.seed)
    try:
        queries, same = endpoint_queries(fx.user, fx.token, combos)
    except Abort as exc:
        log(f"ABORT: {exc}")
        return 1
    log(
        "timed SQL: the statements the endpoint sends, captured in-process per combination; "
        + (
            "identical to case_search(...) sliced and compiled"
            if same
            else "NOTE: they differ from case_search(...) sliced and compiled"
        )
    )

    log(f"serving with gunicorn ({args.workers} processes x {args.threads} threads) ...")
    with serve(env, args.threads, args.workers, tmp / "server.log") as base:
        log(
            f"API: {base}/api/cases, {args.clients} clients x {args.requests} requests "
            f"(+{args.warmup} warm-up each)"
        )
        try:
            single = api_load(base, fx.token, combos, 1, args.requests * 2, args.warmup)
            api = api_load(base, fx.token, combos, args.clients, args.requests, args.warmup)
            wrk = wrk_load(base, fx.token, combos, args.clients, 15, tmp)
        except Abort as exc:
            log(f"ABORT: a request failed:\n{exc}")
            return 1

    log("raw SQL: the endpoint's exact query via psycopg ...")
    seq = combo_sequence(combos, 0, args.warmup + args.clients * args.requests)
    raw_seq = raw_sequential(queries, seq, args.warmup)
    raw_conc = raw_concurrent(queries, combos, args.clients, args.requests, args.warmup)

    sample = next(c for c in combos if c.page == 1)
    plan = explain(*queries[sample][-1])

    figures = report(args, fr, single, api, raw_seq, raw_conc, sample, queries[sample], plan, wrk)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
        log(f"figures written to {args.json}")
    return 0


def report(
    args: argparse.Namespace,
    fr: FillResult,
    single: Stats,
    api: Stats,
    raw_seq: Stats,
    raw_conc: Stats,
    sample: Combo,
    query: list[Query],
    plan: list[str],
    wrk: WrkStats | None = None,
) -> dict[str, Any]:
    a, s1 = api.summary(), single.summary()
    rs, rc = raw_seq.summary(), raw_conc.summary()
    w = wrk.summary() if wrk is not None else None
    ratio_httpx = a["p95_ms"] / rc["p95_ms"]
    ratio_conc = w["p95_ms"] / rc["p95_ms"] if w is not None else ratio_httpx
    ratio_seq = a["p95_ms"] / rs["p95_ms"]
    ratio_single = s1["p95_ms"] / rs["p95_ms"]
    met = ratio_conc <= TARGET_RATIO

    log()
    log(f"EXPLAIN (ANALYZE, BUFFERS) for {sample.path}:")
    for line in plan:
        log(f"  {line}")
    log()
    header = f"{'':28}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>9}{'rows':>6}{'err':>5}"
    log(header)
    log("-" * len(header))
    rows: list[tuple[Any, dict[str, float | int]]] = [
        (api, a),
        (single, s1),
        (raw_conc, rc),
        (raw_seq, rs),
    ]
    if wrk is not None and w is not None:
        rows.insert(0, (wrk, w))
    for st, sm in rows:
        log(
            f"{st.name:28}{sm['p50_ms']:>9.2f}{sm['p95_ms']:>9.2f}{sm['p99_ms']:>9.2f}"
            f"{sm['max_ms']:>9.2f}{sm['throughput_rps']:>9.1f}{sm['avg_rows']:>6.1f}{sm['errors']:>5}"
        )
    log()
    if w is not None:
        log(
            f"ratio API p95 (wrk, {args.clients} connections) / raw p95 ({args.clients} threads): "
            f"{ratio_conc:.2f}   <- compared with the target (the load generator takes ~no CPU)"
        )
        log(
            f"ratio API p95 (Python clients, {args.clients}) / raw p95 ({args.clients} threads): {ratio_httpx:.2f}"
        )
    else:
        log(
            f"ratio API p95 ({args.clients} clients) / raw p95 ({args.clients} threads): {ratio_conc:.2f}"
            "   <- compared with the target (install wrk for a load generator that takes no CPU)"
        )
    log(f"ratio API p95 ({args.clients} clients) / raw p95 (sequential):  {ratio_seq:.2f}")
    log(f"ratio API p95 (1 client) / raw p95 (sequential):            {ratio_single:.2f}")
    log(
        f"The target compares like with like: both sides under {args.clients}-way concurrency "
        "on the same machine and database, so the ratio measures what the HTTP stack "
        "(gunicorn, middleware, auth, ninja, serialization) adds to the query. Against "
        "sequential SQL the ratio would mostly measure queueing for CPU."
    )
    log(
        f"fill: {fr.cases:,} cases in {fr.total_s:.1f} s (COPY {fr.copy_s:.1f} s + "
        f"VACUUM ANALYZE {fr.vacuum_analyze_s:.1f} s); API errors: {a['errors']}"
    )
    log(
        f"RESULT: api_p95_ms={(w or a)['p95_ms']:.2f} raw_p95_ms={rc['p95_ms']:.2f} "
        f"ratio={ratio_conc:.2f} target<={TARGET_RATIO} {'MET' if met else 'NOT MET'}"
    )
    return {
        "cases": fr.cases,
        "clients": args.clients,
        "requests_per_client": args.requests,
        "warmup_per_client": args.warmup,
        "server_threads": args.threads,
        "server_workers": args.workers,
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "fill": fr.__dict__,
        "api_concurrent": a,
        "api_single_client": s1,
        "raw_concurrent": rc,
        "raw_sequential": rs,
        "ratio_api_p95_over_raw_concurrent_p95": round(ratio_conc, 3),
        "ratio_python_clients_p95_over_raw_concurrent_p95": round(ratio_httpx, 3),
        "api_wrk": w,
        "ratio_api_p95_over_raw_sequential_p95": round(ratio_seq, 3),
        "ratio_api_single_p95_over_raw_sequential_p95": round(ratio_single, 3),
        "target_ratio": TARGET_RATIO,
        "target_met": met,
        "explain_query": {"path": sample.path, "sql": [q[0] for q in query]},
        "explain": plan,
    }


if __name__ == "__main__":
    sys.exit(main())
