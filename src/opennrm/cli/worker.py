"""``opennrm worker``: run background jobs (file imports) queued in the database."""

from __future__ import annotations

import atexit
import subprocess
import sys

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

    args = ["--interval", str(interval), "--no-startup-delay", "--no-reload"]
    if batch:
        args.append("--batch")
    if max_tasks is not None:
        args += ["--max-tasks", str(max_tasks)]
    call_command("db_worker", *args, verbosity=1)


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
