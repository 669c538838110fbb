"""Casework pages. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from opennrm.accounts.models import User
from opennrm.accounts.roles import CASE_ROLES
from opennrm.casework import selectors, services
from opennrm.casework.forms import AssignForm, AttachmentForm, NoteForm, PlanItemForm
from opennrm.casework.uploads import CappedMemoryUploadHandler
from opennrm.core.errors import DomainError
from opennrm.web.views import page

_FORMS = {"note": NoteForm, "plan": PlanItemForm, "attach": AttachmentForm}


def _page(
    request: HttpRequest, reference: str, bound: dict[str, Any] | None = None
) -> HttpResponse:
    view = services.casework_read(actor=request.user, reference=reference)  # type: ignore[arg-type]
    users = [
        (str(u.pk), selectors.display_name(u))
        for u in selectors.assignable_users(request.user)  # type: ignore[arg-type]
    ]
    mine = next(
        (a for a in view.assignments if a.agency_id == request.user.agency_id),  # type: ignore[union-attr]
        None,
    )
    bound = bound or {}
    context = {
        "case": view.access.case,
        "view": view,
        "assign_form": bound.get("assign")
        or AssignForm(users=users, initial={"assignee": str(mine.user_id) if mine else ""}),
        "note_form": bound.get("note") or NoteForm(),
        "plan_form": bound.get("plan") or PlanItemForm(),
        "attach_form": bound.get("attach") or AttachmentForm(),
        "open": next(iter(bound), ""),
    }
    status = 422 if bound else 200
    return render(request, "casework/case.html", context, status=status)


@page(CASE_ROLES)
def casework_page(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, reference)


def _bad(
    request: HttpRequest, reference: str, name: str, form: Any, error: DomainError
) -> HttpResponse:
    form.add_error(error.field if error.field in form.fields else None, error.message)
    return _page(request, reference, {name: form})


@page(CASE_ROLES)
@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    users = [(str(u.pk), "") for u in selectors.assignable_users(request.user)]  # type: ignore[arg-type]
    form = AssignForm(request.POST, users=users)
    if not form.is_valid():
        return _page(request, reference, {"assign": form})
    raw = form.cleaned_data["assignee"]
    assignee = User.objects.filter(pk=int(raw)).first() if raw else None
    try:
        services.assignment_set(actor=request.user, reference=reference, assignee=assignee)  # type: ignore[arg-type]
    except DomainError as error:
        return _bad(request, reference, "assign", form, error)
    messages.success(request, _("Assignment saved."))
    return redirect("casework:case", reference=reference)


@page(CASE_ROLES)
@require_POST
def note_add(request: HttpRequest, reference: str) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _page(request, reference, {"note": form})
    try:
        services.note_add(actor=request.user, reference=reference, **form.cleaned_data)  # type: ignore[arg-type]
    except DomainError as error:
        return _bad(request, reference, "note", form, error)
    messages.success(request, _("Note saved."))
    return redirect("casework:case", reference=reference)


@page(CASE_ROLES)
@require_POST
def plan_add(request: HttpRequest, reference: str) -> HttpResponse:
    form = PlanItemForm(request.POST)
    if not form.is_valid():
        return _page(request, reference, {"plan": form})
    try:
        services.plan_item_add(actor=request.user, reference=reference, **form.cleaned_data)  # type: ignore[arg-type]
    except DomainError as error:
        return _bad(request, reference, "plan", form, error)
    messages.success(request, _("Plan updated."))
    return redirect("casework:case", reference=reference)


@page(CASE_ROLES)
@require_POST
def plan_done(request: HttpRequest, reference: str, item_id: int) -> HttpResponse:
    services.plan_item_done(actor=request.user, reference=reference, item_id=item_id)  # type: ignore[arg-type]
    messages.success(request, _("Plan updated."))
    return redirect("casework:case", reference=reference)


@csrf_exempt  # checked below, after the upload handler is set (Django's documented way)
def attach(request: HttpRequest, reference: str) -> HttpResponse:
    """The upload stays in memory (never a plain-text temporary file on disk)."""
    request.upload_handlers = [CappedMemoryUploadHandler(request)]
    return _attach(request, reference)


@csrf_protect
@page(CASE_ROLES)
@require_POST
def _attach(request: HttpRequest, reference: str) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, reference, {"attach": form})
    upload = form.cleaned_data["file"]
    try:
        services.attachment_add(
            actor=request.user,  # type: ignore[arg-type]
            reference=reference,
            kind=form.cleaned_data["kind"],
            filename=upload.name or "",
            size=upload.size or 0,
            chunks=upload.chunks,
        )
    except DomainError as error:
        return _bad(request, reference, "attach", form, error)
    messages.success(request, _("File attached."))
    return redirect("casework:case", reference=reference)


@page(CASE_ROLES)
def download(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    attachment, stream = services.attachment_open(
        actor=request.user,  # type: ignore[arg-type]
        reference=reference,
        attachment_id=attachment_id,
    )
    response = StreamingHttpResponse(stream, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Length"] = str(attachment.size)
    return response


@page(CASE_ROLES)
def my_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    mine = request.GET.get("mine") == "1"
    month_view = selectors.deadline_calendar(
        request.user,  # type: ignore[arg-type]
        year=first.year,
        month=first.month,
        today=today,
        mine=mine,
    )
    previous = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return render(
        request,
        "casework/calendar.html",
        {
            "month": month_view,
            "first": first,
            "today": today,
            "mine": mine,
            "previous": previous,
            "following": following,
        },
    )
