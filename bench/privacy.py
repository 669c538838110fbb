"""Statistics-with-privacy benchmark on PostgreSQL.

Fills a throwaway PostgreSQL cluster with N synthetic cases of one registration year
(COPY, not services: case rows, people and workflow events shaped like the demo data,
which follows published distributions), then times, through the real code:

* the annual official tables (facts query, tables, small-cell + complementary
  suppression, CSV and XLSX), ``stats_tables_release``;
* the HTCDS/CTDC record-level export at k = 11, ``stats_htcds_export``;
* the DP synthetic data set (epsilon 1), ``stats_synthetic_export``;

and measures the share of records suppressed at k = 11 with and without generalisation,
and the mean relative error of the DP official tables at epsilon 0.5, 1 and 2.

Run from the repository root (see bench/README.md)::

    PYTHONPATH=src .venv/bin/python bench/privacy.py --cases 100000

Every row is synthetic; no real person, case or agency is represented.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import Cluster, log, setup_django

YEAR = 2025

# furthest step: the events that lead there, and its weight (as the demo's paths)
PATHS: list[tuple[list[tuple[str, str]], int]] = [
    ([], 20),
    ([("screen", "screened")], 20),
    ([("screen", "screened"), ("refer", "referred")], 35),
    (
        [
            ("screen", "screened"),
            ("refer", "referred"),
            ("decide_reasonable_grounds", "presumed_victim"),
        ],
        15,
    ),
    (
        [
            ("screen", "screened"),
            ("refer", "referred"),
            ("decide_reasonable_grounds", "presumed_victim"),
            ("start_reflection", "recovery_reflection"),
        ],
        35,
    ),
    (
        [
            ("screen", "screened"),
            ("refer", "referred"),
            ("decide_reasonable_grounds", "presumed_victim"),
            ("start_reflection", "recovery_reflection"),
            ("identify", "identified"),
        ],
        15,
    ),
    (
        [
            ("screen", "screened"),
            ("refer", "referred"),
            ("decide_reasonable_grounds", "presumed_victim"),
            ("start_reflection", "recovery_reflection"),
            ("not_identify", "not_identified"),
        ],
        6,
    ),
    (
        [
            ("screen", "screened"),
            ("refer", "referred"),
            ("decide_reasonable_grounds", "presumed_victim"),
            ("start_reflection", "recovery_reflection"),
            ("identify", "identified"),
            ("start_assistance", "assistance"),
        ],
        42,
    ),
    (
        [
            ("screen", "screened"),
            ("refer", "referred"),
            ("reject_reasonable_grounds", "not_identified"),
        ],
        5,
    ),
]
AGENCY_TYPES = [
    ("police", 30),
    ("athb_police", 12),
    ("border_guard", 14),
    ("labour_inspectorate", 8),
    ("migration", 6),
    ("social_protection", 8),
    ("ngo", 14),
    ("health", 3),
    ("prosecutor", 2),
    ("international", 3),
]
REGIONS = [
    ("Kyiv", 14), ("Lviv", 9), ("Odesa", 9), ("Kharkiv", 8), ("Dnipro", 7), ("Zakarpattia", 6),
    ("Volyn", 5), ("Chernivtsi", 5), ("Zaporizhzhia", 5), ("Vinnytsia", 4), ("Ivano-Frankivsk", 4),
    ("Ternopil", 3), ("Rivne", 3), ("Khmelnytskyi", 3), ("Mykolaiv", 3), ("Poltava", 3),
    ("Cherkasy", 2), ("Zhytomyr", 2), ("Sumy", 2), ("Chernihiv", 2),
]  # fmt: skip


def fill(n: int, seed: int) -> dict[str, Any]:
    """Agencies and an analyst through the services; cases, people, events by COPY."""
    from django.db import connection

    from opennrm import demo
    from opennrm.accounts.services import agency_create, user_create
    from opennrm.cases.models import Case, CaseEvent, Person

    rng = random.Random(seed)
    agencies = {
        kind: agency_create(
            actor=None, name=f"{kind} (BENCH)", type=kind, country="UA", region="Kyiv"
        )
        for kind, _w in AGENCY_TYPES
    }
    password = "bench-" + str(rng.getrandbits(64))
    creator = user_create(
        actor=None,
        username="bench-frontline",
        password=password,
        agency=agencies["police"],
        role="frontline",
        check_password_strength=False,
    )
    analyst = user_create(
        actor=None,
        username="bench-analyst",
        password=password,
        agency=agencies["social_protection"],
        role="analyst",
        check_password_strength=False,
    )
    kinds, kind_w = demo._EXPLOITATION_MIX
    bands = list(demo._AGE_BANDS)
    cit, cit_w = demo._CITIZENSHIP
    agency_ids = [agencies[k].pk for k, _w in AGENCY_TYPES]
    agency_w = [w for _k, w in AGENCY_TYPES]
    regions = [r for r, _w in REGIONS]
    region_w = [w for _r, w in REGIONS]
    paths = [p for p, _w in PATHS]
    path_w = [w for _p, w in PATHS]
    start = datetime(YEAR, 1, 1, 8, tzinfo=UTC)
    case_cols = [f.column for f in Case._meta.concrete_fields]
    person_cols = [f.column for f in Person._meta.concrete_fields if f.column != "id"]
    event_cols = [f.column for f in CaseEvent._meta.concrete_fields if f.column != "id"]
    t0 = time.perf_counter()
    cases_buf, people_buf, events_buf = io.StringIO(), io.StringIO(), io.StringIO()
    n_events = 0
    for i in range(1, n + 1):
        created = start + timedelta(seconds=rng.randint(0, 364 * 86400))
        kind = rng.choices(kinds, kind_w)[0]
        band, (low, high) = rng.choices(bands, demo._AGE_WEIGHTS)[0]
        path = rng.choices(paths, path_w)[0]
        owner = rng.choices(agency_ids, agency_w)[0]
        forced = kind == "criminality" or rng.random() < 0.05
        state = path[-1][1] if path else "flagged"
        row = {
            "id": i,
            "reference": f"B-{i:09d}",
            "owning_agency_id": owner,
            "created_by_id": creator.pk,
            "state": state,
            "exploitation_type": kind,
            "country": "UA",
            "region": rng.choices(regions, region_w)[0],
            "is_child": "t" if high < 18 else "f",
            "forced_criminality": "t" if forced else "f",
            "forced_criminality_note": "",
            "summary": "",
            "screening_outcome": "",
            "rg_due": r"\N",
            "reflection_starts": r"\N",
            "reflection_ends": r"\N",
            "deadline": r"\N",
            "deadline_kind": "",
            "version": 1,
            "created_at": created.isoformat(),
            "updated_at": created.isoformat(),
        }
        cases_buf.write("\t".join(str(row[c]) for c in case_cols) + "\n")
        if rng.random() < 0.85:
            age = rng.randint(low, high)
            born = date(created.year - age - (1 if created.month == 1 else 0), 1, 1)
            person = {
                "case_id": i,
                "given_name": "BENCH",
                "family_name": f"Person {i}",
                "other_names": "",
                "date_of_birth": born.isoformat(),
                "age_band": band,
                "gender": rng.choices(["male", "female"], [73, 27])[0],
                "citizenship": rng.choices(cit, cit_w)[0],
                "languages": "",
                "contact": "",
                "documents": "",
                "version": 1,
                "updated_at": created.isoformat(),
            }
            people_buf.write("\t".join(str(person[c]) for c in person_cols) + "\n")
        at = created
        steps = [("", "flagged", "created")] + [(t, s, "transition") for t, s in path]
        for transition, to_state, ev_kind in steps:
            event = {
                "case_id": i,
                "kind": ev_kind,
                "transition": transition,
                "from_state": "",
                "to_state": to_state,
                "actor_id": creator.pk,
                "actor_agency_id": owner,
                "at": at.isoformat(),
                "reason": "",
            }
            events_buf.write("\t".join(str(event[c]) for c in event_cols) + "\n")
            n_events += 1
            at += timedelta(days=rng.randint(1, 9), seconds=rng.randint(0, 86399))
    generated = time.perf_counter() - t0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for model, cols, buf in (
            (Case, case_cols, cases_buf),
            (Person, person_cols, people_buf),
            (CaseEvent, event_cols, events_buf),
        ):
            with raw.copy(f"COPY {model._meta.db_table} ({', '.join(cols)}) FROM STDIN") as copy:
                copy.write(buf.getvalue())
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Case._meta.db_table}', 'id'), {n})")
        cursor.execute("VACUUM ANALYZE")
    return {
        "analyst": analyst,
        "events": n_events,
        "generate_s": generated,
        "fill_s": time.perf_counter() - t0,
    }


CPU: dict[str, float] = {}


def timed(label: str, work: Any) -> tuple[Any, float]:
    """Wall-clock seconds; the CPU seconds of this process are kept in ``CPU`` (the
    machine is shared, so wall time also measures the neighbours)."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = work()
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    CPU[label] = cpu
    log(f"  {label}: {took:.1f} s wall, {cpu:.1f} s CPU (this process)")
    return result, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--synthetic-rows", type=int, default=100_000)
    parser.add_argument("--dp-repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="an empty, disposable PostgreSQL database")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="opennrm-privacy-bench-"))
    cluster = None
    try:
        if args.database_url:
            url = args.database_url
        else:
            cluster = Cluster(tmp)
            cluster.start()
            url = cluster.url
        setup_django(url, tmp / "data")
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        run(args)
    finally:
        if cluster is not None:
            cluster.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from django.conf import settings

    from opennrm.privacy import mean_relative_error
    from opennrm.stats import exports, services
    from opennrm.stats.reports import facts_for, year_scope
    from opennrm.stats.tables import official_tables, protect_dp

    settings.OPENNRM_STATS_EPSILON_PER_YEAR = 1e9  # the benchmark measures, it publishes nothing
    log(f"filling {args.cases:,} cases of {YEAR} …")
    filled = fill(args.cases, args.seed)
    log(
        f"  {filled['events']:,} events; generated in {filled['generate_s']:.1f} s, filled in {filled['fill_s']:.1f} s"
    )
    analyst = filled["analyst"]
    scope = year_scope("UA", YEAR)
    figures: dict[str, Any] = {
        "cases": args.cases,
        "events": filled["events"],
        "fill_s": filled["fill_s"],
    }

    log("timings (end to end, through the services):")
    facts, figures["facts_query_s"] = timed(
        "facts query (one row per case)", lambda: facts_for(scope)
    )
    release, figures["annual_tables_s"] = timed(
        "annual official tables (facts, suppression, CSV + XLSX)",
        lambda: services.stats_tables_release(actor=analyst, scope=scope),
    )
    suppressed_cells = sum(v is None for t in release.tables for row in t.cells for v in row)
    total_cells = sum(len(row) for t in release.tables for row in t.cells)
    figures["tables_suppressed_cells"] = f"{suppressed_cells}/{total_cells}"
    htcds, figures["htcds_export_s"] = timed(
        "HTCDS export, k = 11",
        lambda: services.stats_htcds_export(actor=analyst, scope=scope, k=11),
    )
    rng = random.Random(args.seed)
    synthetic, figures["synthetic_s"] = timed(
        f"DP synthetic data set, epsilon 1, {args.synthetic_rows:,} rows",
        lambda: services.stats_synthetic_export(
            actor=analyst, scope=scope, epsilon=1.0, rows=args.synthetic_rows, rng=rng
        ),
    )
    figures["synthetic_utility"] = [
        {"width": m.width, "mean_abs_error": m.mean_abs_error, "mean_tv": m.mean_total_variation}
        for m in synthetic.utility
    ]

    log("k-anonymity at k = 11 (HTCDS quasi-identifiers):")
    with_gen = htcds.report
    without, _t = timed(
        "suppression only (no generalisation)",
        lambda: exports.htcds_anonymise(facts, country="UA", k=11, generalise=False).report,
    )
    for label, rep in (("with generalisation", with_gen), ("suppression only", without)):
        log(
            f"  {label}: {rep.suppressed:,} of {rep.records_in:,} records removed ({rep.suppressed_share:.2%})"
        )
    log(
        "  generalised: "
        + ", ".join(f"{g.field} → {g.description}" for g in with_gen.generalisations if g.level)
    )
    figures["k11_suppressed_with_generalisation"] = with_gen.suppressed_share
    figures["k11_suppressed_without_generalisation"] = without.suppressed_share

    log("DP official tables, mean relative error per cell (|noisy − true| / max(true, 1)):")
    specs = [s for s in official_tables(facts, scope.start, scope.end) if s.dp_ready]
    figures["dp_tables"] = len(specs)
    figures["dp_mre"] = {}
    for eps in (0.5, 1.0, 2.0):
        errors, nonempty = [], []
        for _r in range(args.dp_repeats):
            for spec in specs:
                true = [v for row in spec.values for v in row]
                noisy = [int(v or 0) for row in protect_dp(spec, epsilon=eps).cells for v in row]
                errors.append(mean_relative_error(true, noisy))
                kept = [(t, x) for t, x in zip(true, noisy, strict=True) if t > 0]
                if kept:
                    nonempty.append(mean_relative_error([t for t, _ in kept], [x for _, x in kept]))
        mre = sum(errors) / len(errors)
        mre_nonzero = sum(nonempty) / len(nonempty)
        figures["dp_mre"][str(eps)] = {"all_cells": mre, "non_empty_cells": mre_nonzero}
        log(
            f"  epsilon {eps:g} per table: {mre:.4f} over all cells, {mre_nonzero:.4f} over non-empty cells"
        )
    figures["cpu_s"] = CPU
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    figures["load_average"] = " ".join(load)
    log(f"load average at the end: {figures['load_average']}")
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(f"peak RSS {figures['peak_rss_mib']:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    log(
        "RESULT: "
        + " ".join(
            f"{k}={figures[k]:.4g}" if isinstance(figures[k], float) else f"{k}={figures[k]}"
            for k in (
                "cases",
                "annual_tables_s",
                "htcds_export_s",
                "synthetic_s",
                "k11_suppressed_with_generalisation",
                "k11_suppressed_without_generalisation",
            )
        )
    )


if __name__ == "__main__":
    main()
