"""Writes for agencies, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.models import AdminRequest, Agency, ApiToken, User
from opennrm.accounts.roles import CASE_ROLES, AgencyType, Role
from opennrm.accounts.selectors import user_has_confirmed_device
from opennrm.audit.services import audit_record
from opennrm.core.errors import Conflict, Forbidden, ValidationFailed


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


def api_token_max_days(user: User) -> int:
    """The longest a token of this user's role may live (OPENNRM_API_TOKEN_MAX_DAYS)."""
    limits = settings.OPENNRM_API_TOKEN_MAX_DAYS
    return int(limits.get(user.role, limits.get("default", 30)))


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    user: User,
    name: str,
    days: int | None = None,
    scope: str = ApiToken.Scope.READ,
) -> tuple[ApiToken, str]:
    """Create a token for yourself; the raw secret is returned once and never stored.

    Only for a user with a confirmed second factor (when second factors are on), for at
    most the role's maximum lifetime, read-only unless ``scope`` is "write".
    """
    if actor.pk != user.pk:
        raise Forbidden(_("You can only create tokens for yourself."), field="user")
    if settings.OPENNRM_REQUIRE_2FA and not user_has_confirmed_device(user):
        raise Forbidden(
            _("Set up your second factor (authenticator app) before you create an API token."),
            field="user",
        )
    if scope not in ApiToken.Scope.values:
        raise ValidationFailed(_("A token reads, or reads and writes."), field="scope")
    limit = api_token_max_days(user)
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise ValidationFailed(
            _("A token of your role lives between 1 and %(n)d days.") % {"n": limit},
            field="days",
        )
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give the token a name (what uses it)."), field="name")
    raw = "onrm_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        digest=hashlib.sha256(raw.encode()).hexdigest(),
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="api_token.create",
        object_type="api_token",
        object_ref=str(token.pk),
        detail={"scope": scope, "days": days},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token: its owner, or an administrator (audited with the owner's id)."""
    by_admin = token.user_id != actor.pk
    if by_admin and not _is_administrator(actor):
        raise Forbidden(_("You can only revoke your own tokens."), field="token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_ref=str(token.pk),
            detail={"user_id": token.user_id, "by_admin": True} if by_admin else {},
        )
        if by_admin:
            _notify_user(token.user, "api_token_revoked", object_id=token.pk)
    return token


def _notify_user(user: User, kind: str, *, object_id: int | None = None) -> None:
    """Tell a user what an administrator did to their account (in the app and by e-mail
    after the commit): codes only, no data."""
    from opennrm.notifications.services import notify

    notify(recipients=[user], kind=kind, object_id=object_id)


def _api_tokens_revoke_all(*, actor: User, user: User, reason: str) -> int:
    """Revoke every live token of ``user`` (their second factor or password was reset)."""
    now = timezone.now()
    ids = list(
        ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        ApiToken.objects.filter(pk=pk).update(revoked_at=now)
        audit_record(
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_ref=str(pk),
            detail={"user_id": user.pk, "by_admin": True, "reason": reason},
        )
    return len(ids)


def api_token_mark_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Remember when a token was last used, to the minute (one write a minute at most)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < _LAST_USE_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - _LAST_USE_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now


def api_token_check_scope(*, token: ApiToken, method: str) -> None:
    """A read token is refused on every write (any method but GET, HEAD and OPTIONS)."""
    if token.scope != ApiToken.Scope.WRITE and method.upper() not in _SAFE_METHODS:
        raise Forbidden(
            _("This token may only read. Create a token with the write scope to change data."),
            field="scope",
        )


_LAST_USE_RESOLUTION = timedelta(minutes=1)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def user_set_language(*, actor: User, language: str) -> None:
    """Remember the interface language a user chose (used at the next sign-in)."""
    from django.conf import settings

    if language in {code for code, _name in settings.LANGUAGES}:
        User.objects.filter(pk=actor.pk).update(preferred_language=language)


# --- administration (Django admin): every change audited, the sensitive ones by two people ---


def two_person_rule() -> bool:
    return bool(settings.OPENNRM_TWO_PERSON_ADMIN)


def _is_administrator(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role == Role.ADMIN))


def _request(*, actor: User, kind: str, target: User, payload: dict[str, Any]) -> AdminRequest:
    request = AdminRequest.objects.create(
        kind=kind, target=target, requested_by=actor, payload=payload
    )
    audit_record(
        actor=actor,
        action="admin.request.create",
        object_type="admin_request",
        object_ref=str(request.pk),
        detail={"kind": kind, "user_id": target.pk},
    )
    return request


def _reset_second_factor(*, actor: User, user: User, request_id: int | None) -> int:
    """Remove every device of ``user``: they enrol a new one at their next sign-in."""
    removed, _by_type = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        audit_record(
            actor=actor,
            action="admin.user.second_factor_remove",
            object_type="user",
            object_ref=str(user.pk),
            detail={"devices": removed, "request_id": request_id, "reenrol": True},
        )
    _api_tokens_revoke_all(actor=actor, user=user, reason="second_factor_reset")
    return removed


def _apply_password(
    *, actor: User, user: User, encoded_password: str, request_id: int | None
) -> None:
    user.password = encoded_password
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="admin.user.password_set",
        object_type="user",
        object_ref=str(user.pk),
        detail={"request_id": request_id, "usable": user.has_usable_password()},
    )
    if user.pk != actor.pk:
        _reset_second_factor(actor=actor, user=user, request_id=request_id)
        _notify_user(user, "password_set_by_admin")


