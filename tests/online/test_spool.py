"""An upload waits for the worker encrypted under a neutral name (the spool) and is read
back decrypted as a stream: every format imports exactly as the same file does from the
command line (which reads the operator's own file in place); the keys it is written
under; ``opennrm keys rotate`` re-encrypts the queued ones."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from opennrm.crypto.files import open_decrypted
from opennrm.crypto.keys import generate_key
from opennrm.crypto.services import keys_rotate
from opennrm.online.models import ImportRun, ImportState
from opennrm.online.services import (
    import_enqueue,
    import_process,
    import_spools_rotate,
    online_import,
    spool_keys,
)
from tests.monitoring.test_ingest import HTML, RSS, TELEGRAM

ADS = [
    {"text": f"Робота в Польщі {i}, житло безкоштовно, тел +48 512 345 {i:03d}", "channel": "jobs"}
    for i in range(30)
]


def _jsonl() -> bytes:
    lines = [json.dumps(ad, ensure_ascii=False) for ad in ADS]
    return ("\n".join(lines) + '\n{"text": broken\n').encode()


def _csv() -> bytes:
    rows = ["text;channel;date"] + [
        f"{ad['text']};jobs;2024-03-0{1 + i % 9}" for i, ad in enumerate(ADS)
    ]
    return ("\n".join(rows) + "\nonly;two\n").encode("cp1251")


def _warc(gzip: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for uri, ctype, body in [
        ("https://a.example/1", "text/html; charset=utf-8", HTML.encode()),
        ("https://a.example/img.png", "image/png", b"\x89PNG"),
        ("https://b.example/2", "text/html; charset=cp1251", "<p>Работа</p>".encode("cp1251")),
    ] + [
        (f"https://c.example/{i}", "text/html", f"<p>{ADS[i]['text']}</p>".encode())
        for i in range(20)
    ]:
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.0")
        record = writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), http_headers=headers
        )
        writer.write_record(record)
    return out.getvalue()


def _minified_telegram() -> bytes:
    """One line longer than the format sniffer's sample (8 KB): guessed from the content."""
    export = dict(TELEGRAM)
    export["messages"] = [
        {"id": 10 + i, "type": "message", "date": "2024-01-02T10:00:00", "text": ad["text"]}
        for i, ad in enumerate(ADS * 4)
    ]
    body = json.dumps(export, ensure_ascii=False).encode()
    assert b"\n" not in body and len(body) > 8192
    return body


FILES = {
    "jsonl": ("Гнатюк posts.jsonl", _jsonl),
    "csv": ("posts.csv", _csv),
    "telegram": (
        "result.json",
        lambda: json.dumps(TELEGRAM, ensure_ascii=False, indent=1).encode(),
    ),
    "html": ("page.html", HTML.encode),
    "rss": ("feed.rss", RSS.encode),
    "warc": ("crawl.warc", lambda: _warc(False)),
    "warc.gz": ("crawl.warc.gz", lambda: _warc(True)),
    "telegram, no extension": ("export", _minified_telegram),
    "jsonl, no extension": ("posts", _jsonl),
}


def _same(run: ImportRun) -> tuple[object, ...]:
    run.refresh_from_db()
    return (run.state, run.error, run.read, run.stored, run.skipped, run.duplicates, run.problems)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(FILES))
def test_each_format_imports_from_the_spool_as_from_the_command_line(
    world, tmp_path, settings, kind
):
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    name, make = FILES[kind]
    body = make()
    mine = tmp_path / "cli" / name
    mine.parent.mkdir()
    mine.write_bytes(body)
    expected = online_import(actor=world.border_guard, path=mine, source_name=name)
    assert mine.read_bytes() == body  # the command line reads the operator's file in place
    assert expected.stored > 0

    pieces = [body[i : i + 1000] for i in range(0, len(body), 1000)]  # as a request streams
    run = import_enqueue(actor=world.officer, chunks=iter(pieces), source_name=name)
    spool = Path(run.upload_path)
    assert spool.suffix == ".spool" and name not in str(spool)
    assert body[:64] not in spool.read_bytes()
    with open_decrypted(spool, keys=spool_keys()) as plain:
        assert plain.read() == body
    import_process(run_id=run.pk)
    assert _same(run) == _same(expected)
    assert not spool.exists()


@pytest.mark.django_db
def test_without_file_keys_an_upload_is_encrypted_under_keys_from_the_data_keys(
    world, tmp_path, settings
):
    """No OPENNRM_FILE_KEYS (attachments are then refused): an upload is still taken,
    under a key derived from OPENNRM_DATA_KEYS; once a file key is set, new uploads use
    it, and the one queued before is still read."""
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    settings.OPENNRM_FILE_KEYS = []
    before = import_enqueue(actor=world.officer, chunks=[_jsonl()], source_name="a.jsonl")
    file_key = generate_key()
    settings.OPENNRM_FILE_KEYS = [file_key]
    after = import_enqueue(actor=world.officer, chunks=[_jsonl()], source_name="b.jsonl")
    with open_decrypted(Path(after.upload_path), keys=[file_key]) as plain:
        assert plain.read() == _jsonl()
    import_process(run_id=before.pk)
    import_process(run_id=after.pk)
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.state, before.stored, after.state, after.duplicates) == ("done", 30, "done", 30)


@pytest.mark.django_db
def test_a_key_rotation_reencrypts_the_queued_uploads_and_no_command_line_file(
    world, tmp_path, settings
):
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    settings.OPENNRM_FILE_KEYS = []
    old, new = generate_key(), generate_key()
    settings.OPENNRM_DATA_KEYS = [old]
    run = import_enqueue(actor=world.officer, chunks=[_jsonl()], source_name="a.jsonl")
    spool = Path(run.upload_path)
    mine = tmp_path / "mine.jsonl"  # a command-line run left queued: never touched
    mine.write_bytes(_jsonl())
    ImportRun.objects.create(
        agency_id=world.officer.agency_id,
        imported_by=world.officer,
        source_name="mine.jsonl",
        state=ImportState.QUEUED,
        upload_path=str(mine),
        fmt="auto",
    )
    settings.OPENNRM_DATA_KEYS = [new, old]
    report = keys_rotate(actor=None)
    assert (report.spools.rotated, report.spools.current, report.spools.missing) == (1, 0, 0)
    assert report.as_detail()["spools_rotated"] == 1
    assert mine.read_bytes() == _jsonl()
    assert import_spools_rotate().current == 1  # again: nothing to do
    settings.OPENNRM_DATA_KEYS = [new]  # the old key removed: the upload still reads
    import_process(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.stored) == ("done", 30)
    assert not spool.exists() and not spool.parent.exists()


@pytest.mark.django_db
def test_an_upload_under_a_removed_key_fails_its_run_and_is_removed(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    settings.OPENNRM_FILE_KEYS = [generate_key()]
    run = import_enqueue(actor=world.officer, chunks=[_jsonl()], source_name="a.jsonl")
    settings.OPENNRM_FILE_KEYS = [generate_key()]  # removed before any rotation
    assert import_spools_rotate().undecryptable == 1
    import_process(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.stored, run.upload_path) == ("failed", 0, "")
    assert not list(Path(settings.OPENNRM_IMPORT_DIR).iterdir())
