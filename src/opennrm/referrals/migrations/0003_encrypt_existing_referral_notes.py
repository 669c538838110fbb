# Data migration: existing referral notes encrypted with the first key of
# OPENNRM_DATA_KEYS (reversible with the keys).
from django.db import migrations

from opennrm.crypto.migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_encrypt_personal_data_columns")]

    operations = [encrypt_existing({"referrals_referral": ["note"]})]
