# Data migration: existing notes, contact-log "with whom" and plan text encrypted with the
# first key of OPENNRM_DATA_KEYS (reversible with the keys).
from django.db import migrations

from opennrm.crypto.migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_encrypt_personal_data_columns")]

    operations = [
        encrypt_existing(
            {"casework_note": ["text", "contact_with"], "casework_planitem": ["text"]}
        )
    ]
