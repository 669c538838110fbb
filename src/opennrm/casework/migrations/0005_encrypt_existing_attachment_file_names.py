# Data migration: existing attachment file names (as the uploader named them, so they can
# name the person) encrypted with the first key of OPENNRM_DATA_KEYS (reversible).
from django.db import migrations

from opennrm.crypto.migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("casework", "0004_encrypt_attachment_file_names")]

    operations = [encrypt_existing({"casework_attachment": ["filename"]})]
