from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opennrm.monitoring.ingest import (
    IngestError,
    IngestReport,
    append_checkpoint,
    detect_encoding,
    detect_format,
    iter_posts,
    load_checkpoint,
)


def ingest(path: Path, **opts: object) -> tuple[list, IngestReport]:  # type: ignore[type-arg]
    report = IngestReport()
    posts = list(iter_posts(path, report=report, **opts))  # type: ignore[arg-type]
    return posts, report


TELEGRAM = {
    "name": "Робота за кордоном",
    "type": "public_supergroup",
    "id": 123,
    "messages": [
        {"id": 1, "type": "service", "date": "2024-01-01T10:00:00", "action": "create_group"},
        {
            "id": 2, "type": "message", "date": "2024-01-02T10:00:00",
            "date_unixtime": "1704189600", "from": "Олег", "from_id": "user1",
            "text": "Робота в Польщі, 3000 zł",
        },
        {
            "id": 3, "type": "message", "date": "2024-01-03T11:30:00", "from": "Ann",
            "text": ["Пиши ", {"type": "mention", "text": "@jobs_pl"}, " або +48 512 345 678"],
        },
        {"id": 4, "type": "message", "date": "2024-01-03T12:00:00", "text": 42},
        {"id": 5, "type": "message", "date": "2024-01-03T12:00:00", "text": "", "photo": "x"},
        {"id": 6, "type": "message", "date": "not a date", "text": "bad date"},
    ],
}  # fmt: skip


def test_telegram_export(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(TELEGRAM, ensure_ascii=False, indent=1), encoding="utf-8")
    assert detect_format(path) == "telegram"
    posts, report = ingest(path)
    assert [p.text for p in posts] == [
        "Робота в Польщі, 3000 zł",
        "Пиши @jobs_pl або +48 512 345 678",
        "bad date",  # kept: only its date is lost
    ]
    assert posts[2].posted_at is None
    assert posts[0].channel == "Робота за кордоном"
    assert posts[0].author == "Олег"
    assert posts[0].posted_at == datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    assert posts[1].posted_at == datetime(2024, 1, 3, 11, 30, tzinfo=UTC)  # naive -> UTC
    assert posts[0].source == "telegram"
    assert posts[0].record is not None and posts[0].record.startswith("result.json:")
    assert (report.read, report.ok, report.skipped, report.ignored) == (6, 3, 1, 2)
    assert report.dates_unknown == 1
    reasons = [reason for _, reason in report.problems]
    assert any("text is int" in r for r in reasons)
    assert any("bad time" in r and "date unknown" in r for r in reasons)


def test_csv_row_with_an_unreadable_date_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "text,date\nРобота в Польщі,2024-13-45\nПраца в Чехії,2024-01-02 10:00\n", "utf-8"
    )
    posts, report = ingest(path)
    assert [p.text for p in posts] == ["Робота в Польщі", "Праца в Чехії"]
    assert posts[0].posted_at is None and posts[1].posted_at is not None
    assert report.skipped == 0 and report.dates_unknown == 1


def test_naive_times_are_read_in_the_given_zone(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    path = tmp_path / "posts.csv"
    path.write_text("text,date\nРобота,2024-07-01 12:00\nПраца,2024-07-01T12:00+00:00\n", "utf-8")
    posts = list(iter_posts(path, default_tz=ZoneInfo("Europe/Kyiv")))
    assert posts[0].posted_at == datetime(2024, 7, 1, 9, 0, tzinfo=UTC)  # 12:00 in Kyiv (UTC+3)
    assert posts[1].posted_at == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)  # its own offset wins


def test_telegram_streams_across_chunks_and_all_chats_export(tmp_path: Path) -> None:
    chats = []
    for c in range(3):
        msgs = [
            {"id": i, "type": "message", "date": "2024-02-01T00:00:00", "text": f"чат {c} " * 40}
            for i in range(300)
        ]
        for i, m in enumerate(msgs):
            m["text"] = str(m["text"]) + str(i)
        chats.append({"name": f"chat {c}", "type": "private_group", "id": c, "messages": msgs})
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"about": "x", "chats": {"list": chats}}), encoding="utf-8")
    assert path.stat().st_size > 3 * 65536
    posts, report = ingest(path)
    assert report.skipped == 0
    assert len(posts) == 900
    assert {p.channel for p in posts} == {"chat 0", "chat 1", "chat 2"}


