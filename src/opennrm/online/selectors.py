from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, Count, Min, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import MONITORING_ROLES
from opennrm.core.errors import NotFound, ValidationFailed
from opennrm.online.models import (
    Contact,
    ImportRun,
    MonitoredPost,
    PostCategory,
    PostGroup,
    channel_indexes,
    contact_indexes,
)


def _may_monitor(actor: User) -> bool:
    """The one rule: a monitoring role in an agency sees that agency's posts, contacts,
    campaigns, networks and imports, and nothing of any other agency."""
    return actor.role in MONITORING_ROLES and actor.agency_id is not None


def access_refused_audit(
    actor: User, *, object_type: str, ref: object = "", what: str = "", ids: Iterable[int] = ()
) -> None:
    """An attempt on something the actor may not see (another agency's post, a guessed id)
    is recorded, while the answer still looks like "missing": ids and codes only."""
    from opennrm.audit.services import access_refused

    refused = sorted(set(ids))
    access_refused(
        actor,
        object_type=object_type,
        ref=ref,
        what=what or object_type,
        detail={"posts": refused} if refused else None,
    )


def _missing(actor: User, object_type: str, pk: int, what: str, message: str) -> NotFound:
    access_refused_audit(actor, object_type=object_type, ref=pk, what=what)
    return NotFound(message)


def posts_visible_to(actor: User) -> QuerySet[MonitoredPost]:
    if not _may_monitor(actor):
        return MonitoredPost.objects.none()
    return MonitoredPost.objects.filter(agency_id=actor.agency_id)


def posts_get_for(actor: User, ids: Iterable[int], *, what: str) -> list[MonitoredPost]:
    """The posts of ``ids`` the actor may see; the others (another agency's, missing) are
    left out as if missing, and the attempt on them is audited."""
    wanted = {int(i) for i in ids}
    ordered = sorted(wanted)
    posts = [  # in slices: a large campaign stays under SQLite's limit of query parameters
        post
        for start in range(0, len(ordered), 500)
        for post in posts_visible_to(actor).filter(pk__in=ordered[start : start + 500])
    ]
    posts.sort(key=lambda p: p.pk)
    refused = wanted - {p.pk for p in posts}
    if refused:
        access_refused_audit(actor, object_type="post", what=what, ids=refused)
    return posts


def post_languages(actor: User) -> list[str]:
    """The languages of the posts the actor sees (codes; the queue's language filter)."""
    codes = posts_visible_to(actor).exclude(language="").values_list("language", flat=True)
    return sorted(set(codes.order_by().distinct()))


def alert_queue(
    actor: User,
    *,
    status: str = "new",
    min_risk: float = 0.0,
    language: str = "",
    channel: str = "",
    category: str = "",
    after: str = "",
    known_channels: list[tuple[str, int]] | None = None,
) -> QuerySet[MonitoredPost]:
    """The review queue. ``category``: ``"recruitment"`` (recruitment with trafficking
    risk: what the queue is for), ``"spam"`` (generic spam), ``"unflagged"`` (below the
    alert threshold), or empty for every post, recruitment first. ``after``: a position
    from :func:`alert_queue_cursor`: only the posts that come after it (a page that costs
    the same wherever it is in the queue, where an offset reads every post before it)."""
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
    if channel:  # channels are encrypted: matched by their blind index
        names = channels_matching(actor, channel, known_channels) or [channel]
        qs = qs.filter(
            channel_index__in=[i for n in names for i in channel_indexes(actor.agency_id, n)]
        )
    later = Q()
    if after:
        rank, risk, pk = _queue_position(after)
        later = Q(risk__lt=risk) | Q(risk=risk, id__lt=pk)
        if not category:
            later = Q(rank__gt=rank) | (Q(rank=rank) & later)
    if not category:
        qs = qs.alias(
            rank=Case(
                When(flagged=True, category=PostCategory.RECRUITMENT, then=Value(0)),
                When(flagged=True, then=Value(1)),
                default=Value(2),
            )
        )
        return qs.filter(later).order_by("rank", "-risk", "-id")
    return qs.filter(later).order_by("-risk", "-id")


