# Data migration: the monitoring data already stored is encrypted with the first key of
# OPENNRM_DATA_KEYS, and every contact gets its blind index (reversible: backwards
# decrypts again, with the keys).
from typing import Any

from django.db import migrations

from opennrm.crypto.columns import batches, decrypt_columns, encrypt_columns
from opennrm.crypto.fields import data_cipher
from opennrm.crypto.keys import Undecryptable

COLUMNS = {
    "online_monitoredpost": ["text", "author", "url", "reasons", "contacts"],
    "online_postgroup": ["template", "contacts"],
    "online_campaignchunk": ["blob"],
    "online_contact": ["value"],
    "online_importrun": ["source_name", "problems", "error_params"],
}


def _index_contacts(connection: Any, cipher: Any) -> None:
    from opennrm.online.models import contact_index

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


def forwards(apps: Any, schema_editor: Any) -> None:
    cipher = data_cipher()
    _index_contacts(schema_editor.connection, cipher)
    for table, columns in COLUMNS.items():
        encrypt_columns(schema_editor.connection, cipher, table, columns)


def backwards(apps: Any, schema_editor: Any) -> None:
    cipher = data_cipher()
    for table, columns in COLUMNS.items():
        decrypt_columns(schema_editor.connection, cipher, table, columns)


class Migration(migrations.Migration):
    dependencies = [("online", "0008_encrypt_monitoring_columns")]

    operations = [migrations.RunPython(forwards, backwards)]
