from __future__ import annotations

from django.http import HttpRequest

from opennrm.accounts.selectors import user_is_fully_authenticated
from opennrm.notifications.selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count for the header badge (one indexed count, only once signed in fully)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user_is_fully_authenticated(user):  # type: ignore[arg-type]
        return {"notifications_enabled": False, "notifications_unread": 0}
    return {"notifications_enabled": True, "notifications_unread": unread_count(user)}  # type: ignore[arg-type]
