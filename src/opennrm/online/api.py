"""Online-monitoring endpoints, in parity with the pages (``opennrm.web.online_views``):
upload a file for import and follow it, the agency's recent imports, the alert queue with
its filters, one post, marking a false positive and undoing it, opening a case from a
post, a STIX export.

Access and audit are decided where the pages decide them: the selectors (another
agency's post or import looks missing, 404, and the attempt is audited) and the services
(who may act, what is recorded). A role outside ``MONITORING_ROLES`` is refused (403), as
the pages refuse it. Reasons are said in the request's language (Accept-Language) beside
stable codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from opennrm.accounts.auth import TokenAuth
from opennrm.accounts.models import User
from opennrm.accounts.roles import MONITORING_ROLES
from opennrm.cases.api import _ERRORS, ErrorOut
from opennrm.core.errors import Forbidden, ValidationFailed
from opennrm.core.schemas import JsonIn
from opennrm.httpguard.api_messages import validation_message
from opennrm.monitoring.ingest import TEXT_COLUMNS
from opennrm.online import selectors, services
from opennrm.online.model import alert_threshold
from opennrm.online.models import (
    IMPORT_ERRORS,
    Contact,
    ImportRun,
    ImportState,
    MonitoredPost,
    PostStatus,
)
from opennrm.online.problems import FILE_ERRORS, UNEXPECTED, describe_problem
from opennrm.online.reasons import (
    WHY_FLAGGED,
    alert_labels,
    localized_reasons,
    why_flagged,
    why_flagged_text,
)

router = Router(tags=["online"])

#: the reasons a queue card and a post's page show (as the pages do)
REASONS_SHOWN = 6
#: the most post ids one STIX export names (as the page takes them)
STIX_MAX_POSTS = 1000


def _actor(request: HttpRequest) -> User:
    """The caller, refused (403) when the role does not review online monitoring, as the
    pages refuse it (``page(MONITORING_ROLES)``)."""
    user: User = request.auth  # type: ignore[attr-defined]
    if user.role not in MONITORING_ROLES:
        raise Forbidden(_("Your role does not review online monitoring."))
    return user


# --- imports -----------------------------------------------------------------------------


class ImportProblemOut(Schema):
    where: str = Field(..., description="file:line of the skipped record")
    code: str | None = Field(None, description="A stable code of the reason")
    why: str = Field(..., description="The reason, in the request's language")


class ImportRunSummaryOut(Schema):
    """An import as the import page lists it, with its counters."""

    id: int
    state: str = Field(..., description="queued, running, done or failed")
    state_label: str = Field(..., description="The state in the request's language")
    source_name: str
    at: datetime
    finished_at: datetime | None
    read: int
    stored: int
    skipped: int
    duplicates: int


class ImportRunOut(Schema):
    id: int
    state: str = Field(..., description="queued, running, done or failed")
    source_name: str
    at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    read: int
    stored: int
    skipped: int
    duplicates: int
    error_code: str | None = Field(
        None,
        description="Why a failed run failed, as a stable code (e.g. csv.no_text_column, "
        "ingest.unreadable, spool.undecryptable, spool.damaged, interrupted, unexpected); null when it did "
        "not fail, or for a reason stored before codes existed",
    )
    error_params: dict[str, str | int] = Field(
        default_factory=dict, description="The values of the reason (never the file's name)"
    )
    error: str | None = Field(None, description="The reason, in the request's language")
    continued_as: int | None = Field(None, description="The run that continues a reclaimed one")
    problems: list[ImportProblemOut]


class ImportRunPage(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[ImportRunSummaryOut]


class PageIn(Schema):
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=200)


def _reason(run: ImportRun) -> tuple[str | None, str | None]:
    if run.state != ImportState.FAILED:
        return None, None
    if not run.error:
        return "unexpected", str(UNEXPECTED)
    known = run.error in IMPORT_ERRORS or run.error in FILE_ERRORS
    return (run.error if known else None), run.error_text


def _run_out(run: ImportRun) -> ImportRunOut:
    code, text = _reason(run)
    return ImportRunOut(
        id=run.pk,
        state=run.state,
        source_name=run.source_name,
        at=run.at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        read=run.read,
        stored=run.stored,
        skipped=run.skipped,
        duplicates=run.duplicates,
        error_code=code,
        error_params=run.error_params if code else {},
        error=text,
        continued_as=run.continued_as_id,
        problems=[
            ImportProblemOut(
                where=str(p.get("where", "")), code=p.get("code"), why=describe_problem(p)
            )
            for p in run.problems
        ],
    )


#: the multipart form of an upload, for the OpenAPI document (the body is read by the
#: handler itself, after the size check: ninja would read it first)
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "Telegram result.json or HTML export, CSV, JSON "
                            "Lines, HTML, RSS/Atom or WARC",
                        },
                        "text_column": {
                            "type": "string",
                            "maxLength": 100,
                            "description": "CSV only: the column that holds the text",
                        },
                        "time_zone": {
                            "type": "string",
                            "maxLength": 64,
                            "description": "Time zone of times written without one, e.g. "
                            "Europe/Kyiv (empty: the server's)",
                        },
                    },
                }
            }
        },
    }
}


def _form_text(request: HttpRequest, name: str, max_length: int) -> str | None:
    value = request.POST.get(name, "").strip()
    if len(value) > max_length:
        raise ValidationFailed(validation_message({"type": "string_too_long"}), field=name)
    return value or None


@router.post(
    "/imports",
    response={201: ImportRunOut, 413: ErrorOut, **_ERRORS},
    auth=TokenAuth(),
    openapi_extra=_UPLOAD_BODY,
    summary="Upload a file to import (multipart form, bearer token only)",
)
def import_upload(request: HttpRequest, response: HttpResponse) -> Status[ImportRunOut]:
    """Queue a file for import into the caller's agency, as the import page does: the same
    size limit (413, error ``too_large``, field ``file``, before the body is read), the
    same checks (an unknown time zone: 422 on field ``time_zone``). The file waits
    encrypted for the background worker; follow the run at the address in ``Location``.
    A bearer token only: a session's CSRF check would read the body before the size
    check."""
    user = _actor(request)
    services.import_size_check(size=int(request.META.get("CONTENT_LENGTH") or 0))
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(_("Choose a file to import."), field="file")
    text_column = _form_text(request, "text_column", 100)
    try:
        run = services.import_enqueue(
            actor=user,
            chunks=upload.chunks(),
            source_name=upload.name or "",
            text_column=text_column,
            time_zone=_form_text(request, "time_zone", 64),
        )
    except ValidationFailed as error:
        found = error.details[0] if error.details else {}
        if found.get("code") != "csv.no_text_column":
            raise
        # the page's sentence names its field and asks to choose the file again
        if text_column:
            message = _(
                "The CSV file has no column “%(wanted)s”. Its columns are: %(columns)s. "
                "Send the name of the one that holds the text as text_column."
            ) % {"wanted": text_column, "columns": found["columns"]}
        else:
            message = _(
                "None of the CSV file's columns has a name a text column usually has "
                "(%(usual)s). Its columns are: %(columns)s. Send the name of the one that "
                "holds the text as text_column."
            ) % {"usual": ", ".join(TEXT_COLUMNS), "columns": found["columns"]}
        raise ValidationFailed(message, field="text_column", details=error.details) from None
    finally:
        upload.close()  # removes Django's (encrypted) temporary copy at once
    response["Location"] = reverse("api:online_import_run", kwargs={"run_id": run.pk})
    return Status(201, _run_out(run))


@router.get(
    "/imports",
    response={200: ImportRunPage, **_ERRORS},
    summary="The recent imports of your agency, newest first (audited)",
)
def import_list(request: HttpRequest, query: Query[PageIn]) -> ImportRunPage:
    """The agency's imports as the import page lists them, newest first, paged; which
    were listed is recorded in the audit log, as for the page."""
    user = _actor(request)
    start = (query.page - 1) * query.page_size
    runs = list(selectors.import_runs(user)[start : start + query.page_size + 1])
    shown = runs[: query.page_size]
    services.import_list_audit(actor=user, runs=shown)
    return ImportRunPage(
        page=query.page,
        page_size=query.page_size,
        has_next=len(runs) > query.page_size,
        items=[
            ImportRunSummaryOut(
                id=r.pk,
                state=r.state,
                state_label=str(r.get_state_display()),
                source_name=r.source_name,
                at=r.at,
                finished_at=r.finished_at,
                read=r.read,
                stored=r.stored,
                skipped=r.skipped,
                duplicates=r.duplicates,
            )
            for r in shown
        ],
    )


@router.get(
    "/imports/{run_id}",
    response={200: ImportRunOut, **_ERRORS},
    url_name="online_import_run",
    summary="One import: its progress, counters and problems (audited)",
)
def import_run(request: HttpRequest, run_id: int) -> ImportRunOut:
    """One import of the caller's agency: its state, counts, why it failed and the first
    records it skipped, each reason in the request's language (Accept-Language)."""
    user = _actor(request)
    run = selectors.import_run_get_for(user, run_id)
    services.import_view_audit(actor=user, run=run)
    return _run_out(run)


