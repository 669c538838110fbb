# Data migration: existing free text (event reasons, grant notes, access and hand-over
# reasons and answers) encrypted with the first key of OPENNRM_DATA_KEYS (reversible).
from django.db import migrations

from opennrm.crypto.migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_encrypt_free_text_columns")]

    operations = [
        encrypt_existing(
            {
                "cases_caseevent": ["reason"],
                "cases_casegrant": ["note", "legal_basis_note"],
                "cases_accessrequest": ["reason", "answer"],
                "cases_handover": ["reason", "answer"],
            }
        )
    ]
