"""The SQLite backend whose transactions queue on a file lock (``core/db_sqlite``)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError

from opennrm.core.db_sqlite.base import DatabaseWrapper


def _connect(
    path: Path, *, timeout: float = 5, queue: bool = True, wait: float = 20
) -> DatabaseWrapper:
    conn = DatabaseWrapper(
        {
            "NAME": str(path),
            "ENGINE": "opennrm.core.db_sqlite",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            "WRITE_QUEUE": queue,
            "WRITE_WAIT": wait,
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "TEST": {},
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
        },
        alias="queue-test",
    )
    conn.ensure_connection()
    return conn


def _begin(conn: DatabaseWrapper) -> None:
    conn._start_transaction_under_autocommit()  # what transaction.atomic does on SQLite


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    with django_db_blocker.unblock():  # throwaway files, not the test database
        yield


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "q.sqlite3"
    conn = _connect(path)
    with conn.cursor() as cur:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("CREATE TABLE t (who TEXT, n INTEGER)")
    conn.close()
    return path


def test_a_second_transaction_waits_for_the_first_and_runs_after_it(db_path):
    first = _connect(db_path)
    _begin(first)
    with first.cursor() as cur:
        cur.execute("INSERT INTO t VALUES ('first', 1)")
    order: list[str] = []

    def second() -> None:
        conn = _connect(db_path, timeout=0.2)  # would fail fast if it raced SQLite's lock
        _begin(conn)
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES ('second', 2)")
        conn.commit()
        order.append("second committed")
        conn.close()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.6)  # longer than the second's busy timeout: it waits in the queue
    assert order == [] and thread.is_alive()
    order.append("first commits")
    first.commit()
    thread.join(10)
    assert order == ["first commits", "second committed"]
    with first.cursor() as cur:
        cur.execute("SELECT who FROM t ORDER BY n")
        assert [r[0] for r in cur.fetchall()] == ["first", "second"]
    first.close()
    assert (db_path.parent / "q.sqlite3-writers.lock").exists()


def test_rollback_and_close_free_the_queue(db_path):
    a = _connect(db_path, timeout=0.2)
    _begin(a)
    a.rollback()
    b = _connect(db_path, timeout=0.2)
    _begin(b)  # did not wait: the rollback freed it
    b.close()  # closing in a transaction frees it too
    _begin(a)
    a.commit()
    a.close()


def test_without_the_queue_a_waiting_writer_times_out(db_path):
    """The failure the queue prevents (and proof the test above would notice it)."""
    first = _connect(db_path, queue=False)
    _begin(first)
    other = _connect(db_path, timeout=0.2, queue=False)
    with pytest.raises(OperationalError, match="locked"):
        _begin(other)
    first.rollback()
    first.close()
    other.close()


def test_a_long_writer_among_many_short_ones_is_never_locked_out(db_path):
    errors: list[str] = []
    stop = threading.Event()
    done = {"long": 0, "short": 0}
    lock = threading.Lock()

    def write(who: str, hold: float, count: int | None) -> None:
        conn = _connect(db_path, timeout=1.0)
        n = 0
        try:
            while (count is None and not stop.is_set()) or (count is not None and n < count):
                try:
                    _begin(conn)
                    with conn.cursor() as cur:
                        cur.execute("INSERT INTO t VALUES (%s, %s)", (who, n))
                    time.sleep(hold)
                    conn.commit()
                except OperationalError as exc:
                    errors.append(f"{who}: {exc}")
                    conn.rollback()
                    continue
                n += 1
                with lock:
                    done["long" if who == "long" else "short"] += 1
        finally:
            conn.close()

    shorts = [threading.Thread(target=write, args=(f"s{i}", 0.002, None)) for i in range(12)]
    for t in shorts:
        t.start()
    write("long", 0.05, 10)  # ten transactions each holding the lock 50 ms
    stop.set()
    for t in shorts:
        t.join(30)
    assert errors == []
    assert done["long"] == 10 and done["short"] > 0


def _in_thread(fn) -> tuple[threading.Thread, list[object]]:
    """Runs ``fn`` in a thread; the list gets its result or the exception it raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except Exception as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _begin_or_give_up(conn: DatabaseWrapper) -> object:
    """Begins in a thread (so that a wait without a limit fails the test instead of hanging
    it): None if it got the lock, else the exception it raised."""
    conn.inc_thread_sharing()
    thread, outcome = _in_thread(lambda: _begin(conn))
    thread.join(15)
    assert not thread.is_alive(), "the writer waited without a limit"
    conn.dec_thread_sharing()
    return outcome[0]


def _locked(outcome: object) -> bool:
    return isinstance(outcome, OperationalError) and "database is locked" in str(outcome)


def _write(path: Path, who: str, n: int, *, wait: float) -> str:
    conn = _connect(path, wait=wait)
    try:
        _begin(conn)
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (%s, %s)", (who, n))
        conn.commit()
        return "committed"
    finally:
        conn.close()


def _rows(path: Path) -> list[str]:
    conn = _connect(path)
    with conn.cursor() as cur:
        cur.execute("SELECT who FROM t ORDER BY n")
        rows = [r[0] for r in cur.fetchall()]
    conn.close()
    return rows


