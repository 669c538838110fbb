"""An upload waits for the worker encrypted under a neutral name (the spool) and is read
back decrypted as a stream: every format imports exactly as the same file does from the
command line (which reads the operator's own file in place); the keys it is written
under; ``opennrm keys rotate`` re-encrypts the queued ones."""

from __future__ import annotations

import html
import io
import json
import logging
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils.translation import override

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
from tests.conftest import verified_client
from tests.monitoring.test_ingest import HTML, RSS, TELEGRAM
from tests.monitoring.test_ingest_telegram_html import EXPORT

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
    "telegram html": ("messages.html", EXPORT.encode),
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


def _queued_under_a_removed_key(world, tmp_path, settings) -> tuple[ImportRun, str]:
    """An upload written under one file key, then that key replaced by another (removed
    before any rotation): no configured key decrypts it. Returns the run and the old key."""
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    old = generate_key()
    settings.OPENNRM_FILE_KEYS = [old]
    run = import_enqueue(actor=world.officer, chunks=[_jsonl()], source_name=LOST_NAME)
    settings.OPENNRM_FILE_KEYS = [generate_key()]
    return run, old


LOST_NAME = "Гнатюк contacts.jsonl"  # a file name can name a person
#: the reason in each language (a phrase of it), shown after "The file could not be imported:"
LOST_SAID = {
    "en": (
        "The file could not be imported: the uploaded file can no longer be decrypted",
        "Upload the file again",
        "put the old key back in OPENNRM_FILE_KEYS or OPENNRM_DATA_KEYS",
    ),
    "uk": (
        "Файл не вдалося імпортувати: завантажений файл більше не вдається розшифрувати",
        "Завантажте файл ще раз",
        "поверніть старий ключ в OPENNRM_FILE_KEYS або OPENNRM_DATA_KEYS",
    ),
    "ru": (
        "Файл не удалось импортировать: загруженный файл больше не удаётся расшифровать",
        "Загрузите файл ещё раз",
        "верните старый ключ в OPENNRM_FILE_KEYS или OPENNRM_DATA_KEYS",
    ),
}


@pytest.mark.django_db
def test_an_upload_under_a_removed_key_fails_its_run_and_is_removed(world, tmp_path, settings):
    run, _old = _queued_under_a_removed_key(world, tmp_path, settings)
    assert import_spools_rotate().undecryptable == 1
    import_process(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.stored, run.upload_path) == ("failed", 0, "")
    assert not list(Path(settings.OPENNRM_IMPORT_DIR).iterdir())


@pytest.mark.django_db
def test_an_upload_no_key_decrypts_fails_with_its_own_reason_in_each_language(
    world, tmp_path, settings, caplog
):
    run, old = _queued_under_a_removed_key(world, tmp_path, settings)
    with caplog.at_level(logging.DEBUG):
        import_process(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.error, run.error_params) == ("failed", "spool.undecryptable", {})
    logged = caplog.text
    assert f"import {run.pk}: its upload decrypts under no configured key" in logged
    assert "stopped" not in logged  # not the unexpected error
    for secret in (old, *settings.OPENNRM_FILE_KEYS, "Гнатюк", "Робота", str(tmp_path)):
        assert secret not in logged
    for language, (said, act, key) in LOST_SAID.items():
        with override(language):
            said_here = run.error_text
        assert (
            said_here.startswith(said.split(": ", 1)[1]) and act in said_here and key in said_here
        )
    client = verified_client(world.officer)
    url = reverse("web:online_import_run", args=[run.pk])
    for language, phrases in LOST_SAID.items():
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):  # the page and its polled part
            page = html.unescape(client.get(url, **headers).content.decode())
            assert all(p in page for p in phrases), (language, headers)
            assert "spool.undecryptable" not in page and "unexpected error" not in page
            assert old not in page  # the file's name is shown, as its title, not in the reason


#: the reason for a spool damaged after its first chunk, a phrase of it in each language
DAMAGED_SAID = {
    "en": ("was damaged on the server", "The posts read before that part are kept"),
    "uk": ("пошкодився на сервері", "Дописи, прочитані до цієї частини, збережено"),
    "ru": ("повредился на сервере", "Публикации, прочитанные до этой части, сохранены"),
}


