"""``check_start`` says from a file's first bytes what ``iter_posts`` would fail the whole
file for, and nothing else: the two agree on every file."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opennrm.monitoring.ingest import SNIFF_BYTES, IngestError, check_start, iter_posts

COLUMNS = ["id", "date", "text", "Текст", "повідомлення", "Канал", "author", "body", "note"]


def _outcome(call) -> str | None:
    try:
        call()
    except IngestError as exc:
        return exc.code
    return None


def _read_whole(data: bytes, name: str, text_column: str | None) -> str | None:
    return _outcome(
        lambda: list(
            iter_posts(
                name,
                text_column=text_column,
                opener=lambda: io.BufferedReader(io.BytesIO(data), buffer_size=SNIFF_BYTES),
                name=name,
            )
        )
    )


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@st.composite
def files(draw) -> tuple[bytes, str, str | None]:
    kind = draw(st.sampled_from(["csv", "csv", "csv", "png", "xlsx", "nul", "jsonl"]))
    name = draw(st.sampled_from(["a.csv", "posts.tsv", "export.json", "x.jsonl", "noext"]))
    if kind == "png":
        return b"\x89PNG\r\n\x1a\n" + draw(st.binary(max_size=200)), name, None
    if kind == "xlsx":
        return _xlsx(), name, None
    if kind == "nul":
        return b"text,more\x00\x00" + draw(st.binary(max_size=100)), name, None
    if kind == "jsonl":
        rows = draw(st.integers(0, 3000))
        body = "".join(f'{{"text": "Робота {i}"}}\n' for i in range(rows))
        return body.encode(), "x.jsonl", None
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.integers(0, 4000))  # up to about four times the bytes checked
    lines = [delimiter.join(header)] + [
        delimiter.join(f"Робота в Польщі {i} {c}" for c in header) for i in range(rows)
    ]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16"]))
    column = draw(st.one_of(st.none(), st.sampled_from([*COLUMNS, "Оголошення"])))
    return ("\r\n".join(lines) + "\r\n").encode(encoding), "a.csv", column


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_the_start_says_what_reading_the_whole_file_would(case):
    data, name, column = case
    early = _outcome(lambda: check_start(data[:SNIFF_BYTES], name, text_column=column))
    assert early == _read_whole(data, name, column)


@pytest.mark.parametrize(
    ("data", "name", "code", "columns"),
    [
        (b"a;b;c\n1;2;3\n", "t.csv", "csv.no_text_column", ("a", "b", "c")),
        ("Дата,Канал\n1,2\n".encode("cp1251"), "t.csv", "csv.no_text_column", ("Дата", "Канал")),
        (b"\x89PNG\r\n\x1a\n....", "t.csv", "ingest.binary", ()),
        (_xlsx(), "t.csv", "ingest.binary_spreadsheet", ()),
    ],
)
def test_the_error_carries_the_header_names_beside_its_stored_values(data, name, code, columns):
    with pytest.raises(IngestError) as caught:
        check_start(data, name)
    assert caught.value.code == code
    assert caught.value.columns == columns
    assert all(v not in caught.value.params.values() for v in columns)  # never stored


def test_a_start_that_is_fine_raises_nothing_and_a_format_is_checked_by_name():
    check_start(b"text\nhello\n", "a.csv")
    check_start(b"\x1f\x8b\x08\x00garbage", "crawl.warc.gz")  # a WARC is not unpacked here
    with pytest.raises(IngestError) as caught:
        check_start(b"text\nhello\n", "a.csv", "excel")
    assert caught.value.code == "ingest.format"


def test_a_text_column_typed_in_another_case_is_found():
    data = "id;Оголошення\n1;Робота в Польщі\n".encode()
    check_start(data, "a.csv", text_column="оголошення ")
    assert _read_whole(data, "a.csv", "ОГОЛОШЕННЯ") is None
    posts = list(
        iter_posts(
            "a.csv",
            text_column="оголошення",
            opener=lambda: io.BufferedReader(io.BytesIO(data)),
            name="a.csv",
        )
    )
    assert [p.text for p in posts] == ["Робота в Польщі"]


def test_a_header_longer_than_the_bytes_checked_is_left_to_the_reader():
    columns = [f"колонка_{i}" for i in range(5000)] + ["text"]  # about 90 KB of header
    data = (",".join(columns) + "\n" + ",".join(["x"] * 5000 + ["Робота"]) + "\n").encode()
    assert data.index(b"\n") > SNIFF_BYTES
    check_start(data[:SNIFF_BYTES], "a.csv")  # not refused for a header cut short
    assert _read_whole(data, "a.csv", None) is None
