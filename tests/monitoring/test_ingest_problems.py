"""Every ingest problem carries a stable reason code with its values, beside the English."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opennrm.monitoring import IngestReport, Problem, iter_posts
from opennrm.monitoring.ingest import PROBLEM_CODES


def _read(path: Path, fmt: str, **opts: object) -> IngestReport:
    report = IngestReport()
    list(iter_posts(path, fmt, report=report, **opts))  # type: ignore[arg-type]
    return report


def _check(report: IngestReport) -> None:
    assert [(d.where, d.text) for d in report.details] == report.problems
    assert all(d.code in PROBLEM_CODES for d in report.details)


def test_jsonl_problems_have_codes_and_values(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    lines = [
        "{broken",
        "[1, 2]",
        '{"message": 5}',
        '{"title": "no text here"}',
        '{"text": "ok", "channel": {"nested": 1}}',
        '{"text": "bad date", "date": "31.02.2024 25:61"}',
        '{"text": "ok too"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = _read(path, "jsonl")
    _check(report)
    codes = [(d.where, d.code, dict(d.params)) for d in report.details]
    assert codes[0] == ("p.jsonl:1", "json.invalid", {"column": 2})
    assert codes[1] == ("p.jsonl:2", "record.not_object", {})
    assert codes[2] == ("p.jsonl:3", "record.text_not_string", {"field": "message"})
    assert codes[3][1:] == (
        "record.no_text",
        {"fields": "text/message/content/body/post/текст/повідомлення/сообщение/допис/пост"},
    )
    assert codes[4] == ("p.jsonl:5", "record.field_not_scalar", {"field": "channel"})
    assert codes[5] == ("p.jsonl:6", "date.unknown", {"value": "31.02.2024 25:61"})
    assert report.problems[0] == ("p.jsonl:1", "invalid JSON: Expecting property name enclosed in double quotes")  # fmt: skip
    assert report.skipped == 5 and report.dates_unknown == 1


def test_csv_and_telegram_problems_have_codes(tmp_path: Path) -> None:
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("text,channel\nhello,c\nonly one field,c,extra\n", encoding="utf-8")
    report = _read(csv_path, "csv")
    _check(report)
    assert [(d.code, dict(d.params)) for d in report.details] == [
        ("csv.width", {"fields": 3, "header": 2})
    ]
    tg = tmp_path / "result.json"
    messages = [{"id": 1, "type": "message", "text": {"x": 1}}, {"id": 2, "text": "fine"}]
    tg.write_text(json.dumps({"name": "n", "messages": messages}), encoding="utf-8")
    report = _read(tg, "telegram")
    _check(report)
    assert [(d.code, dict(d.params)) for d in report.details] == [
        ("telegram.text_type", {"type": "dict"})
    ]


def test_merged_reports_keep_their_codes() -> None:
    a, b = IngestReport(), IngestReport()
    a.problem("a:1", "malformed CSV: x", "csv.malformed")
    b.problem("b:2", "something", "record.invalid")
    a.merge(b)
    assert a.details == [
        Problem("a:1", "csv.malformed", {}, "malformed CSV: x"),
        Problem("b:2", "record.invalid", {}, "something"),
    ]


_BAD = st.sampled_from(
    ["{", "[1]", '{"text": 5}', "null", '{"nope": "x"}', '"str"', "{]", "\udcff"]
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(_BAD, st.text(min_size=1, max_size=20).map(lambda t: json.dumps({"text": t})))
    )
)
def test_every_skipped_jsonl_record_has_a_known_code(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
    report = _read(path, "jsonl")
    _check(report)
    assert len(report.details) == report.skipped + report.dates_unknown