def test_telegram_truncated_file_keeps_earlier_messages(tmp_path: Path) -> None:
    text = json.dumps(TELEGRAM, ensure_ascii=False, indent=1)
    path = tmp_path / "result.json"
    cut = text.index('"id": 4')
    path.write_text(text[:cut] + '"text": "unterminated', encoding="utf-8")
    posts, report = ingest(path)
    assert len(posts) == 2
    assert report.skipped == 1
    assert "rest skipped" in report.problems[0][1] or "ends" in report.problems[0][1]


def test_csv_cp1251_with_columns(tmp_path: Path) -> None:
    path = tmp_path / "ads.csv"
    rows = (
        "id;message;channel;date\n"
        "1;Работа в Германии;@jobs;2024-03-01T08:00:00+02:00\n"
        "2;Без опыта;@jobs;\n"
    )
    path.write_bytes(rows.encode("cp1251"))
    posts, report = ingest(path)
    assert report.encodings["ads.csv"] == "cp1251"
    assert [p.text for p in posts] == ["Работа в Германии", "Без опыта"]
    assert posts[0].channel == "@jobs"
    assert posts[0].posted_at is not None and posts[0].posted_at.utcoffset() is not None
    assert posts[0].record == "ads.csv:2"


def test_csv_from_excel_in_ukrainian_or_russian(tmp_path: Path) -> None:
    # what Excel writes in a Ukrainian or Russian locale: ";", cp1251, the columns named
    # in the officer's language and the dates day first with dots
    path = tmp_path / "ads.csv"
    rows = (
        "Дата;Текст;Канал;Автор;Посилання\n"
        "25.11.2026 08:00;Робота в Польщі, житло безкоштовно;vakansii_pl;Олег;https://t.me/x/1\n"
        "26.11.2026;Работа в Германии;jobs_de;Иван;\n"
        "31.11.2026 10:00;Праца в Чехії;jobs_cz;;\n"
    )
    path.write_bytes(rows.encode("cp1251"))
    posts, report = ingest(path, default_tz=UTC)
    assert [p.text for p in posts] == [
        "Робота в Польщі, житло безкоштовно",
        "Работа в Германии",
        "Праца в Чехії",
    ]
    assert [p.channel for p in posts] == ["vakansii_pl", "jobs_de", "jobs_cz"]
    assert [p.author for p in posts] == ["Олег", "Иван", None]
    assert posts[0].url == "https://t.me/x/1"
    assert posts[0].posted_at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert posts[1].posted_at == datetime(2026, 11, 26, tzinfo=UTC)
    # a day that does not exist is still an unreadable date: the post is kept without it
    assert posts[2].posted_at is None and report.dates_unknown == 1


