# Data migration: existing free text (partners' notes on received packages) encrypted with the first key of OPENNRM_DATA_KEYS
# (reversible with the keys).
from django.db import migrations

from opennrm.crypto.migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("exchange", "0002_encrypt_free_text_columns")]

    operations = [encrypt_existing({"exchange_incomingpackage": ["note"]})]
