"""Install the append-only triggers on the audit table (see opennrm.audit.protection)."""

from django.conf import settings
from django.db import migrations


def install(apps, schema_editor):
    if getattr(settings, "OPENNRM_AUDIT_DB_TRIGGERS", True):
        from opennrm.audit import protection

        protection.install(schema_editor.connection)


def remove(apps, schema_editor):
    from opennrm.audit import protection

    protection.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
