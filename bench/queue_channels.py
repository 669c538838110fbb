"""What the alert queue's channel suggestions and forgiving channel filter cost a page.

    PYTHONPATH=src .venv/bin/python bench/queue_channels.py                # 20,000 posts
    PYTHONPATH=src .venv/bin/python bench/queue_channels.py --posts 100000 --json out.json

On a throwaway SQLite database it imports the synthetic posts of ``bench/imports.py``
(200 channels) into one agency, then times, alternating, 30 times each:

* ``page``: what the queue page read before (the first 20 posts of the recruitment queue
  of new posts, as the page lists them): the baseline;
* ``channels``: what it reads now besides, the agency's channels with their counts
  (``selectors.queue_channels``: one grouped query, one post decrypted per channel);
* ``filtered_exact`` / ``filtered_part``: the page filtered by a channel typed exactly as
  stored / as part of names ("channel-1": 111 of the 200), the names matched as typed.

Prints medians in ms and each one's ratio to ``page``.
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

ROUNDS = 30


def main() -> None:
    bench_main(__doc__, run, posts=20_000, posts_help="posts imported", prefix="bench-chan-")


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    django_on_sqlite(tmp)
    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.online import selectors, services
    from opennrm.online.models import MonitoredPost

    path = tmp / "posts.jsonl"
    generator()(path, args.posts, args.seed)
    agency = Agency.objects.create(name="bench", type=AgencyType.POLICE, country="UA")
    actor = User.objects.create_user(username="bench", agency=agency, role=Role.FRONTLINE)
    started = time.perf_counter()
    services.online_import(actor=actor, path=path, source_name=path.name)
    imported = time.perf_counter() - started

    def page(channel: str = "") -> int:
        posts = selectors.alert_queue(actor, status="new", category="recruitment", channel=channel)
        return len(list(posts[:20]))

    cases = {
        "page": page,
        "channels": lambda: len(selectors.queue_channels(actor)),
        "filtered_exact": lambda: page("channel-7"),
        "filtered_part": lambda: page("channel-1"),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    sizes = {name: call() for name, call in cases.items()}  # warm-up, and what each returns
    for _ in range(ROUNDS):
        for name, call in cases.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["page"])
    return {
        "posts": MonitoredPost.objects.count(),
        "import_s": round(imported, 1),
        "rounds": ROUNDS,
        "returned": sizes,
        "median_ms": {n: round(1000 * statistics.median(t), 2) for n, t in times.items()},
        "ratio_to_page": {n: round(statistics.median(t) / base, 2) for n, t in times.items()},
    }


if __name__ == "__main__":
    main()
