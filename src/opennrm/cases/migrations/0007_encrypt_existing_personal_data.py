# Data migration: the plaintext already stored in the columns 0006 made encrypted fields
# is encrypted with the first key of OPENNRM_DATA_KEYS (reversible with the keys).
from django.db import migrations

from opennrm.crypto.migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_encrypt_personal_data_columns")]

    operations = [
        encrypt_existing(
            {
                "cases_case": ["summary", "forced_criminality_note"],
                "cases_person": [
                    "given_name",
                    "family_name",
                    "other_names",
                    "date_of_birth",
                    "contact",
                    "documents",
                ],
            }
        )
    ]
