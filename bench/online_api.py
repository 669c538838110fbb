"""The online-monitoring API's alert queue with many posts: how long a page takes, first
and deep (offset pagination), with and without a channel filter, and one post.

    PYTHONPATH=src python bench/online_api.py [--posts 100000] [--json OUT]

A throwaway SQLite installation (``bench/_app_on_sqlite.py``), one agency whose posts are
written with ``bulk_create`` (synthetic texts, no real person; encrypted as the app
stores them), then ``GET /api/online/posts`` through Django's whole request path (test
client: middleware, bearer token, handler, audit entry) with ``page_size=200``. Times are
wall-clock milliseconds, the median of 5 requests each; a page by number (offset) beside
the same page by cursor (``after=``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _app_on_sqlite import bench_main, django_on_sqlite

PAGE = 200


def _fill(n: int) -> tuple[Any, str]:
    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.accounts.services import api_token_create
    from opennrm.online.models import ImportRun, MonitoredPost, channel_index

    agency = Agency.objects.create(name="Bench Police", type=AgencyType.POLICE, country="UA")
    user = User.objects.create_user(
        username="bench", password=None, agency=agency, role=Role.FRONTLINE
    )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    _token, raw = api_token_create(actor=user, user=user, name="bench", scope="read")
    run = ImportRun.objects.create(
        agency=agency, imported_by=user, source_name="bench.jsonl", state="done"
    )
    channels = [f"channel-{c}" for c in range(50)]
    indexes = {c: channel_index(agency.pk, c) for c in channels}
    batch: list[MonitoredPost] = []
    for i in range(n):
        channel = channels[i % len(channels)]
        batch.append(
            MonitoredPost(
                agency=agency,
                run=run,
                post_id=f"{i:032x}",
                channel=channel,
                channel_index=indexes[channel],
                text=f"Робота в Польщі {i}, житло безкоштовно, пиши +38067{i % 10**7:07d}",
                language="uk",
                risk=(i % 1000) / 1000,
                flagged=i % 3 == 0,
                category="recruitment" if i % 3 == 0 else "",
                reasons=[{"kind": "model", "id": "робот", "weight": 0.3, "evidence": "Робота"}],
                contacts=[f"phone:+38067{i % 10**7:07d}"],
            )
        )
        if len(batch) == 5000:
            MonitoredPost.objects.bulk_create(batch)
            batch = []
    MonitoredPost.objects.bulk_create(batch)
    return user, raw


def _median_ms(call: Any, times: int = 5) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (response.status_code, response.content[:300])  # noqa: S101
    return round(statistics.median(samples), 1)


def run(args: Any, tmp: Path) -> dict[str, Any]:
    # Django's test client, on plain HTTP
    os.environ.update({"OPENNRM_ALLOWED_HOSTS": "testserver", "OPENNRM_SSL_REDIRECT": "0"})
    django_on_sqlite(tmp)
    from django.test import Client

    from opennrm.online.models import MonitoredPost

    start = time.perf_counter()
    _user, raw = _fill(args.posts)
    filled = time.perf_counter() - start
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    # deep pages by number are refused past api.MAX_OFFSET (the cursor's reason): lifted
    # here to measure what the cursor replaces
    from opennrm.online import api

    api.MAX_OFFSET = 10**9
    every = {"status": "any", "category": "all", "page_size": PAGE}
    last = max(1, args.posts // PAGE)
    deep = min(last, 10_000)
    post = MonitoredPost.objects.order_by("pk").values_list("pk", flat=True)[args.posts // 2]
    # the cursors a client walking the queue holds before the middle and the last page
    from opennrm.online import selectors

    queue = selectors.alert_queue(_user, status="", category="")
    middle = selectors.alert_queue_cursor(queue[max(0, ((last // 2 or 1) - 1) * PAGE - 1)])
    end = selectors.alert_queue_cursor(queue[max(0, (deep - 1) * PAGE - 1)])
    by_page = client.get("/api/online/posts", {**every, "page": last // 2 or 1}).json()
    by_cursor = client.get("/api/online/posts", {**every, "after": middle}).json()
    assert [p["id"] for p in by_page["items"]] == [p["id"] for p in by_cursor["items"]]  # noqa: S101
    return {
        "posts": args.posts,
        "fill_s": round(filled, 1),
        "page_size": PAGE,
        "first_page_ms": _median_ms(lambda: client.get("/api/online/posts", every)),
        "queue_default_first_page_ms": _median_ms(
            lambda: client.get("/api/online/posts", {"page_size": PAGE})
        ),
        "middle_page": last // 2 or 1,
        "middle_page_ms": _median_ms(
            lambda: client.get("/api/online/posts", {**every, "page": last // 2 or 1})
        ),
        "last_page": deep,
        "last_page_ms": _median_ms(
            lambda: client.get("/api/online/posts", {**every, "page": deep})
        ),
        "cursor_middle_page_ms": _median_ms(
            lambda: client.get("/api/online/posts", {**every, "after": middle})
        ),
        "cursor_last_page_ms": _median_ms(
            lambda: client.get("/api/online/posts", {**every, "after": end})
        ),
        "channel_first_page_ms": _median_ms(
            lambda: client.get("/api/online/posts", {**every, "channel": "channel-7"})
        ),
        "one_post_ms": _median_ms(lambda: client.get(f"/api/online/posts/{post}")),
    }


if __name__ == "__main__":
    bench_main(__doc__, run, posts=100_000, prefix="bench-online-api-")
