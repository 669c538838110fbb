"""A compressed WARC that unpacks past its limit ("zip bomb") is read up to the limit: the
posts before are kept, the rest of the file is skipped with one problem saying why."""

from __future__ import annotations

import gzip
from pathlib import Path

from opennrm.monitoring.ingest import (
    MAX_DECOMPRESSED_BYTES,
    PROBLEM_CODES,
    IngestReport,
    iter_posts,
)
from tests.monitoring.warc_bomb import ZEROS, warc_bomb


def test_a_gzip_bomb_stops_at_the_limit_and_keeps_the_posts_before(tmp_path: Path) -> None:
    path = warc_bomb(tmp_path / "crawl.warc.gz", before=5, after=5)
    assert path.stat().st_size < 1_000_000  # a few hundred KB on disk ...
    report = IngestReport()
    posts = list(iter_posts(path, report=report, max_decompressed_bytes=5_000_000))
    assert [p.url for p in posts] == [f"http://example.org/job/{i}" for i in range(5)]
    assert report.problems == [
        ("crawl.warc.gz:#6", "the archive unpacks to more than 5 MB; rest skipped")
    ]
    (detail,) = report.details
    assert (detail.code, detail.params) == ("warc.too_large_rest", {"mb": "5"})
    assert detail.code in PROBLEM_CODES
    assert report.skipped == 1 and report.ok == 5


def test_without_a_limit_or_under_it_the_whole_archive_is_read(tmp_path: Path) -> None:
    path = warc_bomb(tmp_path / "crawl.warc.gz", before=2, after=3, zeros=20_000_000)
    assert MAX_DECOMPRESSED_BYTES > ZEROS  # the default takes a real crawl
    for limit in (None, MAX_DECOMPRESSED_BYTES, 30_000_000):
        report = IngestReport()
        posts = list(iter_posts(path, report=report, max_decompressed_bytes=limit))
        assert len(posts) == 5 and report.problems == [], limit


def test_a_plain_warc_is_not_counted(tmp_path: Path) -> None:
    """The limit is on unpacking: an uncompressed WARC is as large as its file."""
    packed = warc_bomb(tmp_path / "crawl.warc.gz", before=2, after=3, zeros=3_000_000)
    plain = tmp_path / "crawl.warc"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    report = IngestReport()
    posts = list(iter_posts(plain, report=report, max_decompressed_bytes=1_000_000))
    assert len(posts) == 5 and report.problems == []
