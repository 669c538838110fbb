"""Deployment warnings for notification e-mail (warnings: a deployment may choose no e-mail)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

_NOT_SENDING = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


def notification_email_settings(app_configs: Any, **kwargs: Any) -> list[Warning]:
    warnings: list[Warning] = []
    if settings.EMAIL_BACKEND in _NOT_SENDING:
        warnings.append(
            Warning(
                "Notification e-mails are not sent (console or test e-mail backend).",
                hint="Set OPENNRM_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
                "and OPENNRM_EMAIL_HOST.",
                id="opennrm.W101",
            )
        )
    if not str(settings.OPENNRM_BASE_URL).startswith("https://"):
        warnings.append(
            Warning(
                "OPENNRM_BASE_URL is not an https:// address; e-mails link to it.",
                hint="Set OPENNRM_BASE_URL to the address users open OpenNRM at.",
                id="opennrm.W102",
            )
        )
    return warnings


def register_checks() -> None:
    register(Tags.security, deploy=True)(notification_email_settings)