@pytest.mark.parametrize("header", ["текст", "Повідомлення", "сообщение", "допис"])
def test_csv_text_column_named_in_ukrainian_or_russian(tmp_path: Path, header: str) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(f"{header},канал\nРобота в Польщі,pl\n", "utf-8")
    posts, _report = ingest(path)
    assert [(p.text, p.channel) for p in posts] == [("Робота в Польщі", "pl")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-le"])
def test_csv_unicode_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("text,author\nПраця в Чехії,a\nPraca w Niemczech,b\n".encode(encoding))
    posts, _ = ingest(path)
    assert [p.text for p in posts] == ["Праця в Чехії", "Praca w Niemczech"]


def test_csv_errors_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    big = "б" * 200_000  # over the csv module's default field limit
    path.write_bytes(
        b"text,author\n"
        + b"ok one,a\n"
        + b"bad \xff\xfe bytes,b\n"
        + b"too,many,fields\n"
        + f'"{big}",c\n'.encode()
        + b'"multi\nline",d\n'
        + b"x" * 50
        + b",e\n"
    )
    # the first 64 KiB are not UTF-8, so the automatic rule would read cp1251: say utf-8
    posts, report = ingest(path, max_chars=100_000, encoding="utf-8")
    assert [p.text for p in posts] == ["ok one", "multi\nline", "x" * 50]
    assert report.skipped == 3
    reasons = dict(report.problems)
    assert "undecodable" in reasons["x.csv:3"]
    assert "3 fields" in reasons["x.csv:4"]
    assert "oversized" in reasons["x.csv:5"]
    assert posts[1].record == "x.csv:6"


def test_a_quote_left_open_costs_its_own_line_not_the_rest_of_the_file(tmp_path: Path) -> None:
    # one stray quote in row 3 of 2,000 ran the record on to the end of the file: "read 3,
    # stored 2, skipped 1" and 1,997 posts gone without a word
    path = tmp_path / "posts.csv"
    rows = [f"2026-11-01 10:00,Робота номер {i} у Польщі,c" for i in range(1, 2001)]
    rows[2] = '2026-11-01 10:00,"Робота в Польщі без другої лапки,c'
    path.write_text("date,text,channel\n" + "\n".join(rows) + "\n", "utf-8")
    posts, report = ingest(path)
    assert report.read == 2000 and report.skipped == 1 and len(posts) == 1999
    assert posts[2].text == "Робота номер 4 у Польщі" and posts[2].record == "posts.csv:5"
    ((where, _why),) = report.problems
    assert where == "posts.csv:4" and report.details[0].code == "csv.open_quote"


def test_a_quote_left_open_in_the_last_column_costs_its_own_line(tmp_path: Path) -> None:
    # the record had the header's width (the rest of the file one text field): nothing
    # was even reported
    path = tmp_path / "posts.csv"
    rows = [f"{i},Робота номер {i}" for i in range(1, 501)]
    rows[2] = '3,"Робота без другої лапки'
    path.write_text("id,text\n" + "\n".join(rows) + "\n", "utf-8")
    posts, report = ingest(path)
    assert (report.read, report.skipped, len(posts)) == (500, 1, 499)
    assert [w for w, _ in report.problems] == ["posts.csv:4"]


def test_a_quote_that_closes_on_a_later_line_costs_only_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "date,text,channel\n"
        '2026-11-01 10:00,"без другої лапки,c\n'
        '2026-11-02 10:00,"Продам велосипед, Київ",c\n'
        '2026-11-03 10:00,"Текст у два\nрядки, як у Telegram",c\n',
        "utf-8",
    )
    posts, report = ingest(path)
    assert [p.text for p in posts] == [
        "Продам велосипед, Київ",
        "Текст у два\nрядки, як у Telegram",
    ]
    assert [p.record for p in posts] == ["posts.csv:3", "posts.csv:4"]
    assert [w for w, _ in report.problems] == ["posts.csv:2"]


def test_a_stray_quote_before_a_malformed_line_costs_only_those_two_lines(tmp_path: Path) -> None:
    # the line after the stray quote was itself malformed: the record ran on to the next
    # quote (row 40) and every line between was lost as one "wrong width" problem
    path = tmp_path / "posts.csv"
    rows = [f"2026-11-01 10:00,Робота номер {i} у Польщі,c" for i in range(1, 61)]
    rows[9] = '2026-11-01 10:00,"Робота без другої лапки,c'
    rows[10] = "зайве,поле,у,рядку"
    rows[39] = '2026-11-01 10:00,"Ще одна лапка без пари,c'
    path.write_text("date,text,channel\n" + "\n".join(rows) + "\n", "utf-8")
    posts, report = ingest(path)
    assert len(posts) == 57 and report.read == 60 and report.skipped == 3
    assert [(w, d.code) for (w, _), d in zip(report.problems, report.details, strict=True)] == [
        ("posts.csv:11", "csv.open_quote"),
        ("posts.csv:12", "csv.width"),
        ("posts.csv:41", "csv.open_quote"),
    ]
    assert {p.text for p in posts} == {
        f"Робота номер {i} у Польщі" for i in range(1, 61) if i not in (10, 11, 40)
    }


