"""The inbox pages. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opennrm.notifications import selectors, services
from opennrm.web.views import page

PAGE_SIZE = 25


@page()
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    page_obj = Paginator(selectors.notifications_for(user), PAGE_SIZE).get_page(  # type: ignore[arg-type]
        request.GET.get("page")
    )
    rows = selectors.notification_views(user, list(page_obj.object_list))  # type: ignore[arg-type]
    return render(
        request,
        "notifications/inbox.html",
        {"page": page_obj, "rows": rows, "query": "", "unread": selectors.unread_count(user)},  # type: ignore[arg-type]
    )


@require_POST
@page()
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.notification_mark_read(actor=request.user, notification_id=notification_id)  # type: ignore[arg-type]
    return redirect("notifications:inbox")


@require_POST
@page()
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and go where it leads, if the reader may still go there."""
    notification = services.notification_mark_read(
        actor=request.user,  # type: ignore[arg-type]
        notification_id=notification_id,
    )
    row = selectors.notification_views(request.user, [notification])[0]  # type: ignore[arg-type]
    return redirect(row["url"] or "notifications:inbox")


@require_POST
@page()
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(actor=request.user)  # type: ignore[arg-type]
    return redirect("notifications:inbox")