@transaction.atomic
def user_password_set_by_admin(
    *, actor: User, user: User, encoded_password: str
) -> AdminRequest | None:
    """Set a password (already hashed). Another user's: they re-enrol their second factor;
    under the two-person rule it waits for a second administrator (returns the request)."""
    if user.pk != actor.pk and two_person_rule():
        return _request(
            actor=actor,
            kind=AdminRequest.Kind.PASSWORD_SET,
            target=user,
            payload={"password": encoded_password},
        )
    _apply_password(actor=actor, user=user, encoded_password=encoded_password, request_id=None)
    return None


def _apply_device_removal(
    *, actor: User, user: User, device_ids: list[int], request_id: int | None
) -> None:
    removed, _by_type = TOTPDevice.objects.filter(user=user, pk__in=device_ids).delete()
    audit_record(
        actor=actor,
        action="admin.user.second_factor_remove",
        object_type="user",
        object_ref=str(user.pk),
        detail={"devices": removed, "request_id": request_id, "reenrol": True},
    )
    if not user_has_confirmed_device(user):
        _api_tokens_revoke_all(actor=actor, user=user, reason="second_factor_reset")
    if removed and user.pk != actor.pk:
        _notify_user(user, "second_factor_reset")


@transaction.atomic
def second_factor_remove_by_admin(
    *, actor: User, devices: Iterable[TOTPDevice]
) -> list[AdminRequest]:
    """Remove second-factor devices (their users enrol again at the next sign-in).
    Under the two-person rule, one request per user waits for a second administrator."""
    by_user: dict[int, list[TOTPDevice]] = {}
    for device in devices:
        by_user.setdefault(device.user_id, []).append(device)
    requests: list[AdminRequest] = []
    for items in by_user.values():
        user = items[0].user
        ids = sorted(d.pk for d in items)
        if two_person_rule():
            requests.append(
                _request(
                    actor=actor,
                    kind=AdminRequest.Kind.SECOND_FACTOR_REMOVE,
                    target=user,
                    payload={"device_ids": ids},
                )
            )
        else:
            _apply_device_removal(actor=actor, user=user, device_ids=ids, request_id=None)
    return requests


def _apply_role(*, actor: User, user: User, role: str, request_id: int | None) -> None:
    before = User.objects.values_list("role", flat=True).get(pk=user.pk)
    user.role = role
    User.objects.filter(pk=user.pk).update(role=role)
    audit_record(
        actor=actor,
        action="admin.user.role_change",
        object_type="user",
        object_ref=str(user.pk),
        detail={"from": before, "to": role, "request_id": request_id},
    )


def role_change_needs_second_admin(*, actor: User, user: User, role: str) -> bool:
    return two_person_rule() and role in CASE_ROLES and role != user.role


@transaction.atomic
def user_role_set_by_admin(*, actor: User, user: User, role: str) -> AdminRequest | None:
    """Change a user's role; to a case role under the two-person rule it waits for approval."""
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role: %(r)s") % {"r": role}, field="role")
    current = User.objects.values_list("role", flat=True).get(pk=user.pk)
    if role == current:
        return None
    if two_person_rule() and role in CASE_ROLES:
        return _request(
            actor=actor, kind=AdminRequest.Kind.ROLE_CHANGE, target=user, payload={"role": role}
        )
    _apply_role(actor=actor, user=user, role=role, request_id=None)
    return None


