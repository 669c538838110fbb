"""The SQLite backend whose transactions queue on a file lock (``core/db_sqlite``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError

from opennrm.core.db_sqlite.base import DatabaseWrapper


def _connect(path: Path, *, timeout: float = 5, queue: bool = True) -> DatabaseWrapper:
    conn = DatabaseWrapper(
        {
            "NAME": str(path),
            "ENGINE": "opennrm.core.db_sqlite",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            "WRITE_QUEUE": queue,
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
