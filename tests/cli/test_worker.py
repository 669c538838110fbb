"""``opennrm worker`` waits out a busy SQLite database instead of exiting (the write
queue's time limit turns a long wait into OperationalError "database is locked")."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError

from opennrm.cli.worker import _run_through_busy_database


def test_a_busy_database_makes_the_worker_wait_and_go_on(caplog):
    calls = []

    def run():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked: waited 20 s for other writers")

    with caplog.at_level(logging.WARNING):
        _run_through_busy_database(run, 0.01)
    assert len(calls) == 3
    assert sum("database busy" in r.getMessage() for r in caplog.records) == 2


def test_any_other_database_error_still_ends_the_worker():
    def run():
        raise OperationalError("no such table: django_tasks_database_dbtaskresult")

    with pytest.raises(OperationalError, match="no such table"):
        _run_through_busy_database(run, 0.01)


def test_a_stop_signal_inside_the_claim_transaction_stops_the_worker_cleanly():
    # seen on PostgreSQL under load: SIGTERM landed while the job loop committed its claim;
    # closing that transaction failed ("can't change 'autocommit' now") and the worker
    # exited 1 after finishing its job, instead of 0
    from django.db import ProgrammingError

    def run():
        try:
            try:
                raise SystemExit(0)  # what the library's signal handling raised
            except SystemExit:
                raise RuntimeError("can't change 'autocommit' now") from None
        except RuntimeError as driver:
            raise ProgrammingError("can't change 'autocommit' now") from driver

    with pytest.raises(SystemExit) as stopped:
        _run_through_busy_database(run, 0.01)
    assert stopped.value.code == 0


def test_a_database_error_without_a_stop_signal_is_not_taken_for_one():
    from django.db import ProgrammingError

    def run():
        raise ProgrammingError("relation does not exist")

    with pytest.raises(ProgrammingError):
        _run_through_busy_database(run, 0.01)


@pytest.mark.django_db
def test_the_worker_command_goes_on_after_a_busy_claim(monkeypatch):
    from click.testing import CliRunner

    from opennrm.cli.worker import worker

    calls = []

    def fake_call_command(name, *args, **kwargs):
        calls.append(name)
        if len(calls) == 1:
            raise OperationalError("database is locked: waited 20 s for other writers")

    monkeypatch.setattr("django.core.management.call_command", fake_call_command)
    result = CliRunner().invoke(worker, ["--batch", "--interval", "0.05"])
    assert result.exit_code == 0, result.output
    assert calls == ["db_worker", "db_worker"]