# --- posts -------------------------------------------------------------------------------


class ReasonOut(Schema):
    kind: str = Field(..., description="flag (an indicator) or model (a word the model weighed)")
    code: str | None = Field(None, description="The indicator's stable id; null for a model reason")
    text: str = Field(..., description="The reason, in the request's language")


class ContactRefOut(Schema):
    kind: str = Field(..., description="phone, email, telegram, url, …")
    value: str


class PostOut(Schema):
    """A post as a card of the alert queue shows it."""

    id: int
    risk: float = Field(..., description="0–1")
    flagged: bool
    category: str | None = Field(None, description="recruitment or spam when flagged")
    category_label: str = Field(..., description="Its queue, in the request's language")
    status: str = Field(..., description="new, lead or false_positive")
    status_label: str
    channel: str
    posted_at: datetime | None
    language: str = Field(..., description="A language code, empty when unknown")
    language_label: str
    text: str = Field(
        ..., description="The text; in the queue's list at most 2,000 characters (see text_cut)"
    )
    text_cut: bool = Field(
        False, description="True when the list cut the text: GET /posts/{id} has all of it"
    )
    reasons: list[ReasonOut]
    contacts: list[ContactRefOut] = Field(..., description="The contacts found in the text")
    campaign_id: int | None
    campaign_size: int | None
    network_id: int | None
    network_size: int | None


