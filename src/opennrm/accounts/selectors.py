from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.models import ApiToken, Jurisdiction, User
from opennrm.accounts.roles import SECOND_FACTOR_ROLES


def user_needs_second_factor(user: User) -> bool:
    return bool(settings.OPENNRM_REQUIRE_2FA) and (
        user.role in SECOND_FACTOR_ROLES or user.is_superuser
    )


def user_has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def user_is_fully_authenticated(user: User) -> bool:
    """Signed in, and past the second factor when the role requires one."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user_needs_second_factor(user):
        return bool(getattr(user, "is_verified", lambda: False)())
    return True


def jurisdiction_for(country: str) -> Jurisdiction:
    """The NRM rules of a country: the stored ones, else the configured defaults (unsaved)."""
    found = Jurisdiction.objects.filter(country=country).first()
    if found is not None:
        return found
    return Jurisdiction(
        country=country,
        time_zone=settings.TIME_ZONE,
        reflection_days=max(30, settings.OPENNRM_REFLECTION_DAYS),
        rg_decision_working_days=settings.OPENNRM_RG_DECISION_WORKING_DAYS,
    )


def api_token_find(raw_token: str, *, now: datetime | None = None) -> ApiToken | None:
    """The valid token with this secret, its user loaded, or None.

    Valid: not revoked, not expired, not older than its owner's role now allows
    (``OPENNRM_API_TOKEN_MAX_DAYS``), owned by an active user who (when second factors
    are on) still has a confirmed second factor. One query.
    """
    now = now or timezone.now()
    digest = hashlib.sha256(raw_token.encode()).hexdigest()
    token = (
        ApiToken.objects.select_related("user", "user__agency")
        .annotate(
            has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True))
        )
        .filter(digest=digest, revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if settings.OPENNRM_REQUIRE_2FA and not token.has_device:  # type: ignore[attr-defined]
        return None
    limits = settings.OPENNRM_API_TOKEN_MAX_DAYS
    max_days = int(limits.get(token.user.role, limits.get("default", 30)))
    if token.created_at + timedelta(days=max_days) <= now:
        return None
    return token


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
