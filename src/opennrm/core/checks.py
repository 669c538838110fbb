"""Deployment checks: production refuses to start without its safety settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def opennrm_production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if settings.DEBUG:
        errors.append(
            Error("DEBUG is on.", hint="Unset OPENNRM_DEBUG in production.", id="opennrm.E005")
        )
    if getattr(settings, "SECRET_KEY_IS_EPHEMERAL", False):
        errors.append(
            Error(
                "OPENNRM_SECRET_KEY is not set.",
                hint="Set a long random secret in the environment.",
                id="opennrm.E001",
            )
        )
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        errors.append(
            Error(
                "Cookies must be Secure in production.",
                hint="Unset OPENNRM_SECURE_COOKIES.",
                id="opennrm.E002",
            )
        )
    if not settings.OPENNRM_REQUIRE_2FA:
        errors.append(
            Error(
                "Two-factor authentication is disabled.",
                hint="Unset OPENNRM_REQUIRE_2FA.",
                id="opennrm.E003",
            )
        )
    if not settings.SECURE_SSL_REDIRECT and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        errors.append(
            Error(
                "HTTPS is not enforced.",
                hint="Set OPENNRM_SSL_REDIRECT or OPENNRM_PROXY_SSL_HEADER.",
                id="opennrm.E004",
            )
        )
    return errors
