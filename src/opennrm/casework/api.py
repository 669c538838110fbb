"""Casework over the API: assignment, notes and the contact log, the assistance plan,
attachments and the deadline calendar. Every handler calls the same services and selectors
as the pages (``case_access_for`` and the policy table decide; refusals are audited there),
so a case or a part of it that the caller may not see answers 404 like a missing one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from opennrm.accounts.auth import TokenAuth
from opennrm.accounts.models import User
from opennrm.accounts.roles import CASE_ROLES
from opennrm.casework import selectors, services
from opennrm.casework.models import (
    Attachment,
    AttachmentKind,
    ContactChannel,
    Note,
    NoteKind,
    PlanItem,
    PlanItemKind,
)
from opennrm.casework.uploads import CappedMemoryUploadHandler
from opennrm.core.errors import Forbidden, ValidationFailed
from opennrm.core.schemas import JsonDate, JsonIn, json_code
from opennrm.directory.models import ServiceType

router = Router(tags=["casework"])


def _actor(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if user.role not in CASE_ROLES:
        raise Forbidden(_("Your role does not work on cases."))
    return user


class _BearerOnly(TokenAuth):
    """Uploads take a bearer token only (scope, second factor and last use as for every
    token): a session's CSRF check would read the body with Django's default upload
    handlers (a plain-text temporary file) before ours is set."""


class AssigneeOut(Schema):
    user_id: int
    name: str
    agency: str
    assigned_at: datetime


class NoteOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., description="The kind, in the request's language")
    text: str
    contact_on: date | None
    channel: str
    channel_label: str
    contact_with: str
    author: str
    agency: str
    created_at: datetime


class PlanItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    service_type: str
    service_label: str
    text: str
    target_on: date | None
    started_on: date | None
    ended_on: date | None
    done: bool
    agency: str
    created_at: datetime


class AttachmentOut(Schema):
    id: int
    kind: str
    kind_label: str
    filename: str
    content_type: str
    size: int
    scanned: bool
    uploaded_by: str
    created_at: datetime


class DeliveredOut(Schema):
    referral_id: int
    service_type: str
    service_label: str
    service_name: str
    closed_at: datetime | None


class CaseworkOut(Schema):
    reference: str
    parts: list[str] = Field(..., description="The parts this caller may see")
    may: list[str] = Field(..., description="What this caller may do: assign, note, plan, attach")
    assignments: list[AssigneeOut]
    notes: list[NoteOut]
    plan: list[PlanItemOut]
    delivered: list[DeliveredOut] = Field(..., description="Completed referrals")
    attachments: list[AttachmentOut]


class AssignIn(JsonIn):
    assignee_id: int | None = Field(..., description="A caseworker of your agency; null: nobody")


class AssignOut(Schema):
    assignee: AssigneeOut | None


class NoteIn(JsonIn):
    kind: json_code(NoteKind)  # type: ignore[valid-type]
    text: str = Field(..., max_length=5000)
    contact_on: JsonDate | None = None
    channel: json_code(ContactChannel) | None = None  # type: ignore[valid-type]
    contact_with: str = Field("", max_length=200)


class PlanItemIn(JsonIn):
    kind: json_code(PlanItemKind)  # type: ignore[valid-type]
    service_type: json_code(ServiceType) | None = None  # type: ignore[valid-type]
    text: str = Field("", max_length=500)
    target_on: JsonDate | None = None
    started_on: JsonDate | None = None
    ended_on: JsonDate | None = None


class CalendarQuery(Schema):
    year: int = Field(..., ge=2000, le=2100)
    month: int = Field(..., ge=1, le=12)
    mine: bool = False


class CalendarItemOut(Schema):
    day: date
    reference: str
    kind: str = Field(..., description="rg_due or reflection_ends")
    kind_label: str
    past: bool


class MyCaseOut(Schema):
    reference: str
    state: str
    state_label: str


class UserOut(Schema):
    id: int
    name: str


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else ""


def _assignee(a: Any) -> AssigneeOut:
    return AssigneeOut(
        user_id=a.user_id,
        name=selectors.display_name(a.user),
        agency=a.agency.name,
        assigned_at=a.assigned_at,
    )


def _note(n: Note) -> NoteOut:
    return NoteOut(
        id=n.pk,
        kind=n.kind,
        kind_label=_label(NoteKind, n.kind),
        text=n.text,
        contact_on=n.contact_on,
        channel=n.channel,
        channel_label=_label(ContactChannel, n.channel),
        contact_with=n.contact_with,
        author=selectors.display_name(n.author),
        agency=n.author_agency.name,
        created_at=n.created_at,
    )


def _plan_item(p: PlanItem) -> PlanItemOut:
    return PlanItemOut(
        id=p.pk,
        kind=p.kind,
        kind_label=_label(PlanItemKind, p.kind),
        service_type=p.service_type,
        service_label=_label(ServiceType, p.service_type),
        text=p.text,
        target_on=p.target_on,
        started_on=p.started_on,
        ended_on=p.ended_on,
        done=p.done,
        agency=p.agency.name,
        created_at=p.created_at,
    )


def _attachment(a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.pk,
        kind=a.kind,
        kind_label=_label(AttachmentKind, a.kind),
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        scanned=a.scanned,
        uploaded_by=selectors.display_name(a.uploaded_by),
        created_at=a.created_at,
    )


@router.get("/mine", response=list[MyCaseOut], summary="Cases assigned to me")
def my_cases(request: HttpRequest) -> list[MyCaseOut]:
    user = _actor(request)
    return [
        MyCaseOut(reference=c.reference, state=c.state, state_label=c.get_state_display())
        for c in selectors.cases_assigned_to(user).order_by("reference")[:500]
    ]


@router.get("/assignable", response=list[UserOut], summary="Caseworkers of my agency")
def assignable(request: HttpRequest) -> list[UserOut]:
    user = _actor(request)
    return [
        UserOut(id=u.pk, name=selectors.display_name(u)) for u in selectors.assignable_users(user)
    ]


@router.get(
    "/calendar", response=list[CalendarItemOut], summary="Deadlines of my cases in one month"
)
def calendar(request: HttpRequest, query: Query[CalendarQuery]) -> list[CalendarItemOut]:
    from opennrm.cases.models import DeadlineKind

    user = _actor(request)
    month = selectors.deadline_calendar(
        user, year=query.year, month=query.month, today=timezone.localdate(), mine=query.mine
    )
    return [
        CalendarItemOut(
            day=i.day,
            reference=i.reference,
            kind=i.kind,
            kind_label=str(
                DeadlineKind.RG_DECISION.label
                if i.kind == "rg_due"
                else DeadlineKind.REFLECTION_ENDS.label
            ),
            past=i.past,
        )
        for i in month.items
    ]


@router.get("/{reference}", response=CaseworkOut, summary="A case's casework (audited read)")
def casework(request: HttpRequest, reference: str) -> CaseworkOut:
    user = _actor(request)
    view = services.casework_read(actor=user, reference=reference)
    return CaseworkOut(
        reference=view.access.case.reference,
        parts=list(view.parts),
        may=[a for a in ("assign", "note", "plan", "attach") if view.may(a)],
        assignments=[_assignee(a) for a in view.assignments],
        notes=[_note(n) for n in view.notes],
        plan=[_plan_item(p) for p in view.plan],
        delivered=[
            DeliveredOut(
                referral_id=r.pk,
                service_type=r.service_type,
                service_label=_label(ServiceType, r.service_type),
                service_name=r.service_name,
                closed_at=r.closed_at,
            )
            for r in view.completed_referrals
        ],
        attachments=[_attachment(a) for a in view.attachments],
    )


@router.put("/{reference}/assignment", response=AssignOut, summary="Assign the case")
def assign(request: HttpRequest, reference: str, payload: AssignIn) -> AssignOut:
    user = _actor(request)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise ValidationFailed(
                _("A case can only be assigned to a caseworker of your own agency."),
                field="assignee_id",
            )
    row = services.assignment_set(actor=user, reference=reference, assignee=assignee)
    if row is not None:
        row = type(row).objects.select_related("user", "agency").get(pk=row.pk)
    return AssignOut(assignee=_assignee(row) if row else None)


@router.post("/{reference}/notes", response={201: NoteOut}, summary="Add a case note or a contact")
def note_add(request: HttpRequest, reference: str, payload: NoteIn) -> Status[NoteOut]:
    user = _actor(request)
    note = services.note_add(
        actor=user,
        reference=reference,
        kind=payload.kind,
        text=payload.text,
        contact_on=payload.contact_on,
        channel=payload.channel or "",
        contact_with=payload.contact_with,
    )
    note = Note.objects.select_related("author", "author_agency").get(pk=note.pk)
    return Status(201, _note(note))


@router.post("/{reference}/plan", response={201: PlanItemOut}, summary="Add to the assistance plan")
def plan_add(request: HttpRequest, reference: str, payload: PlanItemIn) -> Status[PlanItemOut]:
    user = _actor(request)
    item = services.plan_item_add(
        actor=user,
        reference=reference,
        kind=payload.kind,
        service_type=payload.service_type or "",
        text=payload.text,
        target_on=payload.target_on,
        started_on=payload.started_on,
        ended_on=payload.ended_on,
    )
    return Status(201, _plan_item(PlanItem.objects.select_related("agency").get(pk=item.pk)))


@router.post(
    "/{reference}/plan/{item_id}/done", response=PlanItemOut, summary="Mark a plan item done"
)
def plan_done(request: HttpRequest, reference: str, item_id: int) -> PlanItemOut:
    user = _actor(request)
    item = services.plan_item_done(actor=user, reference=reference, item_id=item_id)
    return _plan_item(PlanItem.objects.select_related("agency").get(pk=item.pk))


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "file"],
                    "properties": {
                        "kind": {"type": "string", "enum": list(AttachmentKind.values)},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/{reference}/attachments",
    response={201: AttachmentOut},
    auth=_BearerOnly(),
    summary="Attach a file (PDF, JPEG or PNG; multipart form, bearer token only)",
    openapi_extra=_UPLOAD_BODY,
)
def attach(request: HttpRequest, reference: str) -> Status[AttachmentOut]:
    user = _actor(request)
    # in memory only, never a plain-text temporary file (see opennrm.casework.uploads)
    request.upload_handlers = [CappedMemoryUploadHandler(request)]
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(_("Choose a file to attach."), field="file")
    attachment = services.attachment_add(
        actor=user,
        reference=reference,
        kind=request.POST.get("kind", ""),
        filename=upload.name or "",
        size=upload.size or 0,
        chunks=upload.chunks,
    )
    attachment = Attachment.objects.select_related("uploaded_by").get(pk=attachment.pk)
    return Status(201, _attachment(attachment))


@router.get(
    "/{reference}/attachments/{attachment_id}",
    response={200: None},
    summary="Download a file (always as a download, never shown inline; audited)",
)
def download(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    user = _actor(request)
    attachment, stream = services.attachment_open(
        actor=user, reference=reference, attachment_id=attachment_id
    )
    response = StreamingHttpResponse(stream, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Length"] = str(attachment.size)
    return response