class ContactOut(Schema):
    id: int
    kind: str
    kind_label: str
    value: str
    posts_count: int


class PostDetailOut(PostOut):
    """A post as its page shows it."""

    author: str
    url: str
    record: str = Field(..., description="The file and line it was read from")
    model_score: float | None
    flag_score: float
    threshold: float = Field(..., description="The alert threshold of the current model")
    why: str = Field(..., description="Why it is (not) flagged: " + ", ".join(WHY_FLAGGED))
    why_text: str = Field(..., description="The same, in the request's language")
    alert_labels: list[str] = Field(
        ..., description="Its strongest signs of forced labour, which flag it whatever its risk"
    )
    known_contacts: list[ContactOut]
    case_reference: str | None = Field(
        None, description="The case opened from it, when your agency may open that case"
    )
    case_elsewhere: bool = Field(
        ..., description="A case was opened from it that another agency now holds"
    )


class PostPage(Schema):
    page: int
    page_size: int
    has_next: bool
    next_cursor: str | None = Field(
        None, description="Send it as after= for the next page (null on the last)"
    )
    items: list[PostOut]


class QueueFilters(Schema):
    status: Literal["new", "lead", "false_positive", "any"] = Field(
        "new", description="The review status (as the queue page: new by default)"
    )
    min_risk: float = Field(0.0, ge=0, le=1, description="The lowest risk shown (0–1)")
    language: str = Field("", max_length=8, description="A language code (uk, ru, …)")
    channel: str = Field(
        "",
        max_length=255,
        description='A channel: its name in any case, or part of it ("robota" finds Robota_PL)',
    )
    category: Literal["recruitment", "spam", "unflagged", "all"] = Field(
        "recruitment",
        description="The queue: recruitment with trafficking risk (default), generic spam, "
        "posts below the alert threshold, or all posts, recruitment first",
    )
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=200)
    after: str = Field(
        "",
        max_length=64,
        description="The next_cursor of the page before: the page after it (page is then "
        "not used). A page costs the same wherever it is; deep page numbers read every post "
        "before them",
    )


#: the most characters of a post's text one item of the queue's list carries (a post may
#: hold a million: a page of 200 of those would be 200 million)
LIST_TEXT_CHARS = 2000
#: the deepest a page number reaches into the queue; deeper, ``after`` (a page number
#: reads every post before it)
MAX_OFFSET = 10_000


