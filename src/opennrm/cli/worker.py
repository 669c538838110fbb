"""``opennrm worker``: run background jobs (file imports) queued in the database, reclaim
imports whose worker died (every minute) and erase online-monitoring data past its
retention period (``OPENNRM_MONITORING_PURGE_HOURS``; :func:`opennrm.online.services.
purge_expired`)."""

from __future__ import annotations

import atexit
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import click


@click.command()
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    help="Seconds to wait before looking again when the queue is empty.",
)
@click.option("--batch", is_flag=True, help="Run what is queued, then exit.")
@click.option("--max-tasks", default=None, type=click.IntRange(1), help="Exit after this many.")
def worker(interval: float, batch: bool, max_tasks: int | None) -> None:
    """Run queued background jobs (uploads to import) until stopped (SIGTERM/SIGINT
    finish the job at hand first). Run one or more beside `opennrm serve`."""
    from opennrm.cli.app import _setup

    _setup()
    from django.core.management import call_command

    _reclaim_lost_imports()  # a worker killed mid-import left its run "importing"
    stop = threading.Event()
    threading.Thread(target=_reclaim_every_while, args=(stop,), daemon=True).start()
    threading.Thread(target=_purge_every_while, args=(stop,), daemon=True).start()
    args = ["--interval", str(interval), "--no-startup-delay", "--no-reload"]
    if batch:
        args.append("--batch")
    if max_tasks is not None:
        args += ["--max-tasks", str(max_tasks)]
    try:
        _run_through_busy_database(lambda: call_command("db_worker", *args, verbosity=1), interval)
    finally:
        stop.set()


def _run_through_busy_database(run: Callable[[], object], interval: float) -> None:
    """Run the job loop; when a transaction of its own (claiming the next job) waits past
    the SQLite write queue's limit (``OPENNRM_SQLITE_WRITE_WAIT``), start it again after
    ``interval`` instead of exiting: a busy database is a reason to wait, not to stop
    importing. Any other database error still ends the worker."""
    from django.db import DatabaseError, OperationalError, connection

    while True:
        try:
            run()
            return
        except DatabaseError as exc:
            stopping = _stopping(exc)
            if stopping is not None:
                # SIGTERM/SIGINT arrived while the job loop was in a transaction of its own
                # (claiming the next job): the library's exit then failed to close that
                # transaction. The job at hand was finished; an unclaimed one stays queued.
                raise stopping from None
            if not isinstance(exc, OperationalError) or "locked" not in str(exc):
                raise
            logging.getLogger(__name__).warning(
                "database busy (%s); the worker looks again in %.1f s", type(exc).__name__, interval
            )
            connection.close()
            time.sleep(interval)


def _stopping(exc: BaseException) -> SystemExit | None:
    """The ``SystemExit`` (a stop signal) that a database error was raised while handling,
    if any: on PostgreSQL closing the interrupted transaction fails ("can't change
    'autocommit' now"), and the worker exited 1 instead of stopping cleanly."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, SystemExit):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _reclaim_lost_imports() -> None:
    from django.db import connection

    from opennrm.online.services import import_reclaim_stale

    try:
        import_reclaim_stale()
    except Exception as exc:  # a busy database now is tried again at the next look
        logging.getLogger(__name__).warning("reclaiming lost imports: %s", type(exc).__name__)
    finally:
        connection.close()


def _reclaim_every_while(stop: threading.Event) -> None:
    """Look for imports whose worker died (another worker's, too) while this one runs."""
    from django.conf import settings

    period = min(60.0, max(1.0, settings.OPENNRM_IMPORT_STALE_SECONDS / 2))
    while not stop.wait(period):
        _reclaim_lost_imports()


#: seconds after the worker starts before its first purge (imports waiting go first)
PURGE_FIRST_DELAY = 300.0


def _purge_expired() -> None:
    """One retention purge; a failure is logged (its kind only) and tried at the next."""
    from django.db import connection

    from opennrm.online.services import purge_expired

    try:
        report = purge_expired()
        if report.agencies:  # counts only: no personal data in the log
            logging.getLogger(__name__).info(
                "retention purge: %s posts, %s contacts, %s groups, %s imports erased",
                report.total("posts"), report.total("contacts"), report.total("groups"),
                report.total("imports"),
            )  # fmt: skip
    except Exception as exc:
        logging.getLogger(__name__).warning("retention purge: %s", type(exc).__name__)
    finally:
        connection.close()


def _purge_every_while(stop: threading.Event, first: float | None = None) -> None:
    """Erase what is past the retention period a few minutes after the start, then every
    ``OPENNRM_MONITORING_PURGE_HOURS`` (0: never, cron runs `opennrm online purge`). With
    several workers each purges: harmless (a purge erases only what another left)."""
    from django.conf import settings

    hours = float(settings.OPENNRM_MONITORING_PURGE_HOURS)
    if hours <= 0:
        return
    wait = PURGE_FIRST_DELAY if first is None else first
    while not stop.wait(wait):
        _purge_expired()
        wait = hours * 3600


def start_background_worker() -> subprocess.Popen[bytes]:
    """Start ``opennrm worker`` as a child process, stopped when this process exits
    (``opennrm demo`` serves and works in one command)."""
    child = subprocess.Popen(
        [sys.executable, "-c", "from opennrm.cli import main; main()", "worker"]
    )

    def stop() -> None:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()

    atexit.register(stop)
    return child
