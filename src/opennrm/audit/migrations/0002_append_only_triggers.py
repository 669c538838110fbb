"""Make the audit table append-only in the database itself.

UPDATE and DELETE (and TRUNCATE on PostgreSQL) on audit_auditentry are refused
by triggers, so neither a bug nor an application-level attacker can rewrite
history; someone with database-owner rights can still drop the triggers, which
is what the hash chain and ``opennrm audit verify`` are for.
"""

from django.db import migrations

_SQLITE = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]

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


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": _SQLITE, "postgresql": _PG}),
            _run({"sqlite": _SQLITE_DROP, "postgresql": _PG_DROP}),
        )
    ]
