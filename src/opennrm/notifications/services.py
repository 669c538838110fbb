"""Writes of notifications. Other apps call ``notify`` / ``notify_agency`` inside their own
transaction; the e-mails go out only after it commits (``transaction.on_commit``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import Agency, User
from opennrm.core.errors import ValidationFailed
from opennrm.notifications import emails
from opennrm.notifications.kinds import clean_params
from opennrm.notifications.models import Notification
from opennrm.notifications.selectors import agency_recipients, notification_get_for

# While ``counting_notifications`` runs, every notification created is counted here by kind.
_COUNTER: ContextVar[Counter[str] | None] = ContextVar("notification_counter", default=None)


@contextmanager
def counting_notifications() -> Iterator[Counter[str]]:
    """Count the notifications created inside the block, by kind (for `opennrm notify`)."""
    counter: Counter[str] = Counter()
    token = _COUNTER.set(counter)
    try:
        yield counter
    finally:
        _COUNTER.reset(token)


_REFERENCE = re.compile(r"[A-Za-z0-9-]{0,16}")
_DEDUPE_KEY = re.compile(r"[A-Za-z0-9_:.\-]{0,200}")


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    case_reference: str = "",
    object_id: int | None = None,
    params: dict[str, Any] | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """Create one notification per active recipient and e-mail those with an address.

    ``params`` are codes, ISO dates or counts only (checked: no free text, so no personal
    data). With a ``dedupe_key``, a recipient who already has a notification with that key
    gets nothing new, so a reminder is never created twice. Returns the new notifications.
    """
    cleaned = clean_params(kind, params)
    if not _REFERENCE.fullmatch(case_reference):
        raise ValidationFailed(_("Not a case reference."), field="case_reference")
    if not _DEDUPE_KEY.fullmatch(dedupe_key):
        raise ValidationFailed(
            _("A de-duplication key is made of codes, ids and dates."), field="dedupe_key"
        )
    users: dict[int, User] = {}
    for user in recipients:
        if user.is_active and user.pk is not None:
            users.setdefault(user.pk, user)
    if not users:
        return []
    created: list[Notification] = []
    with transaction.atomic():
        already: set[int] = set()
        if dedupe_key:
            already = set(
                Notification.objects.filter(
                    recipient_id__in=list(users), dedupe_key=dedupe_key
                ).values_list("recipient_id", flat=True)
            )
        now = timezone.now()
        for pk, user in users.items():
            if pk in already:
                continue
            try:
                with transaction.atomic():  # a savepoint: a concurrent run may win the key
                    created.append(
                        Notification.objects.create(
                            recipient=user,
                            kind=kind,
                            case_reference=case_reference,
                            object_id=object_id,
                            params=cleaned,
                            dedupe_key=dedupe_key,
                            created_at=now,
                        )
                    )
            except IntegrityError:
                if not dedupe_key:
                    raise
        counter = _COUNTER.get()
        if counter is not None and created:
            counter[str(kind)] += len(created)
        to_mail = [n.pk for n in created if n.recipient.email]
        if to_mail:
            transaction.on_commit(partial(emails.send_notification_emails, to_mail))
    return created


def notify_agency(
    *,
    agency: Agency,
    roles: Iterable[str] | None = None,
    kind: str,
    case_reference: str = "",
    object_id: int | None = None,
    params: dict[str, Any] | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """``notify`` every active user of ``agency`` with one of ``roles`` (default: case roles)."""
    return notify(
        recipients=agency_recipients(agency.pk, roles),
        kind=kind,
        case_reference=case_reference,
        object_id=object_id,
        params=params,
        dedupe_key=dedupe_key,
    )


@transaction.atomic
def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read (reading it twice changes nothing)."""
    notification = notification_get_for(actor, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
