from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("online", "0013_key_post_ids_encrypt_channels")]

    operations = [
        migrations.AddField(
            model_name="campaignstate",
            name="rebuild_needed",
            field=models.BooleanField(default=False),
        ),
    ]
