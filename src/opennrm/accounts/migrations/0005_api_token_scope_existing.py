"""Existing tokens keep the full access they were made with (scope "write") and live at
most the role's maximum from their creation (OPENNRM_API_TOKEN_MAX_DAYS), never longer than
before. They also work only for a user with a confirmed second factor from now on (checked
at every use)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations

_DEFAULT = {"default": 30, "admin": 7, "auditor": 14, "analyst": 90}


def _max_days(role: str) -> int:
    limits = getattr(settings, "OPENNRM_API_TOKEN_MAX_DAYS", _DEFAULT)
    return int(limits.get(role, limits.get("default", 30)))


def forwards(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.select_related("user").iterator():
        cap = token.created_at + timedelta(days=_max_days(token.user.role))
        token.scope = "write"
        token.expires_at = min(token.expires_at, cap)
        token.save(update_fields=["scope", "expires_at"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_api_token_scope_last_use")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
