"""Reads of notifications. A user only ever reads their own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import CASE_ROLES
from opennrm.cases.selectors import cases_visible_to
from opennrm.core.errors import NotFound
from opennrm.notifications.models import Notification


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_get_for(user: User, notification_id: int) -> Notification:
    """The user's own notification; someone else's looks exactly like a missing one."""
    found = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if found is None:
        raise NotFound(_("No such notification."))
    return found


def agency_recipients(agency_id: int | None, roles: Iterable[str] | None = None) -> QuerySet[User]:
    """Active users of an agency with one of ``roles`` (default: the case roles)."""
    wanted = [str(r) for r in (roles if roles is not None else CASE_ROLES)]
    if agency_id is None:
        return User.objects.none()
    return User.objects.filter(agency_id=agency_id, is_active=True, role__in=wanted).order_by("pk")


# --- where a notification leads --------------------------------------------------------

#: kind -> resolver(user, object ids) -> {object id: url} for the objects the user may open.
ObjectLinkResolver = Callable[[User, Sequence[int]], dict[int, str]]
_OBJECT_LINKS: dict[str, ObjectLinkResolver] = {}


def register_object_link(kinds: Iterable[str], resolver: ObjectLinkResolver) -> None:
    """Let an app (e.g. referrals) say where notifications about its objects lead. The
    resolver returns links only to objects the user may still open."""
    for kind in kinds:
        _OBJECT_LINKS[kind] = resolver


def visible_case_references(user: User, references: Iterable[str]) -> set[str]:
    refs = {r for r in references if r}
    if not refs:
        return set()
    return set(
        cases_visible_to(user).filter(reference__in=refs).values_list("reference", flat=True)
    )


def notification_views(user: User, notifications: Sequence[Notification]) -> list[dict[str, Any]]:
    """What the reader may see of each notification: the sentence, and the case reference
    and a link only while the reader may still see that case (or object)."""
    visible = visible_case_references(user, (n.case_reference for n in notifications))
    object_links: dict[tuple[str, int], str] = {}
    by_kind: dict[str, list[int]] = {}
    for n in notifications:
        if n.object_id is not None and n.kind in _OBJECT_LINKS:
            by_kind.setdefault(n.kind, []).append(n.object_id)
    for kind, ids in by_kind.items():
        for object_id, url in _OBJECT_LINKS[kind](user, ids).items():
            object_links[(kind, object_id)] = url
    rows = []
    for n in notifications:
        reference = n.case_reference if n.case_reference in visible else ""
        url = object_links.get((n.kind, n.object_id)) if n.object_id is not None else None
        if url is None and reference:
            url = reverse("web:case_detail", args=[reference])
        rows.append(
            {
                "notification": n,
                "id": n.pk,
                "kind": n.kind,
                "label": n.label,
                "text": n.text,
                "case_reference": reference,
                "had_case": bool(n.case_reference) and not reference,
                "url": url,
                "created_at": n.created_at,
                "read_at": n.read_at,
                "unread": n.read_at is None,
            }
        )
    return rows
