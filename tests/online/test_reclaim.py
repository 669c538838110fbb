"""Imports whose worker died (kill -9, a restart) are reclaimed: continued in a new run over
the same stored file, each post stored exactly once, or marked failed with a reason."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from opennrm.audit.models import AuditEntry
from opennrm.online import services
from opennrm.online.models import ImportRun, ImportState, MonitoredPost
from opennrm.online.services import import_enqueue, import_process, import_reclaim_stale
from tests.conftest import verified_client
from tests.online.test_imports import ROOT, _good, _step, _throwaway_database


class _Killed(BaseException):
    """Stands for kill -9: nothing after it runs (no clean-up, no final record)."""


def _enqueue(world, n: int) -> ImportRun:
    data = ("\n".join(_good(n)) + "\n").encode()
    return import_enqueue(
        actor=world.officer,
        chunks=[data[i : i + 4096] for i in range(0, len(data), 4096)],
        source_name="posts.jsonl",
    )


def _die_after_batches(monkeypatch, batches: int) -> None:
    """The next import_process stores ``batches`` batches, then its process 'dies'."""
    real = services._import_batch
    done = {"n": 0}

    def dying(*args, **kwargs):
        if done["n"] == batches:
            raise _Killed
        done["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_import_batch", dying)
    monkeypatch.setattr(services, "_remove_upload", lambda path: None)  # a killed process
    # cannot clean up


def _crash(world, monkeypatch, n: int = 500, batches: int = 2) -> ImportRun:
    run = _enqueue(world, n)
    with monkeypatch.context() as m:
        _die_after_batches(m, batches)
        with pytest.raises(_Killed):
            import_process(run_id=run.pk)
    run.refresh_from_db()
    assert run.state == ImportState.RUNNING and Path(run.upload_path).is_file()
    return run


def _age(run: ImportRun, seconds: int) -> None:
    ImportRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds)
    )


@pytest.mark.django_db
def test_a_run_whose_worker_died_continues_and_stores_each_post_once(world, settings, monkeypatch):
    settings.OPENNRM_IMPORT_BATCH_POSTS = 100
    settings.OPENNRM_IMPORT_STALE_SECONDS = 300
    lost = _crash(world, monkeypatch)
    assert lost.stored == 200 and lost.heartbeat_at is not None
    _age(lost, 200)
    assert import_reclaim_stale() == []  # still within the stale period: left alone
    _age(lost, 301)
    [reclaimed] = import_reclaim_stale()
    assert reclaimed.pk == lost.pk
    lost.refresh_from_db()
    nxt = lost.continued_as
    assert (lost.state, lost.error, lost.upload_path) == ("failed", "resumed", "")
    assert (nxt.state, nxt.attempt, Path(nxt.upload_path).is_file()) == ("queued", 2, True)
    assert import_reclaim_stale() == []  # reclaimed once
    nxt = import_process(run_id=nxt.pk)  # what the worker does with the job queued above
    assert (nxt.state, nxt.stored, nxt.duplicates) == ("done", 300, 200)
    assert MonitoredPost.objects.filter(agency=world.police).count() == 500
    assert MonitoredPost.objects.values("post_id").distinct().count() == 500
    assert not Path(nxt.upload_path or lost.continued_as.upload_path).exists()
    entry = AuditEntry.objects.get(action="online.import_reclaim")
    assert entry.user_id is None and entry.object_ref == str(lost.pk)
    assert entry.detail == {"attempt": 1, "outcome": "resumed", "continued_as": nxt.pk}


@pytest.mark.django_db
def test_the_progress_page_shows_the_reclaim_in_the_readers_language(world, settings, monkeypatch):
    settings.OPENNRM_IMPORT_BATCH_POSTS = 100
    lost = _crash(world, monkeypatch, n=300, batches=1)
    _age(lost, settings.OPENNRM_IMPORT_STALE_SECONDS + 1)
    import_reclaim_stale()
    lost.refresh_from_db()
    client = verified_client(world.officer)
    url = reverse("web:online_import_run", args=[lost.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    with override("uk"):
        assert str(ImportRun(error="resumed").error_text) in page
    assert "продовжується" in page and 'data-state="failed"' in page
    assert reverse("web:online_import_run", args=[lost.continued_as_id]) in page
    assert "resumed" not in page  # the code never reaches the page


@pytest.mark.django_db
def test_after_the_last_attempt_the_run_fails_and_its_file_is_removed(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.OPENNRM_IMPORT_BATCH_POSTS = 100
    settings.OPENNRM_IMPORT_MAX_ATTEMPTS = 2
    run = _crash(world, monkeypatch)
    _age(run, settings.OPENNRM_IMPORT_STALE_SECONDS + 1)
    import_reclaim_stale()
    run.refresh_from_db()
    second = run.continued_as
    with monkeypatch.context() as m:
        _die_after_batches(m, 1)
        with pytest.raises(_Killed):
            import_process(run_id=second.pk)
    second.refresh_from_db()
    upload = Path(second.upload_path)
    _age(second, settings.OPENNRM_IMPORT_STALE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        import_reclaim_stale()
    second.refresh_from_db()
    assert (second.state, second.error, second.continued_as_id) == ("failed", "gave_up", None)
    assert not upload.exists() and not upload.parent.exists()
    assert ImportRun.objects.count() == 2
    page = verified_client(world.officer).get(
        reverse("web:online_import_run", args=[second.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "Импорт останавливался при каждой попытке" in page.content.decode()


@pytest.mark.django_db
def test_a_command_line_import_is_never_taken_over(world, settings, tmp_path, monkeypatch):
    """The file of `opennrm online import` is the user's own: its run is only marked failed."""
    settings.OPENNRM_IMPORT_BATCH_POSTS = 100
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(_good(300)) + "\n", encoding="utf-8")
    with monkeypatch.context() as m:
        _die_after_batches(m, 1)
        with pytest.raises(_Killed):
            services.online_import(actor=world.officer, path=path, source_name="mine.jsonl")
    run = ImportRun.objects.get()
    _age(run, settings.OPENNRM_IMPORT_STALE_SECONDS + 1)
    import_reclaim_stale()
    run.refresh_from_db()
    assert (run.state, run.error, run.continued_as_id) == ("failed", "interrupted", None)
    assert path.is_file() and run.upload_path == str(path)
    assert ImportRun.objects.count() == 1


