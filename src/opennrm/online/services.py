"""Online-monitoring writes: import a file through the pipeline, review alerts,
turn an alert into a case, keep false positives as training feedback, export STIX."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import MONITORING_ROLES
from opennrm.audit.services import audit_record
from opennrm.cases.models import Case, ExploitationType
from opennrm.cases.services import case_create
from opennrm.core.errors import Conflict, Forbidden, ValidationFailed
from opennrm.monitoring import (
    IngestError,
    IngestReport,
    PipelineConfig,
    Post,
    iter_posts,
    run_pipeline,
    to_stix_bundle,
)
from opennrm.online.models import (
    Contact,
    ContactKind,
    ContactMention,
    Feedback,
    ImportRun,
    MonitoredPost,
    PostGroup,
    PostStatus,
)


def _require(actor: User) -> None:
    if actor.role not in MONITORING_ROLES or actor.agency_id is None:
        raise Forbidden(_("Your role does not review online monitoring."))


def _model() -> Any:
    from opennrm.online.model import active_model

    return active_model()


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(
            _("Unknown time zone %(zone)s: use a name such as Europe/Kyiv or UTC.")
            % {"zone": (name or "")[:64]},
            field="time_zone",
        ) from exc


def online_import(
    *,
    actor: User,
    path: Path,
    source_name: str,
    fmt: str = "auto",
    text_column: str | None = None,
    max_posts: int = 200_000,
    time_zone: str | None = None,
) -> ImportRun:
    """Ingest one file, score and cluster its new posts, and store them for review.

    Malformed records are skipped and reported (file and line); posts this agency
    already has are not stored twice. Times written without an offset are read in
    ``time_zone`` (default: the server's ``TIME_ZONE``); a post whose date cannot be read
    is kept with its date unknown, and reported.
    """
    _require(actor)
    zone = _zone(time_zone)
    report = IngestReport()
    posts: list[Post] = []
    try:
        for post in iter_posts(path, fmt, report=report, text_column=text_column, default_tz=zone):
            posts.append(post)
            if len(posts) > max_posts:
                raise ValidationFailed(
                    _("The file has more than %(n)s posts; split it or use the command line.")
                    % {"n": max_posts},
                    field="file",
                )
    except IngestError as exc:
        raise ValidationFailed(str(exc), field="file") from exc
    # Drop posts this agency already has: look up only this file's ids, not every stored one.
    stored: set[str] = set()
    ids = [p.id for p in posts]
    for start in range(0, len(ids), 2000):
        stored.update(
            MonitoredPost.objects.filter(
                agency_id=actor.agency_id, post_id__in=ids[start : start + 2000]
            ).values_list("post_id", flat=True)
        )
    if stored:
        posts = [p for p in posts if p.id not in stored]
        report.duplicates += len(stored)
    model = _model()
    result = run_pipeline(posts, model=model, config=PipelineConfig())
    with transaction.atomic():
        run = ImportRun.objects.create(
            agency_id=actor.agency_id,
            imported_by=actor,
            source_name=source_name[:255],
            read=report.read,
            stored=len(posts),
            skipped=report.skipped,
            duplicates=report.duplicates,
            problems=[{"where": p[0], "why": p[1]} for p in list(report.problems)[:50]],
            model_version=str(model.manifest.get("created_at", ""))[:64] if model else "",
            flags_version=result.flags_version,
        )
        groups: dict[tuple[str, str], PostGroup] = {}
        for group in (*result.campaigns, *result.networks):
            groups[(group.kind, group.id)] = PostGroup.objects.create(
                run=run,
                agency_id=actor.agency_id,
                key=group.id,
                kind=group.kind,
                size=group.size,
                first_seen=group.first_seen,
                last_seen=group.last_seen,
                channels=[list(c) for c in group.channels],
                languages=[list(lang) for lang in group.languages],
                mean_risk=group.mean_risk,
                max_risk=group.max_risk,
                flagged=group.flagged,
                template=group.template,
                contacts=list(group.contacts),
            )
        rows = []
        for post, scored, cluster_id, network_id in zip(
            posts, result.posts, result.cluster_ids, result.network_ids, strict=True
        ):
            rows.append(
                MonitoredPost(
                    agency_id=actor.agency_id,
                    run=run,
                    post_id=post.id,
                    source=post.source[:255],
                    channel=(post.channel or "")[:255],
                    author=(post.author or "")[:255],
                    url=(post.url or "")[:2000],
                    posted_at=post.posted_at,
                    record=(post.record or "")[:300],
                    text=post.text,
                    language=scored.language or "",
                    risk=scored.risk,
                    model_score=scored.model_score,
                    flag_score=scored.flag_score,
                    flagged=scored.flagged,
                    reasons=[
                        {
                            "kind": r.kind,
                            "id": r.id,
                            "text": r.text,
                            "weight": r.weight,
                            "evidence": r.evidence,
                        }
                        for r in scored.reasons
                    ],
                    contacts=list(scored.contacts),
                    campaign=groups.get(("campaign", cluster_id)),
                    network=groups.get(("network", network_id)) if network_id else None,
                )
            )
        MonitoredPost.objects.bulk_create(rows, batch_size=1000)
        _link_contacts(actor.agency_id, rows, run.at)
        audit_record(
            actor=actor,
            action="online.import",
            object_type="import",
            object_ref=str(run.pk),
            detail={"stored": run.stored, "skipped": run.skipped, "duplicates": run.duplicates},
        )
    return run


def _link_contacts(agency_id: int, posts: list[MonitoredPost], now: datetime) -> None:
    """Add this import's contacts to the agency's store and link its posts to them.

    A contact seen in an earlier import is the same row: its first/last seen and post
    count grow, and its page lists every post, old and new.
    """
    seen: dict[tuple[str, str], list[MonitoredPost]] = {}
    for post in posts:
        for contact in post.contacts:
            kind, _sep, value = contact.partition(":")
            if kind in ContactKind.values and value:
                seen.setdefault((kind, value[:500]), []).append(post)
    if not seen:
        return
    known: dict[tuple[str, str], Contact] = {}
    values = sorted({value for _kind, value in seen})
    for start in range(0, len(values), 1000):
        for contact in Contact.objects.filter(
            agency_id=agency_id, value__in=values[start : start + 1000]
        ):
            known[(contact.kind, contact.value)] = contact

    def when(post: MonitoredPost) -> datetime:
        return post.posted_at or now

    fresh = []
    for key, linked in seen.items():
        first = min(when(p) for p in linked)
        last = max(when(p) for p in linked)
        contact = known.get(key)
        if contact is None:
            fresh.append(
                Contact(
                    agency_id=agency_id,
                    kind=key[0],
                    value=key[1],
                    first_seen=first,
                    last_seen=last,
                    posts_count=len(linked),
                )
            )
        else:
            contact.first_seen = min(contact.first_seen, first)
            contact.last_seen = max(contact.last_seen, last)
            contact.posts_count += len(linked)
            contact.save(update_fields=["first_seen", "last_seen", "posts_count"])
    for contact in Contact.objects.bulk_create(fresh, batch_size=1000):
        known[(contact.kind, contact.value)] = contact
    ContactMention.objects.bulk_create(
        [
            ContactMention(contact=known[key], post=post)
            for key, linked in seen.items()
            for post in linked
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def _review(post: MonitoredPost, actor: User, status: str) -> None:
    post.status = status
    post.reviewed_by = actor
    post.reviewed_at = timezone.now()


@transaction.atomic
def post_open_case(*, actor: User, post: MonitoredPost) -> Case:
    """Turn an alert into a case (a lead, in the flagged state) linked to the post."""
    _require(actor)
    post = MonitoredPost.objects.select_for_update().get(pk=post.pk)  # two reviewers, one case
    if post.case_id is not None:
        raise Conflict(_("A case was already opened from this post."))
    reasons = "; ".join(r["text"] for r in post.reasons[:5]) or "—"
    case = case_create(
        actor=actor,
        exploitation_type=ExploitationType.UNKNOWN,
        summary=_(
            "Lead from online monitoring (post %(id)s, channel %(channel)s, risk %(risk).2f). Reasons: %(reasons)s"
        )
        % {
            "id": post.post_id[:12],
            "channel": post.channel or "—",
            "risk": post.risk,
            "reasons": reasons,
        },
    )
    _review(post, actor, PostStatus.LEAD)
    post.case = case
    post.save(update_fields=["status", "reviewed_by", "reviewed_at", "case"])
    Feedback.objects.create(post=post, label=1, given_by=actor)
    audit_record(
        actor=actor,
        action="online.lead",
        object_type="case",
        object_ref=case.reference,
        detail={"post": post.pk},
    )
    return case


@transaction.atomic
def post_mark_false_positive(*, actor: User, post: MonitoredPost) -> MonitoredPost:
    _require(actor)
    post = MonitoredPost.objects.select_for_update().get(pk=post.pk)
    if post.status == PostStatus.LEAD:
        raise Conflict(_("A case was opened from this post; close the case instead."))
    _review(post, actor, PostStatus.FALSE_POSITIVE)
    post.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    Feedback.objects.create(post=post, label=0, given_by=actor)
    audit_record(
        actor=actor, action="online.false_positive", object_type="post", object_ref=str(post.pk)
    )
    return post


def contact_view_audit(*, actor: User, contact: Contact) -> None:
    """A contact page names a person's phone or account: opening one is recorded."""
    audit_record(
        actor=actor, action="online.contact_view", object_type="contact", object_ref=str(contact.pk)
    )


def post_view_audit(*, actor: User, post: MonitoredPost) -> None:
    """Posts can name people (a phone number, a handle): opening one is recorded."""
    audit_record(
        actor=actor, action="online.post_view", object_type="post", object_ref=str(post.pk)
    )


def posts_stix_bundle(*, actor: User, posts: Iterable[MonitoredPost]) -> str:
    """A STIX 2.1 bundle (JSON) of the contacts in these posts, for partners and MISP."""
    _require(actor)
    chosen = list(posts)
    if not chosen:
        raise ValidationFailed(_("Choose at least one post to export."), field="posts")
    as_posts = [
        Post(
            source=p.source,
            text=p.text,
            channel=p.channel or None,
            author=p.author or None,
            posted_at=p.posted_at,
            url=p.url or None,
            id=p.post_id,
        )
        for p in chosen
    ]
    bundle = to_stix_bundle(
        as_posts,
        identity_name=actor.agency.name if actor.agency else "OpenNRM",
        risk={p.post_id: p.risk for p in chosen},
    )
    audit_record(
        actor=actor,
        action="online.export_stix",
        object_type="import",
        object_ref="-",
        detail={"posts": [p.pk for p in chosen][:500]},
    )
    return str(bundle.serialize(pretty=True))


def feedback_rows(*, agency_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Reviewer labels as (text, label) rows, the CSV shape `opennrm monitor train` reads."""
    qs = Feedback.objects.select_related("post").order_by("id")
    if agency_id is not None:
        qs = qs.filter(post__agency_id=agency_id)
    for fb in qs.iterator():
        yield {"message": fb.post.text, "label": fb.label}