@pytest.mark.django_db
def test_an_upload_damaged_after_its_beginning_keeps_what_was_read_and_says_why(
    world, tmp_path, settings, caplog
):
    # a later chunk that no longer decrypts was "the import stopped on an unexpected error"
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    settings.OPENNRM_IMPORT_BATCH_POSTS = 20
    filler = "житло безкоштовно, виїзд щотижня, " * 30
    posts = [
        json.dumps(
            {"text": f"Робота в Польщі {i}: {filler}", "channel": "jobs"}, ensure_ascii=False
        )
        for i in range(400)
    ]
    run = import_enqueue(
        actor=world.officer, chunks=["\n".join(posts).encode()], source_name="jobs.jsonl"
    )
    spool = Path(run.upload_path)
    lines = spool.read_bytes().splitlines(keepends=True)
    assert len(lines) > 4
    lines[3] = lines[3][:50] + (b"A" if lines[3][50:51] != b"A" else b"B") + lines[3][51:]
    spool.write_bytes(b"".join(lines))
    with caplog.at_level(logging.DEBUG):
        import_process(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.error, run.error_params) == ("failed", "spool.damaged", {})
    assert 0 < run.stored < 400 and run.upload_path == ""  # what was read is kept
    assert not list(Path(settings.OPENNRM_IMPORT_DIR).iterdir())
    assert f"import {run.pk}: its upload is damaged" in caplog.text
    assert "stopped" not in caplog.text and "Робота" not in caplog.text
    client = verified_client(world.officer)
    url = reverse("web:online_import_run", args=[run.pk])
    for language, phrases in DAMAGED_SAID.items():
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        page = html.unescape(client.get(url).content.decode())
        assert all(p in page for p in phrases), language
        assert "spool.damaged" not in page and "unexpected error" not in page


@pytest.mark.django_db(transaction=True)
def test_the_api_says_an_undecryptable_upload_with_its_code(world, tmp_path, settings, api):
    run, old = _queued_under_a_removed_key(world, tmp_path, settings)
    import_process(run_id=run.pk)
    client = api(world.officer)
    for language, (said, act, key) in LOST_SAID.items():
        body = client.get(f"/online/imports/{run.pk}", headers={"Accept-Language": language}).json()
        assert (body["state"], body["error_code"], body["error_params"]) == (
            "failed",
            "spool.undecryptable",
            {},
        )
        assert body["error"].startswith(said.split(": ", 1)[1]), language
        assert act in body["error"] and key in body["error"]
        assert old not in str(body) and "Гнатюк" not in body["error"]


@pytest.mark.django_db
def test_a_rotation_counts_and_explains_uploads_no_key_decrypts(world, tmp_path, settings):
    from click.testing import CliRunner

    from opennrm.cli import main

    run, old = _queued_under_a_removed_key(world, tmp_path, settings)
    spool = Path(run.upload_path)
    before = spool.read_bytes()
    report = keys_rotate(actor=None)
    assert (report.spools.undecryptable, report.spools.rotated) == (1, 0)
    assert report.as_detail()["spools_undecryptable"] == 1
    assert spool.read_bytes() == before  # left as it is: the old key may come back
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert (
        "uploads waiting for the import worker: 0 re-encrypted, 0 already under the current "
        "key, 1 under no configured key (left)\n"
    ) in result.stdout
    assert result.stderr.startswith(
        "1 upload waiting for the import worker is under no configured key: its import will "
        "fail. Put the old key back in OPENNRM_FILE_KEYS or OPENNRM_DATA_KEYS"
    )
    uk = CliRunner().invoke(main, ["keys", "rotate", "--language", "uk"])
    assert "не під жодним налаштованим ключем (залишено) — 1\n" in uk.stdout
    assert uk.stderr.startswith(
        "1 завантаження, що чекає на обробник імпорту, не під жодним налаштованим ключем"
    )
    ru = CliRunner().invoke(main, ["keys", "rotate", "--language", "ru"])
    assert "ни под одним из настроенных ключей (оставлено) — 1\n" in ru.stdout
    assert "Верните старый ключ в OPENNRM_FILE_KEYS" in ru.stderr
    for said in (result.output, uk.output, ru.output):
        assert old not in said and "Гнатюк" not in said and str(tmp_path) not in said
    settings.OPENNRM_FILE_KEYS = [*settings.OPENNRM_FILE_KEYS, old]  # the old key back
    assert import_spools_rotate().rotated == 1
