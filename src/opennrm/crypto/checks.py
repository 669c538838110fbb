"""Production refuses to start without its own data keys (like OPENNRM_SECRET_KEY)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from opennrm.crypto.keys import DataCipher, InvalidKey, development_key


@register(Tags.security, deploy=True)
def data_keys_configured(app_configs: Any, **kwargs: Any) -> list[Error]:
    keys = [k.strip() for k in settings.OPENNRM_DATA_KEYS if k.strip()]
    if getattr(settings, "OPENNRM_DATA_KEYS_ARE_DEVELOPMENT", False) or not keys:
        return [
            Error(
                "OPENNRM_DATA_KEYS is not set: personal data would be encrypted with the "
                "public development key.",
                hint="Set OPENNRM_DATA_KEYS to a key made by `opennrm keys generate` "
                "(comma-separated; the first encrypts, older ones after it still decrypt).",
                id="opennrm.E020",
            )
        ]
    if development_key() in keys:
        return [
            Error(
                "OPENNRM_DATA_KEYS contains the public development key.",
                hint="Make a real key with `opennrm keys generate`, put it first, run "
                "`opennrm keys rotate`, then remove the development key.",
                id="opennrm.E021",
            )
        ]
    return []


@register(Tags.security)
def data_keys_valid(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Malformed keys stop every command, not only production (nothing could be read)."""
    try:
        DataCipher(settings.OPENNRM_DATA_KEYS)
    except InvalidKey as error:
        return [
            Error(
                f"OPENNRM_DATA_KEYS: {error}.",
                hint="Each key is made by `opennrm keys generate`.",
                id="opennrm.E022",
            )
        ]
    return []
