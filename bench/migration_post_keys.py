"""What migration ``online.0013`` (keyed post ids, encrypted channels) costs on a large
agency: wall time and peak memory, forwards and backwards.

    PYTHONPATH=src .venv/bin/python bench/migration_post_keys.py --posts 20000 [--json OUT]

On a throwaway SQLite database it imports ``--posts`` synthetic posts of
``bench/imports.py`` into one agency (one file, as the worker would), then runs, each in
a fresh child process (``opennrm`` = ``django-admin`` with the project's settings):
``migrate online 0012`` (backwards through 0014 and 0013: ids back to the library's,
channels decrypted), ``migrate online`` (forwards through 0013 and 0014: what an upgrade
runs; 0014 only adds a column) and, as a baseline in the same run, the same two with no
monitoring data (what the migration machinery costs with nothing to do). The peak
resident memory of each child (``ru_maxrss`` of the child) and its wall time are
reported; the forwards step's memory above the empty run's is what the data costs. The
migration loads one agency's whole campaign index at a time, so that is the part
expected to grow with the agency.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _app_on_sqlite import bench_main, django_on_sqlite, generator  # noqa: E402

_CHILD = (
    "import resource, sys\n"
    "from django.core.management import execute_from_command_line\n"
    "execute_from_command_line(['django-admin', 'migrate', 'online', *sys.argv[1:],"
    " '--verbosity', '0', '--skip-checks'])\n"
    "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
)


def _migrate(target: str) -> dict[str, float]:
    """``migrate online [target]`` in a child process: wall seconds and its peak RSS."""
    start = time.perf_counter()
    out = subprocess.run(  # noqa: S603 - our own interpreter and Django's command
        [sys.executable, "-c", _CHILD, *([target] if target else [])],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    kib = int(out.stdout.split("maxrss")[-1])
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(kib / 1024, 1)}


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    django_on_sqlite(tmp)
    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.online import services
    from opennrm.online.models import CampaignChunk, MonitoredPost, PostGroup

    figures: dict[str, Any] = {"posts": args.posts}
    # the baseline first (children's peak memory only grows): nothing to migrate
    figures["empty_backwards"] = _migrate("0012")
    figures["empty_forwards"] = _migrate("")
    figures["empty_forwards"]["note"] = "the same steps with no monitoring data"
    path = tmp / "posts.jsonl"
    generator()(path, args.posts, args.seed)
    agency = Agency.objects.create(name="bench", type=AgencyType.POLICE, country="UA")
    actor = User.objects.create_user(username="bench", agency=agency, role=Role.FRONTLINE)
    start = time.perf_counter()
    services.online_import(actor=actor, path=path, source_name=path.name)
    figures["import_s"] = round(time.perf_counter() - start, 1)
    figures["stored"] = {
        "posts": MonitoredPost.objects.count(),
        "groups": PostGroup.objects.count(),
        "index_chunks": CampaignChunk.objects.count(),
        "index_bytes": sum(
            len(bytes(b)) for b in CampaignChunk.objects.values_list("blob", flat=True)
        ),
    }
    ids_before = sorted(MonitoredPost.objects.values_list("post_id", flat=True))
    figures["backwards"] = _migrate("0012")
    figures["forwards"] = _migrate("")
    # the round trip must give the keyed ids back exactly (the keying is a permutation)
    figures["ids_identical_after_round_trip"] = ids_before == sorted(
        MonitoredPost.objects.values_list("post_id", flat=True)
    )
    figures["python"] = sys.version.split()[0]
    return figures


def main() -> None:
    bench_main(__doc__, run, posts=20_000, prefix="bench-migration-")


if __name__ == "__main__":
    main()
