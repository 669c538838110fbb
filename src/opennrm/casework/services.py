"""Casework writes and audited reads. Every one asks ``case_access_for`` (the one access
helper) and the policy table: a field the actor's profile does not show is refused like a
missing case (and audited as ``access.refused``); an action the profile does not allow is
refused with ``Forbidden`` (audited too). Audit ``detail`` holds ids and codes only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.audit.services import audit_record
from opennrm.cases.models import Case
from opennrm.cases.selectors import CaseAccess, access_refused_audit, case_access_for
from opennrm.casework import files
from opennrm.casework.models import (
    Assignment,
    Attachment,
    AttachmentKind,
    ContactChannel,
    Note,
    NoteKind,
    PlanItem,
    PlanItemKind,
)
from opennrm.casework.selectors import ASSIGNABLE_ROLES
from opennrm.core.errors import Forbidden, NotFound, ValidationFailed
from opennrm.directory.models import ServiceType

_PARTS = ("assignment", "notes", "plan", "attachments")


def _access(actor: User, reference: str, *, field: str, action: str = "") -> CaseAccess:
    access = case_access_for(actor, reference)
    if not access.sees(field):
        access_refused_audit(actor, reference=reference, what=field, purpose=access.purpose)
        raise NotFound(_("This part of the case is not shared with you."))
    if action and not access.may(action):
        access_refused_audit(actor, reference=reference, what=action, purpose=access.purpose)
        raise Forbidden(_("Your access to this case does not let you do this."))
    return access


def _audit(access: CaseAccess, action: str, detail: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=access.user,
        action=action,
        object_type="case",
        object_ref=access.case.reference,
        purpose=access.purpose,
        detail=detail or {},
    )


# --- the audited read of a case's casework ----------------------------------------------


@dataclass
class CompletedReferral:
    pk: int
    service_type: str
    service_name: str
    closed_at: Any


@dataclass
class CaseworkView:
    access: CaseAccess
    parts: tuple[str, ...]
    assignments: list[Assignment]
    notes: list[Note]
    plan: list[PlanItem]
    completed_referrals: list[CompletedReferral]
    attachments: list[Attachment]

    def may(self, action: str) -> bool:
        return self.access.may(action)

    @property
    def may_assign(self) -> bool:
        return self.may("assign")

    @property
    def may_note(self) -> bool:
        return self.may("note")

    @property
    def may_plan(self) -> bool:
        return self.may("plan")

    @property
    def may_attach(self) -> bool:
        return self.may("attach")

    @property
    def may_refer(self) -> bool:
        return self.may("refer")


def casework_read(*, actor: User, reference: str) -> CaseworkView:
    """Everything of the case's casework this actor may see, with one audit entry that
    names the parts read."""
    access = case_access_for(actor, reference)
    parts = tuple(p for p in _PARTS if access.sees(p))
    if not parts:
        access_refused_audit(actor, reference=reference, what="casework", purpose=access.purpose)
        raise NotFound(_("This part of the case is not shared with you."))
    case = access.case
    view = CaseworkView(
        access=access,
        parts=parts,
        assignments=list(case.assignments.select_related("user", "agency").order_by("agency_id"))
        if "assignment" in parts
        else [],
        notes=list(case.notes.select_related("author", "author_agency").order_by("-created_at"))
        if "notes" in parts
        else [],
        plan=list(case.plan_items.select_related("agency").order_by("kind", "created_at"))
        if "plan" in parts
        else [],
        completed_referrals=_completed_referrals(case) if "plan" in parts else [],
        attachments=list(case.attachments.select_related("uploaded_by").order_by("-created_at"))
        if "attachments" in parts
        else [],
    )
    _audit(access, "casework.view", {"parts": list(parts)})
    return view


def _completed_referrals(case: Any) -> list[CompletedReferral]:
    """Completed referrals show in the plan as delivered services (read only)."""
    from opennrm.referrals.models import Referral

    return [
        CompletedReferral(r.pk, r.service_type, r.service_name, r.closed_at)
        for r in Referral.objects.filter(case=case, status="completed").order_by("closed_at")
    ]


# --- assignment ---------------------------------------------------------------------------


def assignment_set(*, actor: User, reference: str, assignee: User | None) -> Assignment | None:
    """Assign the case, for the actor's agency, to ``assignee`` (None: nobody)."""
    access = _access(actor, reference, field="assignment", action="assign")
    if assignee is not None and (
        assignee.agency_id != actor.agency_id
        or not assignee.is_active
        or assignee.role not in ASSIGNABLE_ROLES
    ):
        raise ValidationFailed(
            _("A case can only be assigned to a caseworker of your own agency."), field="assignee"
        )
    with transaction.atomic():
        return _assignment_write(access, assignee)