def test_a_literal_quote_beside_a_multi_line_quoted_field_stays_one_record(
    tmp_path: Path,
) -> None:
    # the quote in '5" екран' is text; counting every quote made the record look
    # unclosed and split it in two
    path = tmp_path / "posts.csv"
    path.write_text(
        'note,text\n5" екран,"Продам телефон\nдзвоніть увечері"\nok,Наступний допис\n',
        "utf-8",
    )
    posts, report = ingest(path)
    assert [p.text for p in posts] == ["Продам телефон\nдзвоніть увечері", "Наступний допис"]
    assert report.skipped == 0 and report.problems == []


_WORDS = st.sampled_from(["Робота", "у", "Польщі", "praca", "Київ", "5000", "zł", "ёж", "ґанок"])
_TEXTS = st.lists(_WORDS, min_size=1, max_size=4).map(" ".join)


@st.composite
def _damaged_csv(draw: st.DrawFn) -> tuple[list[tuple[str, str]], set[int]]:
    """Rows (line, text) of a three-column CSV, some damaged: a quote opened and never
    closed, a wrong number of fields. Good rows may quote a text with a comma or a line
    break, or hold a literal quote inside an unquoted field."""
    rows: list[tuple[str, str]] = []
    damaged: set[int] = set()
    for i in range(draw(st.integers(1, 25))):
        text = f"{draw(_TEXTS)} {i}"
        kind = draw(
            st.sampled_from(["plain", "plain", "comma", "lines", "literal", "open", "wide"])
        )
        if kind == "comma":
            text = f"{text}, {draw(_TEXTS)}"
            rows.append((f'{i},"{text}",c', text))
        elif kind == "lines":
            text = f"{text}\n{draw(_TEXTS)}"
            rows.append((f'{i},"{text}",c', text))
        elif kind == "literal":
            text = f'5" {text}'
            rows.append((f"{i},{text},c", text))
        elif kind == "open":
            rows.append((f'{i},"{text},c', text))
            damaged.add(i)
        elif kind == "wide":
            rows.append((f"{i},{text},c,зайве", text))
            damaged.add(i)
        else:
            rows.append((f"{i},{text},c", text))
    return rows, damaged


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=_damaged_csv())
def test_damaged_rows_cost_only_themselves(tmp_path: Path, case: tuple) -> None:  # type: ignore[type-arg]
    rows, damaged = case
    path = tmp_path / "posts.csv"
    path.write_text("id,text,channel\n" + "\n".join(line for line, _ in rows) + "\n", "utf-8")
    posts, report = ingest(path)
    good = [text for i, (_line, text) in enumerate(rows) if i not in damaged]
    assert [p.text for p in posts] == good
    assert report.skipped == len(damaged) and report.read == len(rows)


def test_csv_huge_field_accepted(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text\n" + "a" * 300_000 + "\n", encoding="utf-8")
    posts, report = ingest(path)
    assert len(posts) == 1 and report.skipped == 0


def test_csv_single_column_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text\nРабота, жильё, питание; звоните\nвторая, строка\n", encoding="utf-8")
    posts, report = ingest(path)
    assert [p.text for p in posts] == ["Работа, жильё, питание; звоните", "вторая, строка"]
    assert report.skipped == 0


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.text(min_size=1, max_size=30)
            .filter(lambda s: s.strip() and "\x00" not in s)
            .map(lambda t: ("ok", t)),
            st.just(("bad", "")),
        ),
        max_size=15,
    )
)
def test_csv_never_loses_a_valid_row(tmp_path: Path, items: list[tuple[str, str]]) -> None:
    path = tmp_path / "h.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "author"])
        for i, (kind, value) in enumerate(items):
            writer.writerow([value, f"a{i}"] if kind == "ok" else ["x", "y", "extra field"])
    report = IngestReport()
    posts = list(iter_posts(path, "csv", report=report))
    assert [p.text for p in posts] == [v for kind, v in items if kind == "ok"]
    assert report.skipped == sum(1 for kind, _ in items if kind == "bad")


