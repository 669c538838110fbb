"""A picture, a scan or a workbook renamed to .csv (or to any text format's name) is said
to be what it is, not "no text column (columns: 1)"; text in UTF-16 and compressed WARCs
still read."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from opennrm.monitoring.ingest import IngestError, binary_kind, iter_posts

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def _office(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():
            # OpenDocument stores its "mimetype" first and uncompressed, as here
            stored = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, text, compress_type=stored)
    return buffer.getvalue()


XLSX = _office({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
DOCX = _office({"[Content_Types].xml": "<Types/>", "word/document.xml": "<document/>"})
ODS = _office({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"})
ZIP = _office({"posts.csv": "text\nhello\n"})


def _fail(path: Path, fmt: str = "auto", **kwargs: object) -> IngestError:
    with pytest.raises(IngestError) as caught:
        list(iter_posts(path, fmt, **kwargs))  # type: ignore[arg-type]
    json.dumps(caught.value.params)  # JSON-safe
    return caught.value


@pytest.mark.parametrize(
    ("data", "code", "kind"),
    [
        (PNG, "ingest.binary", "PNG"),
        (JPEG, "ingest.binary", "JPEG"),
        (GIF, "ingest.binary", "GIF"),
        (PDF, "ingest.binary", "PDF"),
        (DOCX, "ingest.binary", "DOCX"),
        (ZIP, "ingest.binary", "ZIP"),
        (XLSX, "ingest.binary_spreadsheet", "XLSX"),
        (ODS, "ingest.binary_spreadsheet", "ODS"),
    ],
    ids=["png", "jpeg", "gif", "pdf", "docx", "zip", "xlsx", "ods"],
)
@pytest.mark.parametrize("name", ["ivan-petrenko.csv", "result.json", "posts.jsonl", "page.html"])
def test_a_binary_file_under_a_text_name_says_what_it_is(tmp_path, data, code, kind, name):
    path = tmp_path / name
    path.write_bytes(data)
    error = _fail(path)
    assert (error.code, error.params) == (code, {"kind": kind})
    assert "petrenko" not in json.dumps(error.params)


def test_a_binary_file_without_an_extension_too(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(PNG)
    assert _fail(path).code == "ingest.binary"


def test_a_gzip_file_named_as_text_is_binary(tmp_path):
    # only a WARC may be compressed (``.warc.gz``, or a gzip file without an extension)
    path = tmp_path / "posts.csv"
    path.write_bytes(gzip.compress(b"text\nhello\n"))
    assert (_fail(path).code, _fail(path).params) == ("ingest.binary", {"kind": "gzip"})


def test_nul_bytes_in_a_file_that_is_not_utf16_say_binary_data(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"text,channel\nhello\x00\x00\x13\x37\x00,c\n")
    error = _fail(path)
    assert (error.code, error.params) == ("ingest.binary_data", {})
    assert "not text" in str(error)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_still_reads(tmp_path, encoding):
    path = tmp_path / "posts.csv"
    path.write_bytes("text;channel\nРобота в Польщі;c\n".encode(encoding))
    # utf-16 and utf-32 write a BOM; -le and -be none: found by the encoding rule
    assert binary_kind(path.read_bytes()) is None
    assert [p.text for p in iter_posts(path)] == ["Робота в Польщі"]


def test_a_compressed_warc_is_not_refused():
    assert binary_kind(gzip.compress(b"WARC/1.0\r\n")) == ("ingest.binary", "gzip")
    # … but the WARC reader is never asked about it: see the WARC tests, which pass


def test_text_is_not_binary():
    assert binary_kind("текст,канал\nпривіт,c\n".encode()) is None
    assert binary_kind("текст".encode("cp1251")) is None
    assert binary_kind(b"") is None