def _assignment_write(access: CaseAccess, assignee: User | None) -> Assignment | None:
    actor = access.user
    current = Assignment.objects.select_for_update().filter(
        case=access.case, agency_id=actor.agency_id
    )
    previous = current.first()
    previous_id = previous.user_id if previous else None
    if assignee is None:
        current.delete()
        result = None
    elif previous is None:
        result = Assignment.objects.create(
            case=access.case,
            agency_id=actor.agency_id,
            user=assignee,
            assigned_by=actor,
            assigned_at=timezone.now(),
        )
    else:
        previous.user = assignee
        previous.assigned_by = actor
        previous.assigned_at = timezone.now()
        previous.save(update_fields=["user", "assigned_by", "assigned_at"])
        result = previous
    _audit(
        access,
        "casework.assign",
        {
            "assignee_id": assignee.pk if assignee else None,
            "previous_id": previous_id,
            "agency_id": actor.agency_id,
        },
    )
    return result


# --- notes and the contact log ------------------------------------------------------------


def note_add(
    *,
    actor: User,
    reference: str,
    kind: str,
    text: str,
    contact_on: date | None = None,
    channel: str = "",
    contact_with: str = "",
) -> Note:
    access = _access(actor, reference, field="notes", action="note")
    text = (text or "").strip()
    if kind not in NoteKind.values:
        raise ValidationFailed(_("Choose a case note or a contact."), field="kind")
    if not text:
        raise ValidationFailed(_("Write the note."), field="text")
    if len(text) > 5000:
        raise ValidationFailed(_("Keep the note under 5,000 characters."), field="text")
    today = timezone.localdate()
    if kind == NoteKind.CONTACT:
        if contact_on is None:
            raise ValidationFailed(_("Give the date of the contact."), field="contact_on")
        if contact_on > today:
            raise ValidationFailed(_("The contact cannot be in the future."), field="contact_on")
        if channel not in ContactChannel.values:
            raise ValidationFailed(_("Choose how the contact took place."), field="channel")
    else:
        contact_on, channel, contact_with = None, "", ""
    with transaction.atomic():
        note = Note.objects.create(
            case=access.case,
            kind=kind,
            text=text,
            contact_on=contact_on,
            channel=channel,
            contact_with=contact_with.strip()[:200],
            author=actor,
            author_agency_id=actor.agency_id,
            created_at=timezone.now(),
        )
        _audit(access, "casework.note.add", {"note_id": note.pk, "kind": kind, "channel": channel})
    return note


# --- the assistance plan ------------------------------------------------------------------


def plan_item_add(
    *,
    actor: User,
    reference: str,
    kind: str,
    service_type: str = "",
    text: str = "",
    target_on: date | None = None,
    started_on: date | None = None,
    ended_on: date | None = None,
) -> PlanItem:
    access = _access(actor, reference, field="plan", action="plan")
    text = (text or "").strip()
    if kind not in PlanItemKind.values:
        raise ValidationFailed(_("Choose a need, a goal or a service delivered."), field="kind")
    if service_type and service_type not in ServiceType.values:
        raise ValidationFailed(_("Choose a type of service from the list."), field="service_type")
    if kind in (PlanItemKind.NEED, PlanItemKind.SERVICE) and not service_type:
        raise ValidationFailed(_("Choose the type of service."), field="service_type")
    if kind == PlanItemKind.GOAL and not text:
        raise ValidationFailed(_("Describe the goal."), field="text")
    if kind == PlanItemKind.SERVICE and started_on is None:
        raise ValidationFailed(_("Give the date the service started."), field="started_on")
    if started_on and ended_on and ended_on < started_on:
        raise ValidationFailed(_("The end date is before the start date."), field="ended_on")
    with transaction.atomic():
        return _plan_item_create(access, kind, service_type, text, target_on, started_on, ended_on)


def _plan_item_create(
    access: CaseAccess,
    kind: str,
    service_type: str,
    text: str,
    target_on: date | None,
    started_on: date | None,
    ended_on: date | None,
) -> PlanItem:
    actor = access.user
    item = PlanItem.objects.create(
        case=access.case,
        kind=kind,
        service_type=service_type,
        text=text[:500],
        target_on=target_on,
        started_on=started_on,
        ended_on=ended_on,
        created_by=actor,
        agency_id=actor.agency_id,
        created_at=timezone.now(),
    )
    _audit(
        access,
        "casework.plan.add",
        {"item_id": item.pk, "kind": kind, "service_type": service_type},
    )
    return item


def plan_item_done(*, actor: User, reference: str, item_id: int) -> PlanItem:
    access = _access(actor, reference, field="plan", action="plan")
    item = PlanItem.objects.filter(case=access.case, pk=item_id).first()
    if item is None:
        raise NotFound(_("No such item in this plan."))
    with transaction.atomic():
        item.done = True
        item.save(update_fields=["done"])
        _audit(access, "casework.plan.done", {"item_id": item.pk})
    return item


# --- attachments ----------------------------------------------------------------------------


def _head(chunks: Iterable[bytes], n: int) -> bytes:
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= n:
            break
    return head[:n]


