from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("online", "0011_legacy_import_errors_encrypted")]

    operations = [
        migrations.AddField(
            model_name="campaignstate",
            name="rebuild_needed",
            field=models.BooleanField(default=False),
        ),
    ]