def _post_fields(post: MonitoredPost, *, cut: bool = False) -> dict[str, Any]:
    long = cut and len(post.text) > LIST_TEXT_CHARS
    return {
        "id": post.pk,
        "risk": post.risk,
        "flagged": post.flagged,
        "category": post.category or None,
        "category_label": post.category_label,
        "status": post.status,
        "status_label": str(post.get_status_display()),
        "channel": post.channel,
        "posted_at": post.posted_at,
        "language": post.language,
        "language_label": post.language_label,
        "text": post.text[:LIST_TEXT_CHARS] if long else post.text,
        "text_cut": long,
        "reasons": [ReasonOut(**r) for r in localized_reasons(post.reasons[:REASONS_SHOWN])],
        "contacts": [
            ContactRefOut(kind=kind, value=value)
            for kind, _sep, value in (str(c).partition(":") for c in post.contacts)
        ],
        "campaign_id": post.campaign_id,
        "campaign_size": post.campaign.size if post.campaign_id else None,
        "network_id": post.network_id,
        "network_size": post.network.size if post.network_id else None,
    }


def _contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.pk,
        kind=contact.kind,
        kind_label=str(contact.get_kind_display()),
        value=contact.value,
        posts_count=contact.posts_count,
    )


@router.get(
    "/posts",
    response={200: PostPage, **_ERRORS},
    summary="The alert queue, with the queue page's filters (audited)",
)
def post_list(request: HttpRequest, filters: Query[QueueFilters]) -> PostPage:
    """The alert queue of the caller's agency, with the filters and order of the queue
    page (riskiest first; with ``category=all``, recruitment first). Page through it with
    ``page``, or (for a large queue) with ``after`` set to the ``next_cursor`` of the page
    before. Which posts were shown is recorded in the audit log, as for each page of the
    queue."""
    user = _actor(request)
    if not filters.after and (filters.page - 1) * filters.page_size > MAX_OFFSET:
        raise ValidationFailed(
            _(
                "A page this deep is not served by number: page on with “after” set to the "
                "next_cursor of the page before."
            ),
            field="page",
        )
    posts = selectors.alert_queue(
        user,
        status="" if filters.status == "any" else filters.status,
        min_risk=filters.min_risk,
        language=filters.language,
        channel=filters.channel,
        category="" if filters.category == "all" else filters.category,
        after=filters.after,
    )
    start = 0 if filters.after else (filters.page - 1) * filters.page_size
    found = list(posts[start : start + filters.page_size + 1])
    shown = found[: filters.page_size]
    services.queue_view_audit(actor=user, posts=shown)
    has_next = len(found) > filters.page_size
    return PostPage(
        page=filters.page,
        page_size=filters.page_size,
        has_next=has_next,
        next_cursor=selectors.alert_queue_cursor(shown[-1]) if has_next else None,
        items=[PostOut(**_post_fields(p, cut=True)) for p in shown],
    )


@router.get(
    "/posts/{post_id}",
    response={200: PostDetailOut, **_ERRORS},
    summary="One post, as its page shows it (audited)",
)
def post_detail(request: HttpRequest, post_id: int) -> PostDetailOut:
    """One post of the caller's agency with its text, reasons, why it is (not) flagged,
    its campaign and network, its contacts and the case opened from it. Another agency's
    post looks missing (404), and the attempt is audited."""
    user = _actor(request)
    post = selectors.post_get_for(user, post_id)
    threshold, labels = alert_threshold(), alert_labels(post.reasons)
    services.post_view_audit(actor=user, post=post)
    why = why_flagged(post, threshold, labels)
    openable = bool(selectors.cases_openable(user, [post.case_id or 0]))
    return PostDetailOut(
        **_post_fields(post),
        author=post.author,
        url=post.url,
        record=post.record,
        model_score=post.model_score,
        flag_score=post.flag_score,
        threshold=threshold,
        why=why,
        why_text=why_flagged_text(why, threshold, labels, flagged=post.flagged),
        alert_labels=labels,
        known_contacts=[_contact_out(c) for c in selectors.contacts_of_post(post)],
        case_reference=post.case.reference if post.case_id and openable else None,
        case_elsewhere=bool(post.case_id) and not openable,
    )


class ReviewOut(Schema):
    id: int
    status: str = Field(..., description="new, lead or false_positive")
    status_label: str
    message: str = Field(..., description="What was done, in the request's language")


