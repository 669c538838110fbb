# A contact is unique per agency by its blind index (filled by 0009; a migration of its
# own: PostgreSQL cannot alter a table in the transaction that updated its rows).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("online", "0009_encrypt_existing_monitoring_data")]

    operations = [
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(
                fields=("agency", "value_index"), name="contact_unique_index_per_agency"
            ),
        ),
    ]
