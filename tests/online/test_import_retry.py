"""How long the import job keeps trying a write that failed (no database needed)."""

from __future__ import annotations

from django.db import IntegrityError, OperationalError

from opennrm.online import services


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _tries(monkeypatch, exc: Exception, *, tries: int, patience: int = 300) -> tuple[int, _Clock]:
    clock = _Clock()
    monkeypatch.setattr(services.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(services.time, "sleep", clock.sleep)
    monkeypatch.setattr(services.settings, "OPENNRM_IMPORT_LOCK_PATIENCE", patience)
    since = clock.now
    attempt = 0
    while services._wait_to_retry(exc, attempt, since, tries=tries):
        clock.now += 20  # each failed try waited out SQLite's busy timeout
        attempt += 1
    return attempt + 1, clock


def test_a_locked_database_is_tried_again_for_the_patience_then_given_up(monkeypatch):
    n, clock = _tries(monkeypatch, OperationalError("database is locked"), tries=6)
    assert n > 6  # more than the tries of other failures
    assert 300 <= clock.now - 1000.0 < 300 + 20 + 5  # about the patience, not forever
    assert max(clock.slept) <= 5.0


def test_other_failures_are_tried_a_fixed_number_of_times(monkeypatch):
    assert _tries(monkeypatch, IntegrityError("duplicate"), tries=6)[0] == 6
    assert _tries(monkeypatch, OperationalError("deadlock detected"), tries=4)[0] == 4
    # with no patience a locked database is one failure like the others
    assert _tries(monkeypatch, OperationalError("database is locked"), tries=4, patience=0)[0] == 4
