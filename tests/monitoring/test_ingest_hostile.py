"""Hostile records are reported (file, line, reason) and skipped, never the whole file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opennrm.monitoring import IngestReport, iter_posts
from opennrm.monitoring.ingest import detect_format

GOOD = 1000

BAD_LINES = {
    "deeply nested JSON": "[" * 100_000 + "]" * 100_000,
    "deeply nested text": '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "lone surrogate": '{"text": "bad \\ud800 text"}',
    "lone surrogate in channel": '{"text": "fine text", "channel": "chan \\udfff"}',
}


def _good_lines(n: int = GOOD) -> list[str]:
    return [
        json.dumps({"text": f"Job offer number {i} abroad", "date": "2024-03-01T10:00:00+02:00"})
        for i in range(n)
    ]


@pytest.mark.parametrize("bad", list(BAD_LINES))
def test_one_bad_line_among_a_thousand_good_loses_only_itself(tmp_path: Path, bad: str) -> None:
    lines = _good_lines()
    lines.insert(500, BAD_LINES[bad])
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = IngestReport()
    posts = list(iter_posts(path, report=report))
    assert len(posts) == GOOD
    assert report.skipped == 1
    where, why = report.problems[0]
    assert where == "posts.jsonl:501"
    assert why


def test_year_one_with_an_offset_keeps_the_post_without_its_date(tmp_path: Path) -> None:
    lines = _good_lines()
    lines.insert(10, json.dumps({"text": "Old post", "date": "0001-01-01T00:00:00+14:00"}))
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = IngestReport()
    posts = list(iter_posts(path, report=report))
    assert len(posts) == GOOD + 1
    old = next(p for p in posts if p.text == "Old post")
    assert old.posted_at is None
    assert report.problems == [
        ("posts.jsonl:11", "time out of range '0001-01-01T00:00:00+14:00'; post kept, date unknown")
    ]


def _warc(path: Path, n: int, without_uri: int) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(n):
            body = f"<html><body><p>Work abroad, offer {i}</p></body></html>".encode()
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.0"
            )
            record = writer.create_warc_record(
                f"http://example.org/{i}",
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
            )
            if i == without_uri:
                record.rec_headers.remove_header("WARC-Target-URI")
            writer.write_record(record)


def test_warc_response_without_target_uri_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    _warc(path, 20, without_uri=3)
    report = IngestReport()
    posts = list(iter_posts(path, report=report))
    assert len(posts) == 19
    assert report.problems == [("crawl.warc.gz:#4", "WARC response without WARC-Target-URI")]


def _telegram(messages: list[object]) -> dict[str, object]:
    return {"name": "Jobs", "type": "public_channel", "id": 7, "messages": messages}


def _message(i: int, text: object) -> dict[str, object]:
    return {"id": i, "type": "message", "date": "2024-01-02T10:00:00", "text": text}


def test_minified_telegram_export_is_sniffed_as_telegram(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(_telegram([_message(i, f"offer {i}") for i in range(5)])))
    assert "\n" not in path.read_text()
    assert detect_format(path) == "telegram"
    posts = list(iter_posts(path))
    assert [p.text for p in posts] == [f"offer {i}" for i in range(5)]
    # the same without the .json name, and longer than the sniffed sample
    big = tmp_path / "export"
    big.write_text(json.dumps(_telegram([_message(i, f"offer {i} " * 40) for i in range(200)])))
    assert big.stat().st_size > 8192
    assert detect_format(big) == "telegram"
    assert len(list(iter_posts(big))) == 200


def test_jsonl_still_sniffed_as_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "export"
    path.write_text("\n".join(_good_lines(3)) + "\n")
    assert detect_format(path) == "jsonl"
    one = tmp_path / "one"
    one.write_text(_good_lines(1)[0])
    assert detect_format(one) == "jsonl"
    pretty = tmp_path / "pretty"
    pretty.write_text(json.dumps(_telegram([_message(1, "x")]), indent=1))
    assert detect_format(pretty) == "telegram"


def test_telegram_message_nested_too_deeply_is_skipped(tmp_path: Path) -> None:
    text = json.dumps(_telegram([_message(1, "before")]))[:-2]
    text += ', {"id": 2, "type": "message", "text": ' + "[" * 50_000 + "]" * 50_000 + "}"
    text += ', {"id": 3, "type": "message", "text": "after"}]}'
    path = tmp_path / "result.json"
    path.write_text(text)
    report = IngestReport()
    assert [p.text for p in iter_posts(path, report=report)] == ["before", "after"]
    assert report.problems == [("result.json:1", "message nested too deeply")]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDBFF), min_size=1))
def test_any_unpaired_surrogate_is_a_skipped_record(tmp_path: Path, junk: str) -> None:
    path = tmp_path / "s.jsonl"
    line = json.dumps({"text": f"x{junk}y"})  # json escapes them as \udXXX
    path.write_text(line + "\n" + json.dumps({"text": "kept"}) + "\n", encoding="utf-8")
    report = IngestReport()
    assert [p.text for p in iter_posts(path, report=report)] == ["kept"]
    assert report.skipped == 1