def test_a_writer_behind_a_transaction_held_open_gives_up_after_the_limit(db_path):
    """A transaction left open (a stuck request, a stopped process) no longer freezes every
    other writer: it gets "database is locked" after OPENNRM_SQLITE_WRITE_WAIT."""
    holder = _connect(db_path)
    _begin(holder)
    with holder.cursor() as cur:
        cur.execute("INSERT INTO t VALUES ('holder', 1)")
    thread, outcome = _in_thread(lambda: _write(db_path, "waiter", 2, wait=0.3))
    thread.join(15)  # the old code waits for ever: the test fails here instead of hanging
    hung = thread.is_alive()
    holder.commit()
    holder.close()
    thread.join(15)
    assert not hung, "the writer waited without a limit"
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError)
    assert "database is locked" in str(outcome[0])
    assert _rows(db_path) == ["holder"]  # the waiter wrote nothing


def test_a_cancelled_wait_leaks_no_lock(db_path):
    """The helper thread of a wait that timed out still gets the lock once the holder ends,
    after its connection has closed: it must give the lock straight back."""
    holder = _connect(db_path)
    _begin(holder)
    late = _connect(db_path, wait=0.2)
    assert _locked(_begin_or_give_up(late))
    late.close()  # its fd is closed while its helper still waits on a duplicate
    holder.commit()
    holder.close()
    thread, outcome = _in_thread(lambda: _write(db_path, "next", 3, wait=5))
    thread.join(15)
    assert outcome == ["committed"]
    assert _rows(db_path) == ["next"]


def test_a_writer_that_tries_again_holds_the_lock_alone(db_path):
    """Trying again after a timeout, on the same connection, while the cancelled helper is
    still queued: one waiter per open file, so the lock it gets is not released under it by
    the old helper, and nobody else gets in until it ends."""
    holder = _connect(db_path)
    _begin(holder)
    again = _connect(db_path, wait=0.2)
    assert _locked(_begin_or_give_up(again))
    again.settings_dict["WRITE_WAIT"] = 10
    again.inc_thread_sharing()  # begun in a thread, used on here
    thread, outcome = _in_thread(lambda: _begin(again))
    time.sleep(0.3)  # let it queue again behind the holder
    helpers = [t for t in threading.enumerate() if t.name == "sqlite-write-queue"]
    assert len(helpers) == 1  # the cancelled helper taken over, not a second one beside it
    holder.commit()
    holder.close()
    thread.join(15)
    assert outcome == [None]  # it got the lock
    time.sleep(0.2)  # room for a stray helper to (wrongly) let go
    assert _locked(_begin_or_give_up(_connect(db_path, wait=0.3)))  # ``again`` holds it
    with again.cursor() as cur:
        cur.execute("INSERT INTO t VALUES ('again', 4)")
    again.commit()
    again.close()
    assert _write(db_path, "after", 5, wait=5) == "committed"
    assert _rows(db_path) == ["again", "after"]


def test_a_writer_granted_in_time_proceeds_and_keeps_the_lock(db_path):
    """The lock a helper thread got stays the connection's after the helper closed its
    duplicate of the file (a flock goes only with the last fd of the open file)."""
    holder = _connect(db_path)
    _begin(holder)
    waiter = _connect(db_path, wait=10)
    waiter.inc_thread_sharing()  # begun in a thread, used on here
    thread, outcome = _in_thread(lambda: _begin(waiter))
    time.sleep(0.3)  # it waits in its helper thread
    holder.commit()
    holder.close()
    thread.join(15)
    assert outcome == [None]
    time.sleep(0.2)  # the helper has closed its duplicate by now
    third = _connect(db_path, wait=0.3)
    assert _locked(_begin_or_give_up(third))
    with waiter.cursor() as cur:
        cur.execute("INSERT INTO t VALUES ('waiter', 6)")
    waiter.commit()
    waiter.close()
    _begin(third)  # its own cancelled helper is taken over, or gone: either way it gets in
    third.commit()
    third.close()
    assert _rows(db_path) == ["waiter"]


def test_a_forked_child_queues_on_its_own_file(db_path):
    """A child inherits the parent's connection object but opens its own lock file: it does
    not share (and so does not slip past) the parent's lock, and it gives up in time."""
    parent = _connect(db_path)
    _begin(parent)
    parent.settings_dict["WRITE_WAIT"] = 0.3
    pid = os.fork()
    if pid == 0:  # the child: touch only the queue, never the parent's SQLite connection
        code = 3
        try:
            parent._queue_held = False  # the child's own view: it holds nothing yet
            parent._queue_acquire()
            code = 1  # it got in beside the parent
        except OperationalError as exc:
            code = 0 if "database is locked" in str(exc) else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 15
    status: int | None = None
    while status is None and time.monotonic() < deadline:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
        else:
            time.sleep(0.05)
    if status is None:  # it waited without a limit
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    parent.rollback()
    parent.close()
    assert status is not None, "the child waited without a limit"
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_the_import_job_retries_on_the_queues_time_out(db_path, monkeypatch):
    """The import's writes try again on "database is locked" (OPENNRM_IMPORT_LOCK_PATIENCE):
    the queue's own time-out must read as that, not as a failure to give up on."""
    from opennrm.online import services

    holder = _connect(db_path)
    _begin(holder)
    late = _connect(db_path, wait=0.1)
    error = _begin_or_give_up(late)
    holder.rollback()
    holder.close()
    late.close()
    assert isinstance(error, OperationalError)
    monkeypatch.setattr(services.time, "sleep", lambda _s: None)
    # tries=1: any other error is given up on at once; this one is tried again
    assert services._wait_to_retry(error, 0, time.monotonic(), tries=1) is True
    assert services._wait_to_retry(OperationalError("disk I/O error"), 0, 0, tries=1) is False
