"""Imports that never take the system down: uploads queue a background job, the worker
(a real process) stores the file in batches, bad records are skipped and reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from opennrm.audit.models import AuditEntry
from opennrm.crypto.files import open_decrypted
from opennrm.online.models import Contact, ContactMention, ImportRun, MonitoredPost
from opennrm.online.services import import_process, online_import, spool_keys
from tests.conftest import verified_client
from tests.monitoring.test_ingest_telegram_html import CHAT, EXPORT
from tests.online.posts import post_where

ROOT = Path(__file__).resolve().parents[2]


def _good(n: int, *, phone: bool = False) -> list[str]:
    return [
        json.dumps(
            {
                "text": f"Робота в Польщі, оголошення {i}, житло безкоштовно"
                + (f", тел +48 512 345 {i % 1000:03d}" if phone else ""),
                "channel": "jobs",
                "date": "2024-03-01T10:00:00+02:00",
            },
            ensure_ascii=False,
        )
        for i in range(n)
    ]


HOSTILE = {
    "nested": "[" * 100_000 + "]" * 100_000,
    "surrogate": '{"text": "bad \\ud800 text"}',
    "year_one": json.dumps({"text": "year one", "date": "0001-01-01T00:00:00+14:00"}),
    "nul": json.dumps({"text": "nul \u0000 byte in text"}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_one_hostile_line_never_fails_the_file(world, tmp_path, settings, kind):
    settings.OPENNRM_IMPORT_BATCH_POSTS = 300  # several batches ...
    settings.OPENNRM_IMPORT_WRITE_POSTS = 128  # ... each written in short transactions
    lines = _good(1000)
    lines.insert(400, HOSTILE[kind])
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = online_import(actor=world.officer, path=path, source_name="posts.jsonl")
    assert run.state == "done"
    stored_hostile = kind in ("year_one", "nul")  # a bad date or a NUL loses nothing but itself
    assert run.stored == 1000 + stored_hostile
    assert MonitoredPost.objects.filter(run=run).count() == run.stored
    assert run.batches == 4
    if kind == "nul":  # stored, the NUL replaced (PostgreSQL text cannot hold it)
        assert post_where(lambda p: p.text.startswith("nul")).text == "nul \ufffd byte in text"
    else:
        assert run.problems[0]["where"] == "posts.jsonl:401"
    assert run.skipped == (0 if stored_hostile else 1)
    assert path.exists()  # the command line's own file is left alone


@pytest.mark.django_db
def test_unreadable_file_marks_the_run_failed_with_its_reason(world, tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(Exception, match="no text column"):
        online_import(actor=world.officer, path=path, source_name="posts.csv")
    run = ImportRun.objects.get()
    assert (run.state, run.error) == ("failed", "csv.no_text_column")
    assert AuditEntry.objects.filter(action="online.import", object_ref=str(run.pk)).exists()


@pytest.mark.django_db
def test_contacts_join_the_store_across_batches(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_BATCH_POSTS = 7
    settings.OPENNRM_IMPORT_WRITE_POSTS = 3  # and written 3 posts per transaction
    lines = [
        json.dumps({"text": f"Work in Poland {i}, call +48 512 345 678", "channel": "c"})
        for i in range(20)
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = online_import(actor=world.officer, path=path, source_name="p.jsonl")
    assert run.stored == 20 and run.batches == 3
    phone = Contact.objects.get(agency=world.police, kind="phone")
    assert phone.posts_count == 20
    assert ContactMention.objects.filter(contact=phone).count() == 20


@pytest.mark.django_db
def test_upload_returns_at_once_and_the_job_finishes_it(world, tmp_path, settings):
    from django_tasks_db.models import DBTaskResult

    client = verified_client(world.officer)
    body = ("\n".join(_good(50)) + "\n{broken\n").encode()
    response = client.post(
        reverse("web:online_import"), {"file": SimpleUploadedFile("my posts.jsonl", body)}
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:online_import_run", args=[run.pk])
    assert run.state == "queued" and run.stored == 0  # nothing imported inside the request
    stored_file = Path(run.upload_path)
    assert stored_file.parent.parent == Path(settings.OPENNRM_IMPORT_DIR)
    # waiting encrypted under a neutral name; the worker reads it back exactly
    assert stored_file.suffix == ".spool" and "posts" not in stored_file.name
    assert "Робота".encode() not in stored_file.read_bytes()
    with open_decrypted(stored_file, keys=spool_keys()) as plain:
        assert plain.read() == body
    assert stored_file.stat().st_mode & 0o077 == 0
    job = DBTaskResult.objects.get()
    assert job.task_path == "opennrm.online.tasks.import_file"
    assert job.args_kwargs["kwargs"] == {"run_id": run.pk}
    page = client.get(response["Location"])
    assert 'hx-trigger="every 2s"' in page.content.decode()
    import_process(run_id=run.pk)  # what the worker does (see the real worker test below)
    run.refresh_from_db()
    assert (run.state, run.stored, run.skipped) == ("done", 50, 1)
    assert not stored_file.exists() and not stored_file.parent.exists()
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment  # finished: the page stops polling
    assert "my posts.jsonl:51" in fragment  # file:line of the broken record
    assert import_process(run_id=run.pk).stored == 50  # delivered twice: imported once
    assert MonitoredPost.objects.count() == 50


@pytest.mark.django_db
def test_a_telegram_html_export_is_stored_one_post_per_message(world, tmp_path, settings):
    """Telegram Desktop's default export, uploaded: each message a post of its own with its
    sender, chat and time, so a harmless message never sits inside a flagged one."""
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    client = verified_client(world.officer)
    response = client.post(
        reverse("web:online_import"),
        {"file": SimpleUploadedFile("messages.html", EXPORT.encode()), "time_zone": "Europe/Kyiv"},
    )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    import_process(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.read, run.stored, run.skipped) == ("done", 8, 6, 0)
    posts = {p.record: p for p in MonitoredPost.objects.filter(run=run)}
    assert sorted(posts) == [f"messages.html#message{n}" for n in (101, 102, 104, 105, 106, 107)]
    offer, lift = posts["messages.html#message101"], posts["messages.html#message102"]
    assert offer.text.startswith("Робота в Нідерландах") and "Паспорт" in offer.text
    assert "Паспорт" not in lift.text and lift.text.startswith("Хто їде в суботу")
    assert {p.channel for p in posts.values()} == {CHAT}
    assert {p.source for p in posts.values()} == {"telegram"}
    assert (offer.author, lift.author) == ("Вакансії Європа", "Вакансії Європа")
    assert offer.posted_at == datetime(2026, 11, 1, 8, 15, tzinfo=UTC)
    # an export without zones: the import's zone (Kyiv, UTC+2 in November)
    assert posts["messages.html#message105"].posted_at == datetime(2026, 11, 1, 11, tzinfo=UTC)
    assert posts["messages.html#message106"].posted_at is None  # its date unreadable
    assert offer.flagged and not lift.flagged


@pytest.mark.django_db
def test_oversized_upload_is_refused_and_nothing_is_kept(world, settings, tmp_path):
    settings.OPENNRM_MAX_UPLOAD_BYTES = 1000
    # a folder of its own: other tests' queued uploads (never imported) stay in the shared one
    settings.OPENNRM_IMPORT_DIR = tmp_path / "imports"
    client = verified_client(world.officer)
    response = client.post(
        reverse("web:online_import"), {"file": SimpleUploadedFile("big.jsonl", b"x" * 5000)}
    )
    assert response.status_code == 413
    assert not ImportRun.objects.exists()
    folder = Path(settings.OPENNRM_IMPORT_DIR)
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.django_db
def test_another_agency_cannot_see_the_progress_page(world, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(_good(3)) + "\n", encoding="utf-8")
    run = online_import(actor=world.officer, path=path, source_name="p.jsonl")
    url = reverse("web:online_import_run", args=[run.pk])
    assert verified_client(world.officer).get(url).status_code == 200
    assert verified_client(world.border_guard).get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_imports_creating_the_same_contacts_at_once_never_collide(world, tmp_path):
    """Both imports name the same new phone numbers; neither may fail (IntegrityError)."""
    files = []
    for n in range(2):
        lines = [
            json.dumps({"text": f"Import {n} ad {i}: call +48 512 345 {i:03d}", "channel": "c"})
            for i in range(40)
        ]
        path = tmp_path / f"p{n}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a database that several connections share (PostgreSQL run)")
    # the audit chain's head row is created by the very first audit entry of a database;
    # two first entries at once collide there (audit app, not this test's subject)
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"text": "no contacts here"}) + "\n", encoding="utf-8")
    online_import(actor=world.officer, path=first, source_name="first.jsonl")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            barrier.wait(timeout=30)
            online_import(actor=world.officer, path=path, source_name=path.name)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(p,)) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert list(ImportRun.objects.values_list("state", flat=True)) == ["done"] * 3
    phones = Contact.objects.filter(agency=world.police, kind="phone")
    assert phones.count() == 40
    assert {c.posts_count for c in phones} == {2}


# --------------------------------------------------------------------------- real worker


def _throwaway_database(tmp_path: Path) -> tuple[str, object]:
    """A database URL of the same kind the suite runs on, and a function that drops it."""
    url = os.environ.get("OPENNRM_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'worker.sqlite3'}", lambda: None
    import psycopg

    base, _slash, _name = url.rpartition("/")
    admin = f"{base}/postgres"  # the suite's own database may not exist (only test_*)
    name = f"opennrm_worker_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def _step(env: dict[str, str], *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.online.worker_flow", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.database
def test_an_upload_is_imported_by_the_worker_process(tmp_path):
    db_url, drop = _throwaway_database(tmp_path)
    env = {
        **os.environ,
        "OPENNRM_DATABASE_URL": db_url,
        "OPENNRM_DATA_DIR": str(tmp_path / "data"),
        "OPENNRM_IMPORT_BATCH_POSTS": "250",
        "OPENNRM_AUDIT_DB_TRIGGERS": "0",
        "OPENNRM_ALLOWED_HOSTS": "testserver",  # the Django test client of the upload step
        "DJANGO_SETTINGS_MODULE": "opennrm.settings",
    }
    opennrm = [sys.executable, "-c", "from opennrm.cli import main; main()"]
    worker = None
    try:
        subprocess.run([*opennrm, "migrate"], env=env, cwd=ROOT, check=True, timeout=600)
        lines = _good(1000, phone=True)
        lines.insert(700, HOSTILE["nested"])
        upload = tmp_path / "channel.jsonl"
        upload.write_text("\n".join(lines) + "\n", encoding="utf-8")
        queued = _step(env, "upload", str(upload))
        assert queued["status"] == 302 and queued["state"] == "queued"  # returned at once
        worker = subprocess.Popen([*opennrm, "worker", "--interval", "0.2"], env=env, cwd=ROOT)
        for _attempt in range(240):
            state = _step(env, "status", str(queued["run"]))
            if state["state"] in ("done", "failed"):
                break
            assert worker.poll() is None, "the worker died"
            time.sleep(0.5)
        assert state["state"] == "done"
        assert (state["stored"], state["skipped"]) == (1000, 1)
        assert state["problems"][0]["where"] == "channel.jsonl:701"
        assert state["upload_path"] == ""  # the stored upload is removed when done
        assert not any((tmp_path / "data" / "imports").iterdir())
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        drop()  # type: ignore[operator]


def test_import_folder_setting_is_private_by_default():
    assert Path(settings.OPENNRM_IMPORT_DIR).is_absolute()


@pytest.mark.django_db
def test_a_post_the_pipeline_cannot_score_costs_only_itself(world, tmp_path, monkeypatch):
    from opennrm.online import services

    real = services.process_batch

    def fragile(posts, **kwargs):
        if any("BOOM" in p.text for p in posts):
            raise ValueError("scorer crashed")
        return real(posts, **kwargs)

    monkeypatch.setattr(services, "process_batch", fragile)
    lines = _good(30)
    lines.insert(5, json.dumps({"text": "BOOM post"}))
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = online_import(actor=world.officer, path=path, source_name="p.jsonl")
    assert (run.state, run.stored, run.skipped, run.duplicates) == ("done", 30, 1, 0)
    assert run.problems == [
        {
            "where": "p.jsonl:6",
            "why": "could not be scored (ValueError)",
            "code": "score.failed",
            "params": {},
        }
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Split it into smaller files, or ask the administrator to import it on the server"),
        ("uk", "Розділіть його на менші файли або попросіть адміністратора імпортувати його"),
        ("ru", "Разделите его на файлы поменьше или попросите администратора импортировать"),
    ],
)
def test_an_oversized_upload_says_what_a_phone_user_can_do(
    world, settings, tmp_path, language, words
):
    # the command only runs on the server, and its backticks showed as written
    settings.OPENNRM_MAX_UPLOAD_BYTES = 1000
    settings.OPENNRM_IMPORT_DIR = tmp_path / "imports"
    client = verified_client(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(
        reverse("web:online_import"), {"file": SimpleUploadedFile("big.jsonl", b"x" * 5000)}
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert words in page and "(opennrm online import)" in page
    assert "`" not in page.split("<main", 1)[1].split("</main>", 1)[0]
