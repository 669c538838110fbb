"""The audit log is append-only and every tampering is detected."""

import pytest
from click.testing import CliRunner
from django.db import DatabaseError, connection, transaction

from opennrm.audit import protection
from opennrm.audit.models import AuditEntry
from opennrm.audit.selectors import audit_verify
from opennrm.audit.services import audit_record


@pytest.fixture(autouse=True)
def _protected(db):
    """The production triggers, installed inside the test's transaction (rolled back after)."""
    protection.install(connection)


def _fill(n=5):
    for i in range(n):
        audit_record(actor=None, action="test.event", object_type="case", object_ref=f"C-{i}")


def _disable_protection():
    """What an attacker with database-owner rights could do."""
    protection.remove(connection)


def test_fresh_chain_verifies(db):
    _fill()
    report = audit_verify()
    assert report.ok and report.checked == 5 and report.last_seq == 5


def test_database_refuses_update_and_delete(db):
    _fill(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=2).delete()
    assert audit_verify().ok


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_database_refuses_truncate(db):
    _fill(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE audit_auditentry")


def test_altered_entry_detected(db):
    _fill()
    _disable_protection()
    AuditEntry.objects.filter(seq=3).update(purpose="nothing to see")
    report = audit_verify()
    assert not report.ok
    assert any("#3" in p and "altered" in p for p in report.problems)


def test_removed_entry_detected(db):
    _fill()
    _disable_protection()
    AuditEntry.objects.filter(seq=2).delete()
    problems = audit_verify().problems
    assert any("#3" in p and "removed" in p for p in problems)


def test_removed_tail_detected(db):
    _fill()
    _disable_protection()
    AuditEntry.objects.filter(seq=5).delete()
    problems = audit_verify().problems
    assert any("head says #5" in p for p in problems)


def test_swapped_positions_detected(db):
    _fill()
    _disable_protection()
    a = AuditEntry.objects.get(seq=2)
    b = AuditEntry.objects.get(seq=3)
    AuditEntry.objects.filter(pk=a.pk).update(seq=999_999)
    AuditEntry.objects.filter(pk=b.pk).update(seq=2)
    AuditEntry.objects.filter(pk=a.pk).update(seq=3)
    problems = audit_verify().problems
    assert any("expected position #2" in p for p in problems)
    assert any("altered" in p for p in problems)


def test_cli_verify_exit_codes(db):
    from opennrm.cli import main

    _fill(3)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 3 entries" in result.output
    _disable_protection()
    AuditEntry.objects.filter(seq=2).update(action="edited")
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN" in result.output
