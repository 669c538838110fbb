"""Make the audit table append-only in the database itself.

UPDATE and DELETE (and TRUNCATE on PostgreSQL) on ``audit_auditentry`` are
refused by triggers, so neither a bug nor an application-level attacker can
rewrite history. Someone with database-owner rights can still drop the
triggers: that is what the hash chain and ``opennrm audit verify`` are for.

The migration installs them unless ``OPENNRM_AUDIT_DB_TRIGGERS`` is off, which
only the test suite does (its transactional tests empty every table between
tests); the tests of this module install them explicitly.
"""

from __future__ import annotations

from typing import Any

_SQLITE = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update;",
    "DROP TRIGGER IF EXISTS audit_no_delete;",
]

_PG = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_append_only();""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();""",
]
_PG_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update_delete ON audit_auditentry;",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditentry;",
    "DROP FUNCTION IF EXISTS audit_append_only();",
]


def _execute(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection: Any) -> None:
    _execute(connection, {"sqlite": _SQLITE, "postgresql": _PG}.get(connection.vendor, []))


def remove(connection: Any) -> None:
    _execute(
        connection, {"sqlite": _SQLITE_DROP, "postgresql": _PG_DROP}.get(connection.vendor, [])
    )
