# What the monitoring collected about people becomes encrypted at rest (post texts,
# authors, addresses, reasons, contacts; contact values with a blind index; campaign
# templates, shared contacts and the campaign index; imported file names and problems).
# Schema only: the existing rows are encrypted by 0009.
from django.db import migrations, models

import opennrm.crypto.fields


class Migration(migrations.Migration):
    dependencies = [("online", "0007_import_error_params")]

    operations = [
        migrations.RemoveConstraint(model_name="contact", name="contact_unique_per_agency"),
        migrations.AddField(
            model_name="contact",
            name="value_index",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="contact",
            name="value",
            field=opennrm.crypto.fields.EncryptedTextField(max_length=500),
        ),
        migrations.AlterField(
            model_name="campaignchunk",
            name="blob",
            field=opennrm.crypto.fields.EncryptedBinaryField(),
        ),
        migrations.AlterField(
            model_name="monitoredpost",
            name="author",
            field=opennrm.crypto.fields.EncryptedTextField(blank=True, max_length=255),
        ),
        migrations.AlterField(
            model_name="monitoredpost",
            name="contacts",
            field=opennrm.crypto.fields.EncryptedJSONField(default=list),
        ),
        migrations.AlterField(
            model_name="monitoredpost",
            name="reasons",
            field=opennrm.crypto.fields.EncryptedJSONField(default=list),
        ),
        migrations.AlterField(
            model_name="monitoredpost",
            name="text",
            field=opennrm.crypto.fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="monitoredpost",
            name="url",
            field=opennrm.crypto.fields.EncryptedTextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="postgroup",
            name="contacts",
            field=opennrm.crypto.fields.EncryptedJSONField(default=list),
        ),
        migrations.AlterField(
            model_name="importrun",
            name="source_name",
            field=opennrm.crypto.fields.EncryptedTextField(max_length=255),
        ),
        migrations.AlterField(
            model_name="importrun",
            name="problems",
            field=opennrm.crypto.fields.EncryptedJSONField(default=list),
        ),
        migrations.AlterField(
            model_name="importrun",
            name="error_params",
            field=opennrm.crypto.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="postgroup",
            name="template",
            field=opennrm.crypto.fields.EncryptedTextField(blank=True),
        ),
    ]
