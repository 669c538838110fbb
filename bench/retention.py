"""What the retention purge of online monitoring costs, and how long it holds the lock.

    PYTHONPATH=src .venv/bin/python bench/retention.py                 # 2 x 10,000 posts
    PYTHONPATH=src .venv/bin/python bench/retention.py --posts 2000 --json out.json

On a throwaway SQLite database (as shipped: WAL, IMMEDIATE transactions, the write queue)
it imports the synthetic posts of ``bench/imports.py`` twice into one agency (two files,
the first made a year older than ``OPENNRM_MONITORING_RETENTION_DAYS``), opens a case
from a few old posts (evidence), then runs :func:`opennrm.online.services.purge_expired`.
Reports the whole purge's wall time and, for what holds SQLite's write lock: each batch
of ``OPENNRM_MONITORING_PURGE_BATCH`` posts erased (its transaction), each transaction
counting groups again, and the rebuild of the campaign index: its whole time (mostly
outside any transaction) and its locked part (the transaction that catches up, writes
the chunks and regroups). Also the counts erased and what the index holds after.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _app_on_sqlite import bench_main, django_on_sqlite, generator  # noqa: E402


def main() -> None:
    bench_main(__doc__, run, posts=10_000, posts_help="posts per file", prefix="bench-retention-")


def _ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "count": len(values),
        "ms_mean": round(1000 * statistics.mean(values), 1),
        "ms_max": round(1000 * max(values), 1),
    }


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    django_on_sqlite(tmp)
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.monitoring import PipelineConfig
    from opennrm.online import campaigns, services
    from opennrm.online.models import Contact, ImportRun, MonitoredPost, PostGroup

    generate = generator()
    old_file, new_file = tmp / "old.jsonl", tmp / "new.jsonl"
    generate(old_file, args.posts, args.seed)
    generate(new_file, args.posts, args.seed + 1)
    agency = Agency.objects.create(name="bench", type=AgencyType.POLICE, country="UA")
    actor = User.objects.create_user(username="bench", agency=agency, role=Role.FRONTLINE)
    old = services.online_import(actor=actor, path=old_file, source_name=old_file.name)
    then = timezone.now() - timedelta(days=settings.OPENNRM_MONITORING_RETENTION_DAYS + 30)
    ImportRun.objects.filter(pk=old.pk).update(at=then, started_at=then, finished_at=then)
    services.online_import(actor=actor, path=new_file, source_name=new_file.name)
    for post in MonitoredPost.objects.filter(run=old).order_by("pk")[:5]:
        services.post_open_case(actor=actor, post=post)
    before = {
        "posts": MonitoredPost.objects.count(),
        "contacts": Contact.objects.count(),
        "groups": PostGroup.objects.count(),
    }

    timings: dict[str, list[float]] = {"erase_batch": [], "groups_refresh": [], "rebuild": []}
    locked: list[float] = []

    def timed(name: str, real: Any) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                timings[name].append(time.perf_counter() - start)

        return wrapper

    services._erase_posts = timed("erase_batch", services._erase_posts)  # type: ignore[assignment]
    campaigns.refresh_groups = timed("groups_refresh", campaigns.refresh_groups)  # type: ignore[assignment]
    campaigns.rebuild_campaign_index = timed("rebuild", campaigns.rebuild_campaign_index)  # type: ignore[assignment]

    class _TimedTransaction:
        """``transaction`` as campaigns.py uses it, its ``atomic`` blocks timed."""

        @staticmethod
        @contextlib.contextmanager
        def atomic() -> Iterator[None]:
            start = time.perf_counter()
            with transaction.atomic():
                yield
            locked.append(time.perf_counter() - start)

    campaigns.transaction = _TimedTransaction  # type: ignore[assignment]
    start = time.perf_counter()
    report = services.purge_expired()
    took = time.perf_counter() - start
    counts = report.agencies[agency.pk]
    index = campaigns.IndexHolder(agency.pk, PipelineConfig()).sync()
    return {
        "posts_per_file": args.posts,
        "purge_batch": settings.OPENNRM_MONITORING_PURGE_BATCH,
        "before": before,
        "erased": {
            "posts": counts.posts,
            "kept_as_evidence": counts.kept,
            "feedback": counts.feedback,
            "contacts": counts.contacts,
            "groups": counts.groups,
            "imports": counts.imports,
            "failed": counts.failed,
        },
        "after": {
            "posts": MonitoredPost.objects.count(),
            "contacts": Contact.objects.count(),
            "groups": PostGroup.objects.count(),
            "index_posts": len(index),
        },
        "purge_seconds": round(took, 2),
        "erase_batch": _ms(timings["erase_batch"]),
        "groups_refresh_transaction": _ms(timings["groups_refresh"][:-1]),
        "rebuild_seconds": round(sum(timings["rebuild"]), 2),
        "rebuild_locked_ms": round(1000 * max(locked), 1) if locked else None,
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    main()
