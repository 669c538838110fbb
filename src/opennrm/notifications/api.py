"""Notification endpoints: the caller's own inbox only."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from opennrm.accounts.models import User
from opennrm.notifications import selectors, services
from opennrm.notifications.kinds import Kind

router = Router(tags=["notifications"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class NotificationOut(Schema):
    id: int
    kind: Kind
    label: str = Field(..., description="The kind, in the request's language")
    text: str = Field(..., description="The sentence, in the request's language")
    case_reference: str | None = Field(
        None, description="Only while the caller may still see the case"
    )
    object_id: int | None
    created_at: datetime
    read_at: datetime | None
    unread: bool


class NotificationPage(Schema):
    page: int
    page_size: int
    has_next: bool
    unread: int
    items: list[NotificationOut]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(25, ge=1, le=200)
    unread_only: bool = False


class MarkedOut(Schema):
    marked: int


def _out(row: dict[str, object]) -> NotificationOut:
    return NotificationOut(
        id=row["id"],
        kind=row["kind"],
        label=row["label"],
        text=row["text"],
        case_reference=row["case_reference"] or None,
        object_id=row["notification"].object_id,  # type: ignore[attr-defined]
        created_at=row["created_at"],
        read_at=row["read_at"],
        unread=row["unread"],
    )


@router.get("", response=NotificationPage, summary="Your notifications, newest first")
def list_notifications(request: HttpRequest, q: Query[PageQuery]) -> NotificationPage:
    actor = _actor(request)
    qs = selectors.notifications_for(actor)
    if q.unread_only:
        qs = qs.filter(read_at__isnull=True)
    start = (q.page - 1) * q.page_size
    chunk = list(qs[start : start + q.page_size + 1])
    rows = selectors.notification_views(actor, chunk[: q.page_size])
    return NotificationPage(
        page=q.page,
        page_size=q.page_size,
        has_next=len(chunk) > q.page_size,
        unread=selectors.unread_count(actor),
        items=[_out(r) for r in rows],
    )


@router.post(
    "/{notification_id}/read",
    response={200: NotificationOut, 404: dict},
    summary="Mark one notification read",
)
def mark_read(request: HttpRequest, notification_id: int) -> NotificationOut:
    actor = _actor(request)
    notification = services.notification_mark_read(actor=actor, notification_id=notification_id)
    return _out(selectors.notification_views(actor, [notification])[0])


@router.post("/read-all", response=MarkedOut, summary="Mark all your notifications read")
def mark_all_read(request: HttpRequest) -> MarkedOut:
    return MarkedOut(marked=services.notifications_mark_all_read(actor=_actor(request)))
