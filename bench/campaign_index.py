"""What the agency's campaign index costs an import: the same file with and without it.

    PYTHONPATH=src .venv/bin/python bench/campaign_index.py                # 20,000 posts
    PYTHONPATH=src .venv/bin/python bench/campaign_index.py --posts 5000 --json out.json

On a throwaway SQLite database (as shipped: WAL, IMMEDIATE transactions) it generates the
synthetic posts of ``bench/imports.py`` and imports them with ``online_import`` (the job
the worker runs, in batches of ``OPENNRM_IMPORT_BATCH_POSTS``) twice, into two agencies:
once with ``OPENNRM_CAMPAIGN_INDEX`` off (campaigns per batch, the old behaviour) and once
with it on, then a second file into the agency with the index (the index already holds
the first). Reports the wall time of each import, per batch: the time to add the batch to
the index and serialise it (outside any transaction), the time of the write inside the
batch's last transaction (campaign rows, post links, the batch's chunk), the time to load
the stored index (``CampaignIndex.from_chunks``, what a new import or a retry pays), the
stored size, and how many posts ended in multi-post campaigns each way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _app_on_sqlite import bench_main, django_on_sqlite, generator  # noqa: E402


def main() -> None:
    bench_main(__doc__, run, posts=20_000, prefix="bench-index-")


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    django_on_sqlite(tmp)
    from django.conf import settings

    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.monitoring import CampaignIndex
    from opennrm.online import campaigns
    from opennrm.online.models import CampaignChunk, MonitoredPost, PostGroup
    from opennrm.online.services import online_import

    generate = generator()
    first, second = tmp / "first.jsonl", tmp / "second.jsonl"
    generate(first, args.posts, args.seed)
    generate(second, args.posts, args.seed + 1)

    timings: dict[str, list[float]] = {"stage": [], "commit": []}
    real_stage, real_commit = campaigns.IndexHolder.stage, campaigns.IndexHolder.commit

    def timed(name: str, real: Any) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                timings[name].append(time.perf_counter() - start)

        return wrapper

    campaigns.IndexHolder.stage = timed("stage", real_stage)  # type: ignore[method-assign]
    campaigns.IndexHolder.commit = timed("commit", real_commit)  # type: ignore[method-assign]

    def user(name: str) -> User:
        agency = Agency.objects.create(name=name, type=AgencyType.POLICE, country="UA")
        return User.objects.create_user(username=name, agency=agency, role=Role.FRONTLINE)

    def one(actor: User, path: Path, with_index: bool) -> dict[str, Any]:
        settings.OPENNRM_CAMPAIGN_INDEX = with_index
        for v in timings.values():
            v.clear()
        start = time.perf_counter()
        run = online_import(actor=actor, path=path, source_name=path.name)
        took = time.perf_counter() - start
        in_campaigns = MonitoredPost.objects.filter(
            agency_id=actor.agency_id, campaign__isnull=False
        ).count()
        out: dict[str, Any] = {
            "posts_stored": run.stored,
            "batches": run.batches,
            "seconds": round(took, 2),
            "posts_per_second": round(run.stored / took),
            "agency_posts_in_campaigns": in_campaigns,
            "agency_campaign_rows": PostGroup.objects.filter(
                agency_id=actor.agency_id, kind="campaign"
            ).count(),
        }
        for name, values in timings.items():
            if values:
                out[f"{name}_ms_mean"] = round(1000 * statistics.mean(values), 1)
                out[f"{name}_ms_max"] = round(1000 * max(values), 1)
                out[f"{name}_ms_last"] = round(1000 * values[-1], 1)
        return out

    without = one(user("without"), first, with_index=False)
    indexed = user("indexed")
    with_first = one(indexed, first, with_index=True)
    with_second = one(indexed, second, with_index=True)
    chunks = list(CampaignChunk.objects.filter(agency_id=indexed.agency_id).order_by("seq"))
    start = time.perf_counter()
    index = CampaignIndex.from_chunks([bytes(c.blob) for c in chunks])
    load = time.perf_counter() - start
    return {
        "posts_per_file": args.posts,
        "batch_posts": settings.OPENNRM_IMPORT_BATCH_POSTS,
        "without_index": without,
        "with_index_first_file": with_first,
        "with_index_second_file": with_second,
        "index_posts": len(index),
        "index_chunks": len(chunks),
        "index_stored_bytes": sum(len(c.blob) for c in chunks),
        "index_load_ms": round(1000 * load, 1),
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    main()
