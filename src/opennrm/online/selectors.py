from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, QuerySet, Value, When
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import MONITORING_ROLES
from opennrm.core.errors import NotFound
from opennrm.online.models import Contact, ImportRun, MonitoredPost, PostCategory, PostGroup


def posts_visible_to(actor: User) -> QuerySet[MonitoredPost]:
    if actor.role not in MONITORING_ROLES or actor.agency_id is None:
        return MonitoredPost.objects.none()
    return MonitoredPost.objects.filter(agency_id=actor.agency_id)


def alert_queue(
    actor: User,
    *,
    status: str = "new",
    min_risk: float = 0.0,
    language: str = "",
    channel: str = "",
    category: str = "",
) -> QuerySet[MonitoredPost]:
    """The review queue. ``category``: ``"recruitment"`` (recruitment with trafficking
    risk: what the queue is for), ``"spam"`` (generic spam), ``"unflagged"`` (below the
    alert threshold), or empty for every post, recruitment first."""
    qs = posts_visible_to(actor).select_related("campaign", "network")
    if category == "unflagged":
        qs = qs.filter(flagged=False)
    elif category:
        qs = qs.filter(flagged=True, category=category)
    if status:
        qs = qs.filter(status=status)
    if min_risk:
        qs = qs.filter(risk__gte=min_risk)
    if language:
        qs = qs.filter(language=language)
    if channel:
        qs = qs.filter(channel=channel)
    if not category:
        rank = Case(
            When(flagged=True, category=PostCategory.RECRUITMENT, then=Value(0)),
            When(flagged=True, then=Value(1)),
            default=Value(2),
        )
        return qs.order_by(rank, "-risk", "-id")
    return qs.order_by("-risk", "-id")


def post_get_for(actor: User, pk: int) -> MonitoredPost:
    post = (
        posts_visible_to(actor).select_related("campaign", "network", "case").filter(pk=pk).first()
    )
    if post is None:
        raise NotFound(_("No such post, or you do not have access to it."))
    return post


def group_get_for(actor: User, pk: int) -> PostGroup:
    if actor.role not in MONITORING_ROLES:
        raise NotFound(_("No such group, or you do not have access to it."))
    group = PostGroup.objects.filter(pk=pk, agency_id=actor.agency_id).first()
    if group is None:
        raise NotFound(_("No such group, or you do not have access to it."))
    return group


def group_posts(group: PostGroup) -> QuerySet[MonitoredPost]:
    field = "campaign" if group.kind == "campaign" else "network"
    return MonitoredPost.objects.filter(**{field: group}).order_by("-risk", "id")


def import_runs(actor: User) -> QuerySet[ImportRun]:
    if actor.role not in MONITORING_ROLES:
        return ImportRun.objects.none()
    return ImportRun.objects.filter(agency_id=actor.agency_id).order_by("-at")


def import_run_get_for(actor: User, pk: int) -> ImportRun:
    """An import of the actor's agency (its progress page); others look missing."""
    run = import_runs(actor).filter(pk=pk).first()
    if run is None:
        raise NotFound(_("No such import, or you do not have access to it."))
    return run


def contact_get_for(actor: User, pk: int) -> Contact:
    if actor.role not in MONITORING_ROLES or actor.agency_id is None:
        raise NotFound(_("No such contact, or you do not have access to it."))
    contact = Contact.objects.filter(pk=pk, agency_id=actor.agency_id).first()
    if contact is None:
        raise NotFound(_("No such contact, or you do not have access to it."))
    return contact


def contact_posts(contact: Contact) -> QuerySet[MonitoredPost]:
    """Every post of the contact's agency that names it, newest first, across imports."""
    return (
        MonitoredPost.objects.filter(agency_id=contact.agency_id, mentions__contact=contact)
        .select_related("campaign", "network", "case", "run")
        .order_by("-posted_at", "-id")
    )


def contact_channels(contact: Contact) -> list[tuple[str, int]]:
    from django.db.models import Count

    rows = (
        MonitoredPost.objects.filter(agency_id=contact.agency_id, mentions__contact=contact)
        .values("channel")
        .annotate(n=Count("id"))
        .order_by("-n", "channel")
    )
    return [(r["channel"] or "", r["n"]) for r in rows]


def contacts_of_post(post: MonitoredPost) -> QuerySet[Contact]:
    return Contact.objects.filter(agency_id=post.agency_id, mentions__post=post).order_by(
        "kind", "value"
    )


def contacts_of_group(group: PostGroup) -> list[Contact]:
    """The contacts a campaign or network shares, as the agency's stored contacts (their
    kind in words, their own page), in the group's order; a key not in the store is left out."""
    wanted = [tuple(key.partition(":")[::2]) for key in group.contacts]
    values = sorted({value for _kind, value in wanted})
    found = {
        (c.kind, c.value): c
        for c in Contact.objects.filter(agency_id=group.agency_id, value__in=values)
    }
    return [found[key] for key in wanted if key in found]


def cases_openable(actor: User, case_ids: Iterable[int]) -> set[int]:
    """Of these cases (opened from posts), the ones ``actor`` may open now: a case handed
    over to another agency stays linked to its posts but is no longer this agency's."""
    from opennrm.cases.selectors import cases_visible_to

    ids = {i for i in case_ids if i}
    if not ids:
        return set()
    return set(cases_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