def _queue_rank(post: MonitoredPost) -> int:
    """The post's place among the queues when all are shown (:func:`alert_queue`)."""
    if post.flagged and post.category == PostCategory.RECRUITMENT:
        return 0
    return 1 if post.flagged else 2


def alert_queue_cursor(post: MonitoredPost) -> str:
    """The position just after ``post`` in the queue (``after=`` of :func:`alert_queue`),
    as text for an address: its queue, risk and id."""
    return f"{_queue_rank(post)}_{post.risk!r}_{post.pk}"


def _queue_position(cursor: str) -> tuple[int, float, int]:
    try:
        rank, risk, pk = cursor.split("_")
        position = int(rank), float(risk), int(pk)
    except ValueError:
        position = (-1, math.nan, 0)
    if position[0] not in (0, 1, 2) or not math.isfinite(position[1]):
        raise ValidationFailed(
            _("This is not a position in the queue: send the next_cursor of the page before."),
            field="after",
        )
    return position


def post_get_for(actor: User, pk: int, *, what: str = "post") -> MonitoredPost:
    """A post of the actor's agency; any other looks missing (and the attempt is audited,
    ``what`` naming the page or action it was for)."""
    post = (
        posts_visible_to(actor).select_related("campaign", "network", "case").filter(pk=pk).first()
    )
    if post is None:
        raise _missing(actor, "post", pk, what, _("No such post, or you do not have access to it."))
    return post


def group_get_for(actor: User, pk: int, *, what: str = "group") -> PostGroup:
    group = (
        PostGroup.objects.filter(pk=pk, agency_id=actor.agency_id).first()
        if _may_monitor(actor)
        else None
    )
    if group is None:
        raise _missing(
            actor, "group", pk, what, _("No such group, or you do not have access to it.")
        )
    return group


def group_posts(group: PostGroup) -> QuerySet[MonitoredPost]:
    field = "campaign" if group.kind == "campaign" else "network"
    return MonitoredPost.objects.filter(**{field: group}).order_by("-risk", "id")


def import_runs(actor: User) -> QuerySet[ImportRun]:
    if not _may_monitor(actor):
        return ImportRun.objects.none()
    return ImportRun.objects.filter(agency_id=actor.agency_id).order_by("-at")


def import_run_get_for(actor: User, pk: int) -> ImportRun:
    """An import of the actor's agency (its progress page); others look missing."""
    run = import_runs(actor).filter(pk=pk).first()
    if run is None:
        raise _missing(
            actor, "import", pk, "import", _("No such import, or you do not have access to it.")
        )
    return run


def contact_get_for(actor: User, pk: int) -> Contact:
    contact = (
        Contact.objects.filter(pk=pk, agency_id=actor.agency_id).first()
        if _may_monitor(actor)
        else None
    )
    if contact is None:
        raise _missing(
            actor, "contact", pk, "contact", _("No such contact, or you do not have access to it.")
        )
    return contact


def contact_posts(contact: Contact) -> QuerySet[MonitoredPost]:
    """Every post of the contact's agency that names it, newest first, across imports."""
    return (
        MonitoredPost.objects.filter(agency_id=contact.agency_id, mentions__contact=contact)
        .select_related("campaign", "network", "case", "run")
        .order_by("-posted_at", "-id")
    )


def contact_cases(contact: Contact) -> dict[int, str]:
    """The cases opened from any post that names the contact: id -> reference."""
    rows = (
        contact_posts(contact)
        .exclude(case=None)
        .order_by()
        .values_list("case_id", "case__reference")
        .distinct()
    )
    return dict(rows)


