"""A whole file that cannot be read says why as a stable code with JSON-safe values
(shown in the reader's language by the app), beside the English sentence for notebooks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from opennrm.monitoring import ingest as ingest_module
from opennrm.monitoring.ingest import IngestError, iter_posts


def _fail(path: Path, fmt: str = "auto", **kwargs: object) -> IngestError:
    with pytest.raises(IngestError) as caught:
        list(iter_posts(path, fmt, **kwargs))  # type: ignore[arg-type]
    json.dumps(caught.value.params)  # JSON-safe
    return caught.value


def test_unknown_format(tmp_path: Path) -> None:
    error = _fail(tmp_path / "ivan-petrenko.txt", "pdf")
    assert (error.code, error.params) == ("ingest.format", {"format": "pdf"})
    assert "unknown format 'pdf'" in str(error)


@pytest.mark.parametrize("name", ["ivan-petrenko.csv", "ivan-petrenko"])
def test_missing_file(tmp_path: Path, name: str) -> None:
    # with an extension the format is known; without one it is sniffed from the (missing) file
    error = _fail(tmp_path / name)
    assert (error.code, error.params) == ("ingest.unreadable", {"errno": "ENOENT"})
    assert f"cannot read {tmp_path / name}" in str(error)  # the library's own user sees it


def test_unreadable_csv_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    strict = type("_Strict", (csv.excel,), {"strict": True})
    monkeypatch.setattr(ingest_module, "sniff_dialect", lambda sample: strict)
    path = tmp_path / "ivan-petrenko.csv"
    path.write_text('"te"xt,b\n1,2\n', encoding="utf-8")
    error = _fail(path)
    assert (error.code, error.params) == ("csv.header_unreadable", {})
    assert "unreadable CSV header" in str(error)


def test_header_in_another_encoding(tmp_path: Path) -> None:
    path = tmp_path / "ivan-petrenko.csv"
    path.write_bytes("текст,автор\nпривіт,а\n".encode("cp1251"))
    error = _fail(path, encoding="utf-8")
    assert (error.code, error.params) == ("csv.header_encoding", {"encoding": "utf-8"})


def test_no_text_column_keeps_the_file_and_its_contents_out_of_params(tmp_path: Path) -> None:
    path = tmp_path / "ivan-petrenko.csv"
    path.write_text("Ivan Petrenko,+380501234567\nb,c\n", encoding="utf-8")  # no header line
    error = _fail(path)
    assert error.code == "csv.no_text_column"
    assert error.params == {
        "wanted": "text/message/content/body/post/текст/повідомлення/сообщение/допис/пост",
        "columns": 2,
    }
    assert "Ivan Petrenko" in str(error)  # the English sentence names the columns ...
    assert "Petrenko" not in json.dumps(error.params) and "petrenko" not in json.dumps(
        error.params
    )  # ... the values shown to other people do not
    error = _fail(path, text_column="body")
    assert error.params == {"wanted": "body", "columns": 2}