def _review_out(post: MonitoredPost, message: str) -> ReviewOut:
    return ReviewOut(
        id=post.pk,
        status=post.status,
        status_label=str(PostStatus(post.status).label),
        message=message,
    )


@router.post(
    "/posts/{post_id}/false-positive",
    response={200: ReviewOut, **_ERRORS},
    summary="Mark a post a false positive (kept as a label for retraining)",
)
def post_false_positive(request: HttpRequest, post_id: int) -> ReviewOut:
    """Mark a new post a false positive, as the post page's confirmed button does (this
    request is the confirmation). Marking it again changes nothing; a post a case was
    opened from is refused (409, error ``conflict``)."""
    user = _actor(request)
    post = selectors.post_get_for(user, post_id, what="online.false_positive")
    post = services.post_mark_false_positive(actor=user, post=post)
    return _review_out(post, _("Marked as a false positive; kept as feedback for retraining."))


@router.post(
    "/posts/{post_id}/false-positive/undo",
    response={200: ReviewOut, **_ERRORS},
    summary="Return a post marked false positive to the queue",
)
def post_false_positive_undo(request: HttpRequest, post_id: int) -> ReviewOut:
    """Return a post marked false positive to the queue as new; the label it gave for
    retraining is removed. Undoing twice changes nothing; a post a case was opened from
    is refused (409, error ``conflict``)."""
    user = _actor(request)
    post = selectors.post_get_for(user, post_id, what="online.false_positive_undo")
    post = services.post_undo_false_positive(actor=user, post=post)
    return _review_out(
        post, _("Returned to the queue as new; its label for retraining was removed.")
    )


class CaseOpenedOut(Schema):
    case_reference: str
    post_id: int
    message: str = Field(..., description="What was done, in the request's language")


@router.post(
    "/posts/{post_id}/case",
    response={201: CaseOpenedOut, **_ERRORS},
    summary="Open a case (a lead) from a post",
)
def post_open_case(
    request: HttpRequest, post_id: int, response: HttpResponse
) -> Status[CaseOpenedOut]:
    """Turn an alert into a case (a lead, in the flagged state) linked to the post, as
    the post page's button does; the case is at the address in ``Location``. A second
    case from the same post is refused (409, error ``conflict``)."""
    user = _actor(request)
    post = selectors.post_get_for(user, post_id, what="online.lead")
    case = services.post_open_case(actor=user, post=post)
    response["Location"] = reverse("api:case_detail", kwargs={"reference": case.reference})
    return Status(
        201,
        CaseOpenedOut(
            case_reference=case.reference,
            post_id=post.pk,
            message=_("Case %(ref)s opened from the alert.") % {"ref": case.reference},
        ),
    )


# --- STIX --------------------------------------------------------------------------------


class StixIn(JsonIn):
    posts: list[int] = Field(
        default_factory=list,
        max_length=STIX_MAX_POSTS,
        description="Ids of posts to export (those you may not see are left out, audited)",
    )
    group: int | None = Field(
        None, description="A campaign or network: all its posts (instead of posts)"
    )


_STIX_RESPONSE = {
    "responses": {
        200: {
            "description": "A STIX 2.1 bundle of the contacts in the posts",
            "content": {"application/stix+json;version=2.1": {"schema": {"type": "object"}}},
        }
    }
}


@router.post(
    "/stix",
    response={200: None, **_ERRORS},
    openapi_extra=_STIX_RESPONSE,
    summary="Export posts, or a campaign or network, as a STIX 2.1 bundle (audited)",
)
def stix_export(request: HttpRequest, payload: StixIn) -> HttpResponse:
    """A STIX 2.1 bundle of the contacts in the posts given by id, or in every post of a
    campaign or network, as the pages export it (every exported post is named in the
    audit entry). Posts you may not see are left out, and the attempt is audited; none
    left: 422 on field ``posts``."""
    user = _actor(request)
    group = None
    if payload.group is not None:
        group = selectors.group_get_for(user, payload.group, what="online.export_stix")
        posts = list(selectors.group_posts(group))
    else:
        posts = selectors.posts_get_for(user, payload.posts, what="online.export_stix")
    bundle = services.posts_stix_bundle(actor=user, posts=posts, group=group)
    return HttpResponse(bundle, content_type="application/stix+json;version=2.1")