def channel_counts(posts: QuerySet[MonitoredPost], *by: str) -> dict[tuple[Any, ...], Counter[str]]:
    """How many of ``posts`` are in each channel, per value of the fields ``by``: grouped
    by the channel's blind index in the database, one name per group read and decrypted
    here (channels are encrypted). Posts without a channel count under ``""``."""
    rows = list(
        posts.order_by().values(*by, "channel_index").annotate(n=Count("id"), one=Min("id"))
    )
    wanted = sorted(r["one"] for r in rows if r["channel_index"])
    names: dict[int, str] = {}
    for start in range(0, len(wanted), 500):  # under SQLite's limit of query parameters
        names.update(
            MonitoredPost.objects.filter(pk__in=wanted[start : start + 500]).values_list(
                "pk", "channel"
            )
        )
    out: dict[tuple[Any, ...], Counter[str]] = {}
    for r in rows:
        name = names.get(r["one"], "") if r["channel_index"] else ""
        # rows indexed under an older key (before a rotation finished) are one channel too
        out.setdefault(tuple(r[f] for f in by), Counter())[name] += r["n"]
    return out


def queue_channels(actor: User) -> list[tuple[str, int]]:
    """The channels of the posts the actor sees, with how many posts each, most first
    (names decrypted: one post's per channel)."""
    counts = channel_counts(posts_visible_to(actor)).get((), Counter())
    counts.pop("", None)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _fold_channel(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().strip().lstrip("@")


#: the most channels a typed part of a name may stand for (each is one or two blind
#: indexes in the query); past it the officer is asked to type more
CHANNELS_MATCHED_MAX = 1000


def channels_matching(
    actor: User, typed: str, known: list[tuple[str, int]] | None = None
) -> list[str]:
    """The actor's channels that ``typed`` names, whatever its case, an ``@`` before it or
    full-width letters: the one it names exactly (so folded), else every one whose name
    holds it ("robota" finds "Robota_PL" and "robota_ua"). Empty when none does.
    ``known``: :func:`queue_channels` of the actor, when the caller has it already. More
    than :data:`CHANNELS_MATCHED_MAX` channels is refused (``ValidationFailed`` on
    ``channel``)."""
    wanted = _fold_channel(typed)
    if not wanted:
        return []
    names = [name for name, _n in (known if known is not None else queue_channels(actor))]
    exact = [n for n in names if _fold_channel(n) == wanted]
    found = exact or [n for n in names if wanted in _fold_channel(n)]
    if len(found) > CHANNELS_MATCHED_MAX:
        raise ValidationFailed(
            _("%(count)s channels have “%(typed)s” in their names: type more of the name.")
            % {"count": len(found), "typed": typed[:60]},
            field="channel",
        )
    return found


def contact_channels(contact: Contact) -> list[tuple[str, int]]:
    """The channels of a contact's posts with how many posts each, most first."""
    posts = MonitoredPost.objects.filter(agency_id=contact.agency_id, mentions__contact=contact)
    counts = channel_counts(posts).get((), Counter())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def contacts_of_post(post: MonitoredPost) -> list[Contact]:
    """The post's contacts by kind and value (sorted here: values are encrypted)."""
    found = Contact.objects.filter(agency_id=post.agency_id, mentions__post=post)
    return sorted(found, key=lambda c: (c.kind, c.value))


def contacts_of_group(group: PostGroup) -> list[Contact]:
    """The contacts a campaign or network shares, as the agency's stored contacts (their
    kind in words, their own page), in the group's order; a key not in the store is left out."""
    wanted = [tuple(key.partition(":")[::2]) for key in group.contacts]
    indexes = sorted(
        {i for kind, value in wanted for i in contact_indexes(group.agency_id, kind, value)}
    )
    found: dict[tuple[str, str], Contact] = {}
    for start in range(0, len(indexes), 500):
        for c in Contact.objects.filter(
            agency_id=group.agency_id, value_index__in=indexes[start : start + 500]
        ):
            found[(c.kind, c.value)] = c
    return [found[key] for key in wanted if key in found]


def cases_openable(actor: User, case_ids: Iterable[int]) -> set[int]:
    """Of these cases (opened from posts), the ones ``actor`` may open now: a case handed
    over to another agency stays linked to its posts but is no longer this agency's."""
    from opennrm.cases.selectors import cases_visible_to

    ids = {i for i in case_ids if i}
    if not ids:
        return set()
    return set(cases_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