def _keys() -> list[str]:
    return list(settings.OPENNRM_FILE_KEYS)


def attachment_add(
    *,
    actor: User,
    reference: str,
    kind: str,
    filename: str,
    size: int,
    chunks: Callable[[], Iterable[bytes]],
) -> Attachment:
    """Check, scan, encrypt and store one upload. ``chunks()`` gives the bytes from the
    start each time it is called (an uploaded file's ``chunks`` method): it is read for
    the type check, the scan and the encryption, never held whole in memory."""
    access = _access(actor, reference, field="attachments", action="attach")
    if not [k for k in _keys() if k.strip()]:
        raise ValidationFailed(
            _(
                "Files cannot be stored: no encryption key is configured "
                "(OPENNRM_FILE_KEYS). Ask your administrator."
            ),
            field="file",
        )
    if kind not in AttachmentKind.values:
        raise ValidationFailed(_("Choose what kind of file this is."), field="kind")
    limit = settings.OPENNRM_ATTACHMENT_MAX_BYTES
    too_large = _("The file is too large: at most %(mb)s MB.") % {"mb": f"{limit / 1_000_000:g}"}
    if size <= 0:
        raise ValidationFailed(_("The file is empty."), field="file")
    if size > limit:
        raise ValidationFailed(too_large, field="file")
    head = _head(chunks(), 16)
    content_type = files.sniff(head)
    if content_type is None:
        raise ValidationFailed(_("Only PDF, JPEG and PNG files can be attached."), field="file")
    scanned = False
    if settings.OPENNRM_CLAMD_SOCKET:
        try:
            found = files.clamd_scan(chunks(), socket_path=settings.OPENNRM_CLAMD_SOCKET)
        except files.ScanFailed as error:
            raise ValidationFailed(
                _("The virus scanner could not check the file; try again later."), field="file"
            ) from error
        if found is not None:
            access_refused_audit(
                actor, reference=reference, what="attachment.infected", purpose=access.purpose
            )
            raise ValidationFailed(
                _("The file was refused: the virus scanner found %(name)s.") % {"name": found},
                field="file",
            )
        scanned = True
    directory = settings.OPENNRM_ATTACHMENT_DIR
    stored = files.store_encrypted(chunks(), directory=directory, keys=_keys())
    try:
        if stored.size > limit:  # the declared size was wrong
            raise ValidationFailed(too_large, field="file")
        with transaction.atomic():
            attachment = _attachment_row(access, kind, filename, content_type, stored, scanned)
    except BaseException:
        files.delete(stored.storage_name, directory=directory)
        raise
    return attachment


def _attachment_row(
    access: CaseAccess,
    kind: str,
    filename: str,
    content_type: str,
    stored: files.Stored,
    scanned: bool,
) -> Attachment:
    actor = access.user
    base = "".join(ch for ch in (filename or "") if ch.isalnum() or ch in "-_. ").strip()
    stem = base.rsplit(".", 1)[0][:80] or "attachment"
    attachment = Attachment.objects.create(
        case=access.case,
        kind=kind,
        filename=f"{stem}.{files.EXTENSIONS[content_type]}",
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_name=stored.storage_name,
        scanned=scanned,
        uploaded_by=actor,
        agency_id=actor.agency_id,
        created_at=timezone.now(),
    )
    _audit(
        access,
        "casework.attachment.add",
        {"attachment_id": attachment.pk, "kind": kind, "type": content_type, "size": stored.size},
    )
    return attachment


def attachment_open(
    *, actor: User, reference: str, attachment_id: int
) -> tuple[Attachment, Iterator[bytes]]:
    """The attachment and its decrypted bytes (a stream), with the download audited."""
    access = _access(actor, reference, field="attachments")
    attachment = Attachment.objects.filter(case=access.case, pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such file on this case."))
    try:
        stream = files.read_decrypted(
            attachment.storage_name, directory=settings.OPENNRM_ATTACHMENT_DIR, keys=_keys()
        )
    except files.NoKey as error:
        raise NotFound(_("This file cannot be decrypted with the configured keys.")) from error
    _audit(access, "casework.attachment.download", {"attachment_id": attachment.pk})
    return attachment, stream


def casework_erase_for_anonymous_report(case: Case) -> None:
    """An adult declined consent: the case keeps no personal data, so its notes, contact
    log and files go too (the encrypted files are removed from disk after the commit).
    The plan keeps its service types and dates (statistics), without its free text."""
    names = list(Attachment.objects.filter(case=case).values_list("storage_name", flat=True))
    Note.objects.filter(case=case).delete()
    Attachment.objects.filter(case=case).delete()
    PlanItem.objects.filter(case=case).update(text="")  # free text: may name the person
    directory = settings.OPENNRM_ATTACHMENT_DIR

    def remove() -> None:
        for name in names:
            files.delete(name, directory=directory)

    transaction.on_commit(remove)
