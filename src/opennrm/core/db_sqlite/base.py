"""Django's SQLite backend with writers that queue instead of racing for the lock.

SQLite lets one writer in at a time; the others wait in its *busy handler*, which polls
with growing sleeps (up to 100 ms). A writer that has waited long polls rarely, and
newcomers that poll every millisecond take the lock before it: with many writers, a long
transaction (a batch of an import) can lose again and again until its busy timeout ends
in "database is locked". Measured with 50 writing users beside a 200,000-post import on
a loaded machine: the import gave up after more than five minutes of losing.

Here every transaction (``transaction.atomic``, which on SQLite starts with ``BEGIN
IMMEDIATE``) first takes an exclusive ``flock`` on a file beside the database and holds it
until it commits or rolls back. Waiting for a ``flock`` is blocking in the kernel, not
polling: every waiter is woken when the lock is released, so no waiter is left behind
systematically, across threads and processes alike (each connection has its own open
file). Statements outside a transaction (autocommit) do not take it and still use the
busy timeout. In-memory databases (the tests) do not need it.

The wait has a time limit (``WRITE_WAIT`` seconds, ``OPENNRM_SQLITE_WRITE_WAIT``): a
transaction held open for ever (a stuck request, a process stopped with SIGSTOP or in a
debugger) must not freeze every other writer. ``flock`` itself has no timeout, and polling
with ``LOCK_NB`` would bring back the unfairness above, so a writer that finds the lock
taken waits for it in the kernel from a helper thread, on its own ``os.dup`` of the
connection's file (the same open file description, hence the same lock), while the
connection waits on an event for at most the limit. If the limit passes first, the attempt
is cancelled and the transaction fails with ``OperationalError("database is locked ...")``
before anything was written (what SQLite's own busy timeout raises, so the import job's
retry and the pages' "busy" answer treat both alike); the helper thread, once it gets the
lock, gives it straight back. A connection that starts a transaction again while its
cancelled helper still waits takes that helper over (keeping its place in the queue)
instead of starting a second one: two waiters on one open file description would both be
granted the one lock, and the cancelled one would release it under the other.

Configured in ``settings.py`` for SQLite; ``OPENNRM_SQLITE_WRITE_QUEUE=0`` turns it off.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

#: seconds a transaction waits for the queue when the settings name no limit
DEFAULT_WRITE_WAIT = 20.0


class _Waiter:
    """One wait for the lock in the kernel, by a helper thread on a duplicate of the fd."""

    def __init__(self, fd: int) -> None:
        self.lock = threading.Lock()  # guards ``cancelled`` against the grant
        self.granted = threading.Event()
        self.cancelled = False
        self.error: OSError | None = None
        self._dup = os.dup(fd)  # same open file description: the same lock; not inherited
        self._thread = threading.Thread(target=self._wait, name="sqlite-write-queue", daemon=True)
        try:
            self._thread.start()
        except BaseException:  # no thread to close it
            os.close(self._dup)
            raise

    def _wait(self) -> None:
        error: OSError | None = None
        try:
            fcntl.flock(self._dup, fcntl.LOCK_EX)  # blocks in the kernel, GIL released
        except OSError as exc:
            error = exc
        with self.lock:
            if error is None and self.cancelled:
                # nobody wants it any more: give it back at once. Through the duplicate,
                # never the connection's fd number, which may be closed or reused by now.
                fcntl.flock(self._dup, fcntl.LOCK_UN)
            self.error = error
            self.granted.set()
        # the lock (when kept) stays with the connection's fd: closing one duplicate does
        # not release a flock while another fd of the same open file is open
        os.close(self._dup)

    def wait(self, timeout: float | None) -> bool:
        """True once the lock is the connection's; False (and cancelled) after ``timeout``."""
        if not self.granted.wait(timeout):
            with self.lock:
                if not self.granted.is_set():
                    self.cancelled = True
                    return False
        if self.error is not None:
            raise self.error
        return True

    def resume(self) -> bool:
        """Take a cancelled wait over again; False if it has ended meanwhile."""
        with self.lock:
            if self.granted.is_set():
                return False
            self.cancelled = False
            return True


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite whose transactions queue on a file lock (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_fd: int | None = None
        self._queue_pid = 0
        self._queue_held = False
        self._queue_waiter: _Waiter | None = None  # a cancelled wait still in the queue

    def _queue_path(self) -> str | None:
        if self.is_in_memory_db() or not self.settings_dict.get("WRITE_QUEUE", True):
            return None
        return f"{self.settings_dict['NAME']}-writers.lock"

    def _queue_acquire(self) -> None:
        path = self._queue_path()
        if path is None or self._queue_held:
            return
        if self._queue_fd is None or self._queue_pid != os.getpid():
            # a file opened by a parent before a fork shares its lock with the parent:
            # the child opens its own
            self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._queue_pid = os.getpid()
            self._queue_waiter = None  # a parent's helper thread does not exist here
        limit = float(self.settings_dict.get("WRITE_WAIT", DEFAULT_WRITE_WAIT))
        waiter, self._queue_waiter = self._queue_waiter, None
        if waiter is not None and not waiter.resume():
            waiter = None  # it got the lock after all and gave it back
        if waiter is None:
            try:
                fcntl.flock(self._queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if limit <= 0:  # no limit: wait as long as it takes
                    fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
                else:
                    waiter = _Waiter(self._queue_fd)
        if waiter is not None and not waiter.wait(limit if limit > 0 else None):
            self._queue_waiter = waiter
            raise OperationalError(
                f"database is locked: waited {limit:g} s for another transaction to end "
                "(OPENNRM_SQLITE_WRITE_WAIT); nothing was written"
            )
        self._queue_held = True

    def _queue_release(self) -> None:
        if self._queue_held and self._queue_fd is not None:
            self._queue_held = False
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self) -> None:
        self._queue_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._queue_release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            # a failed commit leaves the transaction open: the rollback after it releases
            if self.connection is None or not self.connection.in_transaction:
                self._queue_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._queue_release()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._queue_release()
            if self._queue_fd is not None and self._queue_pid == os.getpid():
                os.close(self._queue_fd)
            self._queue_fd = None
            self._queue_waiter = None  # it waits on its own duplicate and lets go when granted
