"""STIX export of a campaign: building the bundle and writing it, against stix2's
spec-ordered ``serialize(pretty=True)`` (what the export used before) in the same run.

    PYTHONPATH=src python bench/stix_export.py [--posts 100 200 400] [--large 5000 20000]
                                                [--json OUT]

Each size is a campaign of synthetic posts (no real data), one distinct phone number each,
as ``tests/online/test_security_review.py`` builds: every post gives an observable, an
indicator and a sighting. For the sizes in ``--posts`` both writers run and the written
objects are checked to be equal; ``--large`` runs only ``bundle_json`` (the baseline grows
with the square of the bundle). Times are CPU seconds of this process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from opennrm.monitoring import Post, bundle_json, to_stix_bundle

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def campaign(n: int) -> list[Post]:
    return [
        Post.create(
            "csv",
            f"Робота в Польщі, пиши +38067{i:07d}",
            channel="bench",
            posted_at=T0 + timedelta(minutes=i),
        )
        for i in range(n)
    ]


def _cpu(fn):  # type: ignore[no-untyped-def]
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def measure(n: int, *, baseline: bool) -> dict[str, object]:
    posts = campaign(n)
    bundle, build = _cpu(lambda: to_stix_bundle(posts, identity_name="Bench", clock=lambda: T0))
    written, ours = _cpu(lambda: bundle_json(bundle))
    row: dict[str, object] = {
        "posts": n,
        "objects": len(bundle.objects),
        "bytes": len(written.encode()),
        "build_s": round(build, 3),
        "bundle_json_s": round(ours, 3),
    }
    if baseline:
        pretty, old = _cpu(lambda: bundle.serialize(pretty=True))
        row["pretty_s"] = round(old, 3)
        row["ratio"] = round(old / ours, 1) if ours else None
        row["same_objects"] = json.loads(pretty) == json.loads(written)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="*", default=[100, 200, 400])
    parser.add_argument("--large", type=int, nargs="*", default=[5000, 20000])
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    rows = [measure(n, baseline=True) for n in args.posts]
    rows += [measure(n, baseline=False) for n in args.large]
    print(f"{'posts':>7} {'objects':>8} {'build s':>8} {'ours s':>8} {'pretty s':>9} ratio same")
    for r in rows:
        print(
            f"{r['posts']:>7} {r['objects']:>8} {r['build_s']:>8} {r['bundle_json_s']:>8} "
            f"{r.get('pretty_s', '-'):>9} {r.get('ratio', '-')} {r.get('same_objects', '-')}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"load": os.getloadavg(), "rows": rows}, out, indent=2)
    if any(r.get("same_objects") is False for r in rows):
        print("the two writers wrote different objects", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
