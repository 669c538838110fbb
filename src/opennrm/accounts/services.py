"""Writes for agencies, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import Agency, ApiToken, User
from opennrm.accounts.roles import AgencyType, Role
from opennrm.audit.services import audit_record
from opennrm.core.errors import ValidationFailed


@transaction.atomic
def agency_create(
    *,
    actor: User | None,
    name: str,
    type: str,
    country: str,
    region: str = "",
    is_synthetic: bool = False,
) -> Agency:
    if type not in AgencyType.values:
        raise ValidationFailed(_("Unknown agency type: %(t)s") % {"t": type}, field="type")
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ValidationFailed(_("Country must be a two-letter ISO code."), field="country")
    if Agency.objects.filter(name=name).exists():
        raise ValidationFailed(_("An agency with this name exists already."), field="name")
    agency = Agency.objects.create(
        name=name, type=type, country=country, region=region, is_synthetic=is_synthetic
    )
    audit_record(
        actor=actor, action="agency.create", object_type="agency", object_ref=str(agency.pk)
    )
    return agency


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    agency: Agency | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    check_password_strength: bool = True,
) -> User:
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role: %(r)s") % {"r": role}, field="role")
    if agency is None and role != Role.ADMIN:
        raise ValidationFailed(
            _("Every user except administrators belongs to an agency."), field="agency"
        )
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(_("This user name is taken."), field="username")
    user = User(
        username=username,
        agency=agency,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if check_password_strength:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        object_type="user",
        object_ref=str(user.pk),
        detail={"role": role, "agency_id": agency.pk if agency else None},
    )
    return user


@transaction.atomic
def api_token_create(*, actor: User, user: User, name: str, days: int = 90) -> tuple[ApiToken, str]:
    """Create a token; the raw secret is returned once and never stored."""
    if actor.pk != user.pk and not actor.is_superuser:
        raise ValidationFailed(_("You can only create tokens for yourself."), field="user")
    if not 1 <= days <= 365:
        raise ValidationFailed(_("A token lives between 1 and 365 days."), field="days")
    raw = "onrm_" + secrets.token_urlsafe(32)

    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        digest=hashlib.sha256(raw.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor, action="api_token.create", object_type="api_token", object_ref=str(token.pk)
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk and not actor.is_superuser:
        raise ValidationFailed(_("You can only revoke your own tokens."), field="token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_ref=str(token.pk),
        )
    return token


def user_set_language(*, actor: User, language: str) -> None:
    """Remember the interface language a user chose (used at the next sign-in)."""
    from django.conf import settings

    if language in {code for code, _name in settings.LANGUAGES}:
        User.objects.filter(pk=actor.pk).update(preferred_language=language)
