# Runs that failed before reasons were stored as codes (0007) hold an English sentence
# in ImportRun.error, a plain column: it may name the file's path or quote the first
# record of a CSV ("no text column ...; columns are: <the first row>"). The sentence
# moves into the encrypted error_params as {"legacy": sentence}; error becomes the code
# "legacy" (shown as the sentence, as before). Backwards: moved back.
from typing import Any

from django.db import migrations

LEGACY = "legacy"


def _codes() -> set[str]:
    from opennrm.online.models import IMPORT_ERRORS
    from opennrm.online.problems import FILE_ERRORS

    return {*IMPORT_ERRORS, *FILE_ERRORS, LEGACY}


def forwards(apps: Any, schema_editor: Any) -> None:
    ImportRun = apps.get_model("online", "ImportRun")
    codes = _codes()
    for run in ImportRun.objects.exclude(error="").only("pk", "error", "error_params").iterator():
        if run.error in codes:
            continue
        run.error_params = {LEGACY: run.error}
        run.error = LEGACY
        run.save(update_fields=["error", "error_params"])


def backwards(apps: Any, schema_editor: Any) -> None:
    ImportRun = apps.get_model("online", "ImportRun")
    for run in ImportRun.objects.filter(error=LEGACY).iterator():
        run.error = str((run.error_params or {}).get(LEGACY, ""))
        run.error_params = {}
        run.save(update_fields=["error", "error_params"])


class Migration(migrations.Migration):
    dependencies = [("online", "0010_contact_unique_by_index")]

    operations = [migrations.RunPython(forwards, backwards)]