@pytest.mark.django_db
def test_a_slow_worker_that_was_reclaimed_stops_without_overwriting(world, settings, monkeypatch):
    """A worker judged lost that was only slow notices at its next batch and stops."""
    settings.OPENNRM_IMPORT_BATCH_POSTS = 100
    run = _enqueue(world, 300)
    real = services._import_batch
    seen = {"n": 0}

    def slow(r, *args, **kwargs):
        seen["n"] += 1
        if seen["n"] == 2:  # meanwhile another worker reclaims the run
            _age(r, settings.OPENNRM_IMPORT_STALE_SECONDS + 1)
            import_reclaim_stale()
        return real(r, *args, **kwargs)

    monkeypatch.setattr(services, "_import_batch", slow)
    out = import_process(run_id=run.pk)
    assert (out.state, out.error, out.stored) == ("failed", "resumed", 100)
    assert Path(out.continued_as.upload_path).is_file()  # left for the continuation
    monkeypatch.setattr(services, "_import_batch", real)
    nxt = import_process(run_id=out.continued_as_id)
    assert (nxt.state, nxt.stored, nxt.duplicates) == ("done", 200, 100)
    assert MonitoredPost.objects.count() == 300


@pytest.mark.database
def test_a_worker_killed_mid_import_is_reclaimed_by_the_next_worker(tmp_path):
    """Real processes: kill -9 the worker mid-import; a new worker continues the run."""
    db_url, drop = _throwaway_database(tmp_path)
    env = {
        **os.environ,
        "OPENNRM_DATABASE_URL": db_url,
        "OPENNRM_DATA_DIR": str(tmp_path / "data"),
        "OPENNRM_IMPORT_BATCH_POSTS": "50",
        "OPENNRM_IMPORT_WRITE_POSTS": "25",
        "OPENNRM_AUDIT_DB_TRIGGERS": "0",
        "OPENNRM_ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "opennrm.settings",
    }
    opennrm = [sys.executable, "-c", "from opennrm.cli import main; main()"]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*opennrm, "migrate"], env=env, cwd=ROOT, check=True, timeout=600)
        upload = tmp_path / "channel.jsonl"
        upload.write_text("\n".join(_good(20_000)) + "\n", encoding="utf-8")
        queued = _step(env, "upload", str(upload))
        first = subprocess.Popen([*opennrm, "worker", "--interval", "0.2"], env=env, cwd=ROOT)
        # the next worker judges a run lost after 2 s without a batch written (this one
        # keeps the default: its own first batch, model loading included, takes longer)
        workers.append(first)
        for _attempt in range(600):
            state = _step(env, "status", str(queued["run"]))
            if state["stored"] or state["state"] not in ("queued", "running"):
                break
            assert first.poll() is None, "the worker died"
            time.sleep(0.2)
        assert state["state"] == "running" and 0 < state["stored"] < 20_000
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        second = subprocess.Popen(
            [*opennrm, "worker", "--interval", "0.2"],
            env={**env, "OPENNRM_IMPORT_STALE_SECONDS": "2"},
            cwd=ROOT,
        )
        workers.append(second)
        for _attempt in range(300):
            runs = _step(env, "runs")
            if (
                runs
                and all(r["state"] in ("done", "failed") for r in runs)
                and runs[-1]["state"] == "done"
            ):
                break
            assert second.poll() is None, "the worker died"
            time.sleep(0.5)
        first_run, *rest = runs
        assert (first_run["state"], first_run["error"]) == ("failed", "resumed")
        assert rest and rest[-1]["state"] == "done"
        assert sum(r["stored"] for r in runs) == 20_000
        assert _step(env, "posts") == {"posts": 20_000, "distinct": 20_000}
        assert not any((tmp_path / "data" / "imports").iterdir())
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        drop()  # type: ignore[operator]
