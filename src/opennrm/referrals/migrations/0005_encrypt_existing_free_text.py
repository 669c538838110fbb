# Data migration: existing free text (decline reasons, legal-basis notes, status-change
# reasons) encrypted with the first key of OPENNRM_DATA_KEYS (reversible).
from django.db import migrations

from opennrm.crypto.migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_encrypt_free_text_columns")]

    operations = [
        encrypt_existing(
            {
                "referrals_referral": ["decline_reason", "legal_basis_note"],
                "referrals_referralchange": ["reason"],
            }
        )
    ]
