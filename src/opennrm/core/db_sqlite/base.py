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

Configured in ``settings.py`` for SQLite; ``OPENNRM_SQLITE_WRITE_QUEUE=0`` turns it off.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite whose transactions queue on a file lock (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_fd: int | None = None
        self._queue_pid = 0
        self._queue_held = False

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
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)  # blocks in the kernel (GIL released)
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