#: Account fields whose change by an administrator gets its own audit entry.
_WATCHED = ("agency_id", "is_active", "is_staff", "is_superuser")


def user_snapshot(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _WATCHED}


def user_admin_changes_record(*, actor: User, user: User, before: dict[str, Any]) -> None:
    """Audit an administrator's change of agency, activation or privileges (ids only)."""
    after = user_snapshot(user)
    if before["agency_id"] != after["agency_id"]:
        audit_record(
            actor=actor,
            action="admin.user.agency_change",
            object_type="user",
            object_ref=str(user.pk),
            detail={"from": before["agency_id"], "to": after["agency_id"]},
        )
    if before["is_active"] != after["is_active"]:
        audit_record(
            actor=actor,
            action="admin.user.activate" if after["is_active"] else "admin.user.deactivate",
            object_type="user",
            object_ref=str(user.pk),
        )
    changed = {k: after[k] for k in ("is_staff", "is_superuser") if before[k] != after[k]}
    if changed:
        audit_record(
            actor=actor,
            action="admin.user.privileges_change",
            object_type="user",
            object_ref=str(user.pk),
            detail=changed,
        )


@transaction.atomic
def admin_request_approve(*, actor: User, request_id: int) -> AdminRequest:
    """A second, different administrator approves: the change is applied now."""
    request = AdminRequest.objects.select_for_update().select_related("target").get(pk=request_id)
    if not _is_administrator(actor):
        raise Forbidden(_("Only administrators decide on these requests."))
    if request.status != AdminRequest.Status.PENDING:
        raise Conflict(_("This request has been decided already."))
    if request.requested_by_id == actor.pk:
        raise Forbidden(
            _("A second administrator must approve this: you cannot approve your own request.")
        )
    if request.target_id == actor.pk:
        raise Forbidden(_("A change to your own account is approved by another administrator."))
    target = request.target
    if request.kind == AdminRequest.Kind.PASSWORD_SET:
        _apply_password(
            actor=actor,
            user=target,
            encoded_password=request.payload["password"],
            request_id=request.pk,
        )
    elif request.kind == AdminRequest.Kind.SECOND_FACTOR_REMOVE:
        _apply_device_removal(
            actor=actor,
            user=target,
            device_ids=request.payload["device_ids"],
            request_id=request.pk,
        )
    elif request.kind == AdminRequest.Kind.ROLE_CHANGE:
        _apply_role(actor=actor, user=target, role=request.payload["role"], request_id=request.pk)
    _decide(actor=actor, request=request, status=AdminRequest.Status.APPROVED)
    return request


@transaction.atomic
def admin_request_reject(*, actor: User, request_id: int) -> AdminRequest:
    request = AdminRequest.objects.select_for_update().get(pk=request_id)
    if not _is_administrator(actor):
        raise Forbidden(_("Only administrators decide on these requests."))
    if request.status != AdminRequest.Status.PENDING:
        raise Conflict(_("This request has been decided already."))
    _decide(actor=actor, request=request, status=AdminRequest.Status.REJECTED)
    return request


def _decide(*, actor: User, request: AdminRequest, status: str) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.payload = {k: v for k, v in request.payload.items() if k != "password"}
    request.save(update_fields=["status", "decided_by", "decided_at", "payload"])
    audit_record(
        actor=actor,
        action="admin.request.approve"
        if status == AdminRequest.Status.APPROVED
        else "admin.request.reject",
        object_type="admin_request",
        object_ref=str(request.pk),
        detail={"kind": request.kind, "user_id": request.target_id},
    )


@transaction.atomic
def login_throttle_reset(*, actor: User, attempt_ids: list[int]) -> int:
    """Delete sign-in throttling records (django-axes), audited (how many, never who)."""
    from axes.models import AccessAttempt

    deleted, _by_type = AccessAttempt.objects.filter(pk__in=attempt_ids).delete()
    audit_record(
        actor=actor,
        action="admin.login_throttle.reset",
        object_type="login_throttle",
        object_ref="-",
        detail={"records": deleted},
    )
    return deleted