def test_csv_missing_text_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"x\.csv: no text column.*columns are: a, b"):
        ingest(path)
    with pytest.raises(IngestError, match="'body'"):
        ingest(path, text_column="body")


def test_jsonl_and_dedup_and_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    lines = [
        json.dumps({"text": "одна", "channel": "c"}, ensure_ascii=False),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"text": "одна", "channel": "c"}, ensure_ascii=False),
        "",
        json.dumps({"message": "дві", "url": "https://x.example/1"}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    posts, report = ingest(path)
    assert [p.text for p in posts] == ["одна", "дві"]
    assert (report.read, report.ok, report.skipped, report.duplicates) == (5, 2, 2, 1)
    checkpoint = tmp_path / "seen.txt"
    append_checkpoint(checkpoint, [p.id for p in posts])
    again, report2 = ingest(path, seen=load_checkpoint(checkpoint))
    assert again == [] and report2.duplicates == 3


def test_posts_jsonl_round_trip(tmp_path: Path) -> None:
    tg = tmp_path / "result.json"
    tg.write_text(json.dumps(TELEGRAM, ensure_ascii=False), encoding="utf-8")
    posts, _ = ingest(tg)
    out = tmp_path / "posts.jsonl"
    out.write_text("".join(p.to_json() + "\n" for p in posts), encoding="utf-8")
    back, report = ingest(out)
    assert back == posts and report.skipped == 0


def test_jsonl_oversized_line_is_drained(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"text": "x" * 5000}) + "\n" + json.dumps({"text": "small"}) + "\n",
        encoding="utf-8",
    )
    posts, report = ingest(path, max_chars=1000)
    assert [p.text for p in posts] == ["small"]
    assert "oversized" in report.problems[0][1]


_VALID = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != "")
_BAD = st.sampled_from(["{", "[1]", '{"text": 5}', "null", '{"nope": "x"}', '"str"', "{]"])


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_VALID.map(lambda t: ("ok", t)), _BAD.map(lambda b: ("bad", b)))))
def test_jsonl_never_loses_a_valid_record(tmp_path: Path, items: list[tuple[str, str]]) -> None:
    path = tmp_path / "h.jsonl"
    lines = [
        json.dumps({"text": v, "n": i}) if kind == "ok" else v for i, (kind, v) in enumerate(items)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = IngestReport()
    posts = list(iter_posts(path, "jsonl", report=report))
    expected = [v for kind, v in items if kind == "ok"]
    assert [p.text for p in posts] == list(dict.fromkeys(expected))  # duplicates: same text
    assert report.skipped == sum(1 for kind, _ in items if kind == "bad")
    assert report.ok + report.duplicates == len(expected)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_VALID.map(lambda t: ("ok", t)), st.just(("bad", ""))), max_size=20))
def test_telegram_never_loses_a_valid_message(tmp_path: Path, items: list[tuple[str, str]]) -> None:
    msgs = [
        {"id": i, "type": "message", "date": f"2024-01-01T00:00:{i % 60:02d}", "text": v}
        if kind == "ok"
        else {"id": i, "type": "message", "text": {"bad": True}}
        for i, (kind, v) in enumerate(items)
    ]
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"name": "n", "messages": msgs}), encoding="utf-8")
    report = IngestReport()
    posts = list(iter_posts(path, "telegram", report=report))
    assert report.skipped == sum(1 for kind, _ in items if kind == "bad")
    assert len(posts) == sum(1 for kind, _ in items if kind == "ok")


HTML = """<!doctype html><html><head><title>Вакансії</title>
<link rel="canonical" href="https://jobs.example.ua/ad/1">
<meta property="article:published_time" content="2024-04-01T09:00:00+03:00">
<style>body{color:red}</style><script>alert("робота")</script></head>
<body><h1>Робота в Німеччині</h1><p>Зарплата від 2000&nbsp;&euro;<br>Пишіть&amp;дзвоніть</p>
<noscript>ignored</noscript><svg><text>no</text></svg></body></html>"""


