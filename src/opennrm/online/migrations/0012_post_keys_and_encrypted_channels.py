# Post ids become keyed per agency (AgencyPostKey: a random secret, encrypted) and channel
# names encrypted, found by a blind index (channel_index). Schema only: 0013 keys the
# stored ids and encrypts and indexes the stored channels (a migration of its own:
# PostgreSQL cannot alter a table in the transaction that updated its rows).
import django.db.models.deletion
from django.db import migrations, models

import opennrm.crypto.fields


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_api_token_scope_existing"),
        ("online", "0011_legacy_import_errors_encrypted"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgencyPostKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", opennrm.crypto.fields.EncryptedTextField()),
                (
                    "agency",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.agency",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="monitoredpost",
            name="channel_index",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="monitoredpost",
            name="channel",
            field=opennrm.crypto.fields.EncryptedTextField(blank=True, max_length=255),
        ),
        migrations.AlterField(
            model_name="postgroup",
            name="channels",
            field=opennrm.crypto.fields.EncryptedJSONField(default=list),
        ),
        migrations.AddIndex(
            model_name="monitoredpost",
            index=models.Index(fields=["agency", "channel_index"], name="post_channel_idx"),
        ),
    ]
