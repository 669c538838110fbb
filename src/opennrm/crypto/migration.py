"""Data migrations that encrypt the existing plaintext of columns turned into encrypted
fields. Forwards: every non-empty value is encrypted with the first key of
OPENNRM_DATA_KEYS (a value that is a token already is left). Backwards: decrypted to
plaintext again with the configured keys, so the schema change before it can be undone;
without the keys going back is impossible (and so is reading the data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations

from opennrm.crypto.columns import decrypt_columns, encrypt_columns
from opennrm.crypto.fields import data_cipher


def encrypt_existing(tables: dict[str, Sequence[str]]) -> migrations.RunPython:
    def forwards(apps: Any, schema_editor: Any) -> None:
        cipher = data_cipher()
        for table, columns in tables.items():
            encrypt_columns(schema_editor.connection, cipher, table, columns)

    def backwards(apps: Any, schema_editor: Any) -> None:
        cipher = data_cipher()
        for table, columns in tables.items():
            decrypt_columns(schema_editor.connection, cipher, table, columns)

    return migrations.RunPython(forwards, backwards)