def test_html_page(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    posts, report = ingest(path)
    assert len(posts) == 1 and report.ok == 1
    post = posts[0]
    assert post.text == "Робота в Німеччині\nЗарплата від 2000 €\nПишіть&дзвоніть"
    assert post.url == "https://jobs.example.ua/ad/1"
    assert post.channel == "jobs.example.ua"
    assert post.posted_at == datetime.fromisoformat("2024-04-01T09:00:00+03:00")


def test_html_cp1251_meta_charset(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    markup = '<html><head><meta charset="windows-1251"></head><body>Работа</body></html>'
    path.write_bytes(markup.encode("cp1251"))
    posts, _ = ingest(path)
    assert posts[0].text == "Работа"


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Jobs feed</title>
<item><title>Praca w Holandii</title><link>https://x.example/1</link>
<description>&lt;p&gt;Zarobki 3000 &lt;b&gt;EUR&lt;/b&gt;&lt;/p&gt;</description>
<pubDate>Tue, 02 Apr 2024 10:00:00 +0000</pubDate><dc:creator>hr</dc:creator></item>
<item><link>https://x.example/2</link></item>
<item><title>Second</title><pubDate>yesterday</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom jobs</title>
<entry><title>Lucru în Germania</title><link rel="alternate" href="https://y.example/a"/>
<updated>2024-04-03T10:00:00Z</updated><author><name>Ion</name></author>
<content type="html">Salariu 2500 lei</content></entry></feed>"""


def test_rss_and_atom(tmp_path: Path) -> None:
    rss = tmp_path / "feed.rss"
    rss.write_text(RSS, encoding="utf-8")
    posts, report = ingest(rss)
    assert [p.text for p in posts] == ["Praca w Holandii\nZarobki 3000 EUR"]
    assert posts[0].url == "https://x.example/1"
    assert posts[0].author == "hr" and posts[0].channel == "Jobs feed"
    assert posts[0].posted_at == datetime(2024, 4, 2, 10, tzinfo=UTC)
    assert report.skipped == 2  # one item without text, one with a bad date
    atom = tmp_path / "atom.xml"
    atom.write_text(ATOM, encoding="utf-8")
    posts, _ = ingest(atom)
    assert posts[0].text == "Lucru în Germania\nSalariu 2500 lei"
    assert posts[0].url == "https://y.example/a" and posts[0].author == "Ion"


def test_feed_with_entities_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">'
        '<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<rss><channel><item><title>&b; &x;</title></item></channel></rss>",
        encoding="utf-8",
    )
    posts, report = ingest(evil)
    assert posts == []
    assert "refused" in report.problems[0][1]


def test_warc(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for uri, ctype, body in [
            ("https://a.example/1", "text/html; charset=utf-8", HTML.encode()),
            ("https://a.example/img.png", "image/png", b"\x89PNG"),
            ("https://b.example/2", "text/html; charset=cp1251", "<p>Работа</p>".encode("cp1251")),
        ]:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.0")
            record = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
    assert detect_format(path) == "warc"
    posts, report = ingest(path)
    assert [p.url for p in posts] == ["https://a.example/1", "https://b.example/2"]
    assert posts[1].text == "Работа" and posts[1].channel == "b.example"
    assert posts[1].posted_at is not None  # WARC-Date when the page has none
    assert report.read == 2


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("Привет".encode("utf-8-sig"), "utf-8-sig"),
        ("Привет".encode("utf-16"), "utf-16"),
        ("Привет, мир".encode("utf-16-le"), "utf-16-le"),
        ("Привет, мир".encode("utf-16-be"), "utf-16-be"),
        ("Привет".encode(), "utf-8"),
        ("Привет".encode("cp1251"), "cp1251"),
        ("Привет".encode()[:-1], "utf-8"),  # cut multibyte at the sample's end
    ],
)
def test_detect_encoding(head: bytes, expected: str) -> None:
    assert detect_encoding(head) == expected


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="unknown format"):
        ingest(tmp_path / "x", format="pdf")
    with pytest.raises(IngestError, match="cannot read"):
        ingest(tmp_path / "missing.csv")
