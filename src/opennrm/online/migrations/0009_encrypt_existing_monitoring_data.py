# Data migration: the monitoring data already stored is encrypted with the first key of
# OPENNRM_DATA_KEYS, and every contact gets its blind index (reversible: backwards
# decrypts again, with the keys).
from typing import Any

from django.db import migrations

from opennrm.crypto.columns import batches
from opennrm.crypto.fields import data_cipher
from opennrm.crypto.migration import encrypt_existing
from opennrm.crypto.keys import Undecryptable

COLUMNS = {
    "online_monitoredpost": [
        "text", "author", "url", "reasons", "contacts", "source", "record",
    ],  # fmt: skip
    "online_postgroup": ["template", "contacts"],
    "online_campaignchunk": ["blob"],
    "online_contact": ["value"],
    "online_importrun": ["source_name", "upload_path", "problems", "error_params"],
}


def index_contacts(apps: Any, schema_editor: Any) -> None:
    from opennrm.online.models import contact_index

    connection, cipher = schema_editor.connection, data_cipher()
    q = connection.ops.quote_name
    for rows in batches(connection, "online_contact", "id", ["agency_id", "kind", "value"], 500):
        updates = []
        for pk, agency_id, kind, value in rows:
            try:
                plain = cipher.decrypt(value)  # encrypted already (a re-run)
            except Undecryptable:
                plain = value
            updates.append((contact_index(agency_id, kind, plain, cipher), pk))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {q('online_contact')} SET {q('value_index')} = %s WHERE {q('id')} = %s",
                updates,
            )


class Migration(migrations.Migration):
    dependencies = [("online", "0008_encrypt_monitoring_columns")]

    operations = [
        # the index from the plaintext first (backwards: 0008 drops the column)
        migrations.RunPython(index_contacts, migrations.RunPython.noop),
        encrypt_existing(COLUMNS),
    ]
