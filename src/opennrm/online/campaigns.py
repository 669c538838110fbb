"""Campaigns that grow across batches and imports: the agency's campaign index in the DB.

The import job (:func:`opennrm.online.services.import_process`) scores each batch, then adds
its posts to the agency's :class:`~opennrm.monitoring.CampaignIndex` and writes what the
index says into the ``PostGroup``/``MonitoredPost`` rows, in the transaction that stores
the batch's last posts and counters. So a template posted in March and again in May is
one campaign, whichever import or batch brought each post.

How two imports of one agency stay consistent: the index is kept in memory by the import
(:class:`IndexHolder`) at a known stored ``version``; the posts are added and serialised
(only the posts this batch added: a chunk the size of the batch, not of the index; see
:func:`_merge_tail` for how small chunks are merged without ever rewriting the whole
index) *before* the write transaction (the slow part, no lock held); in the
transaction the ``CampaignState`` row is locked (``select_for_update``; on SQLite the
transaction holds the write lock from its start) and its version compared: if another
import wrote in between, :class:`IndexMoved` rolls the transaction back and the job
reloads the index and tries again. On SQLite the write lock is thus held only for the
row updates and the blob write, never for loading or linking the index.

Campaign rows of the index have ``across_imports=True`` and the index's campaign id
(its smallest post id) as ``key``; when the index joins two known campaigns, their rows
are merged into one (the posts move, the other row is deleted).

Retention: the purge (:func:`opennrm.online.services.purge_expired`) erases posts, which
the index cannot forget; it marks the agency's ``CampaignState.rebuild_needed`` in the
transaction that erases them, and :func:`rebuild_campaign_index` builds the index again
from the posts still stored (their stored ids, texts and contacts), replaces every chunk
under the same version lock (catching up, under the lock, with posts an import committed
meanwhile) and regroups the cross-import rows to match (:func:`_regroup`, then
:func:`refresh_groups`).

Memory: the index in the worker keeps no post texts (``template_chars=0``: about 0.95 KB
per post instead of 2.1); a campaign's template is built from the texts of its first
members as stored in ``MonitoredPost``, and only when those members changed.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction
from django.db.models import Avg, Count, Max, Min, Q

from opennrm.monitoring import BatchResult, CampaignIndex, IndexUpdate, PipelineConfig, Post
from opennrm.monitoring import process_batch as _process_batch
from opennrm.monitoring.cluster import build_template, minhash_signatures
from opennrm.monitoring.normalize import normalize
from opennrm.online.models import (
    CampaignChunk,
    CampaignState,
    GroupKind,
    MonitoredPost,
    PostGroup,
)
from opennrm.online.selectors import channel_counts

if TYPE_CHECKING:
    from opennrm.online.models import ImportRun


log = logging.getLogger(__name__)
_T = TypeVar("_T")


class IndexMoved(Exception):
    """Another import stored a newer index since this one was loaded: reload and retry."""


MAX_CHUNK_POSTS = 50_000
"""Chunks are merged up to this many posts (about 13 MB of signatures): no write of
the index is larger, however many posts the agency has."""


def _merge_tail(sizes: Sequence[tuple[int, int]], start: int, posts: int) -> int:
    """Where the chunk to write starts: a new chunk of ``posts`` from ``start`` absorbs the
    stored chunks before it (``sizes``: (start, posts) in order) while each is no larger
    than what it absorbed so far and the sum stays within :data:`MAX_CHUNK_POSTS`.

    Like a binary counter: the stored chunks' sizes decrease towards the end, so an
    agency has about ``total / MAX_CHUNK_POSTS + log2(MAX_CHUNK_POSTS / batch)`` chunks,
    each post is rewritten a logarithmic number of times, and no write exceeds the cap.
    """
    i = len(sizes)
    while i > 0 and sizes[i - 1][1] <= posts and sizes[i - 1][1] + posts <= MAX_CHUNK_POSTS:
        i -= 1
        start, posts = sizes[i][0], posts + sizes[i][1]
    return start


@dataclass
class Staged:
    """An add prepared outside the transaction: what changed and the chunk to store."""

    update: IndexUpdate
    blob: bytes
    start: int  # the chunk holds the posts from this position on; stored ones from it go
    size: int
    base_version: int
    write: bool  # False: nothing new and nothing to replace


class IndexHolder:
    """The agency's campaign index as this import sees it (see the module doc)."""

    def __init__(self, agency_id: int, config: PipelineConfig) -> None:
        self.agency_id = agency_id
        self.config = config
        self.index: CampaignIndex | None = None
        self.version = -1  # the stored version ``index`` reflects; -1: load before use
        self.sizes: list[tuple[int, int]] = []  # (start, posts) of the chunks stored for it
        self.replace_all = False  # the stored chunks are of another configuration

    def invalidate(self) -> None:
        """The in-memory index may be ahead of the stored one: reload before the next add."""
        self.version = -1

    def sync(self) -> CampaignIndex:
        """The stored index, loaded only when the one in memory is not at its version."""
        if self.version < 0:
            CampaignState.objects.bulk_create(
                [CampaignState(agency_id=self.agency_id)], ignore_conflicts=True
            )
        version = CampaignState.objects.values_list("version", flat=True).get(
            agency_id=self.agency_id
        )
        if self.index is None or version != self.version:
            # the chunks of one committed version, their blobs read one at a time
            for attempt in range(5):
                rows = list(
                    CampaignChunk.objects.filter(agency_id=self.agency_id)
                    .order_by("seq")
                    .values_list("seq", "start", "posts")
                )
                try:
                    self.index = (
                        CampaignIndex.from_chunks(_blobs(self.agency_id, rows), template_chars=0)
                        if rows
                        else CampaignIndex(self.config.cluster, template_chars=0)
                    )
                    break
                except CampaignChunk.DoesNotExist:
                    # another import replaced chunks between the two reads: list again
                    if attempt == 4:
                        raise
            self.version = rows[-1][0] if rows else 0
            self.sizes = [(start, posts) for _seq, start, posts in rows]
            self.replace_all = False
            if self.index.config != self.config.cluster:
                # signatures of another clustering configuration cannot be compared with
                # this one's: start again (the next write replaces every stored chunk)
                log.warning("campaign index of agency %s restarted: configuration changed",
                            self.agency_id)  # fmt: skip
                self.index = CampaignIndex(self.config.cluster, template_chars=0)
                self.replace_all = True  # the next write starts at 0: it replaces them all
        return self.index

    def stage(self, parts: Sequence[BatchResult], stored: Sequence[Post]) -> Staged:
        """Add a scored batch (``parts``) to the index, outside any transaction.

        ``stored`` are posts of the batch the database already holds; those the index
        lacks (an import cut short between its writes, or posts stored before the index
        existed) are added too, so importing the file again repairs their campaigns.
        """
        index = self.sync()
        missing = [p for p in stored if p.id not in index]
        extra = [_process_batch(missing, model=None, config=self.config)] if missing else []
        self.version, base = -1, self.version  # ahead of the stored one until committed
        before = len(index)
        update = index.add([*parts, *extra])
        start = 0 if self.replace_all else _merge_tail(self.sizes, before, len(index) - before)
        write = self.replace_all or len(index) > before
        blob = index.to_bytes(start) if write else b""
        return Staged(update, blob, start, len(index), base, write)

    def commit(self, staged: Staged, run: ImportRun) -> None:
        """Inside the batch's transaction: write the campaigns and the index, or raise
        :class:`IndexMoved` when another import stored a newer index first."""
        state = CampaignState.objects.select_for_update().get(agency_id=self.agency_id)
        if state.version != staged.base_version:
            raise IndexMoved
        assert self.index is not None  # noqa: S101 - staged means synced
        _apply(self.index, staged.update, run, self.agency_id, self.config.template_chars)
        _apply_networks(self.index, staged.update, run, self.agency_id)
        sizes = self.sizes
        if staged.write:
            CampaignChunk.objects.filter(agency_id=self.agency_id, start__gte=staged.start).delete()
            sizes = [(s, n) for s, n in sizes if s < staged.start]
            CampaignChunk.objects.create(
                agency_id=self.agency_id,
                seq=state.version + 1,
                start=staged.start,
                posts=staged.size - staged.start,
                blob=staged.blob,
            )
            state.version += 1
            state.posts = staged.size
            state.save(update_fields=["version", "posts", "updated_at"])
            sizes = [*sizes, (staged.start, staged.size - staged.start)]
        # all reset by ``invalidate`` if the transaction fails
        self.version, self.sizes = state.version, sizes
        self.replace_all = self.replace_all and not staged.write


def _blobs(agency_id: int, rows: Sequence[tuple[int, int, int]]) -> Iterator[bytes]:
    """The chunks' blobs one query at a time: only one is held while the index is read."""
    for seq, _start, _posts in rows:
        blob = (
            CampaignChunk.objects.filter(agency_id=agency_id, seq=seq)
            .values_list("blob", flat=True)
            .get()
        )
        yield bytes(blob)


def _apply(
    index: CampaignIndex,
    update: IndexUpdate,
    run: ImportRun,
    agency_id: int,
    template_chars: int,
) -> None:
    """Campaign rows and post links after an add (:func:`_grow`), then the templates."""
    placed = [(a.post_id, a.campaign_id) for a in update.assignments]
    # posts stored earlier, alone until this batch joined them
    placed += [(k, index.campaign_of(k)) for k in update.joined_campaigns]
    changed, _contacts = _grow(
        run, agency_id, GroupKind.CAMPAIGN, update.campaigns, update.renamed_campaigns, placed
    )
    _templates(index, changed, update, agency_id, template_chars)
    _save(changed, [*_STAT_FIELDS, "template"])


_STAT_FIELDS = [
    "size", "first_seen", "last_seen", "mean_risk", "max_risk", "flagged", "channels",
    "languages",
]  # fmt: skip


def _save(rows: Sequence[PostGroup], fields: Sequence[str]) -> None:
    """One short UPDATE per row: ``bulk_update``'s ``CASE WHEN`` over a hundred rows and
    nine fields took about a second per batch to build, inside the write lock."""
    for g in rows:
        PostGroup.objects.filter(pk=g.pk).update(**{f: getattr(g, f) for f in fields})


def _grow(
    run: ImportRun,
    agency_id: int,
    kind: str,
    grown_ids: Sequence[str],
    renamed: dict[str, str],
    placed: Sequence[tuple[str, str | None]],
) -> tuple[list[PostGroup], dict[int, set[str]]]:
    """Rows of one kind after an add: merge joined rows, create new ones, point the posts
    ``placed`` at their group and grow the statistics of each group by the posts that
    joined it. The work is in proportion to the batch (and the number of rows merged),
    never to the size of the groups: the write lock stays short. Returns the rows that
    grew (to be saved by the caller) and the contacts of the posts that joined each."""
    field = "campaign" if kind == GroupKind.CAMPAIGN else "network"
    wanted = sorted(set(grown_ids) | set(renamed) | set(renamed.values()))
    rows: dict[str, PostGroup] = {}
    for part in _chunks(wanted):
        rows.update(
            (g.key, g)
            for g in PostGroup.objects.select_for_update().filter(
                agency_id=agency_id, kind=kind, across_imports=True, key__in=part
            )
        )
    for old, new in sorted(renamed.items()):
        source = rows.pop(old, None)
        if source is None:
            continue
        target = rows.get(new)
        if target is None:  # the joined group keeps this row, under its new id
            source.key = new
            source.save(update_fields=["key"])
            rows[new] = source
            continue
        # the larger row stays (its posts stay where they are) and takes the new id
        keep, drop = (source, target) if source.size > target.size else (target, source)
        MonitoredPost.objects.filter(**{field: drop}).update(**{field: keep})
        _merge(keep, _Stats.of(drop))
        keep.contacts = sorted({*keep.contacts, *drop.contacts})
        drop.delete()
        if keep.key != new:
            keep.key = new
            keep.save(update_fields=["key"])
        rows[new] = keep
    for gid in grown_ids:
        if gid not in rows:
            rows[gid] = PostGroup.objects.create(
                run=run, agency_id=agency_id, key=gid, kind=kind, size=0, across_imports=True
            )
    target_of = {k: rows[g] for k, g in placed if g is not None and g in rows}
    joining: dict[int, list[str]] = defaultdict(list)
    grown: dict[int, _Stats] = {}
    contacts: dict[int, set[str]] = defaultdict(set)
    for part in _chunks(sorted(target_of)):
        for post_id, group_id, post_contacts, *fields in MonitoredPost.objects.filter(
            agency_id=agency_id, post_id__in=part
        ).values_list(
            "post_id", f"{field}_id", "contacts", "posted_at", "risk", "flagged", "channel",
            "language",
        ):  # fmt: skip
            row = target_of[post_id]
            if group_id != row.pk:
                joining[row.pk].append(post_id)
                grown.setdefault(row.pk, _Stats()).add(*fields)
                contacts[row.pk].update(post_contacts)
    for pk, post_ids in joining.items():
        for part in _chunks(post_ids):
            MonitoredPost.objects.filter(agency_id=agency_id, post_id__in=part).update(
                **{f"{field}_id": pk}
            )
    changed = [rows[gid] for gid in grown_ids]
    for g in changed:
        if g.pk in grown:
            _merge(g, grown[g.pk])
    return changed, contacts


def _templates(
    index: CampaignIndex,
    changed: list[PostGroup],
    update: IndexUpdate,
    agency_id: int,
    template_chars: int,
) -> None:
    """Rebuild the template of each changed campaign whose first members (those the
    template is made of) changed, from their stored texts: one query per 500 texts."""
    newcomers = {a.post_id for a in update.assignments if a.campaign_id is not None}
    newcomers.update(update.joined_campaigns)
    merged = set(update.renamed_campaigns.values())
    todo: dict[str, list[str]] = {}
    for g in changed:
        ids = index.template_members(g.key)
        if not g.template or g.key in merged or newcomers.intersection(ids):
            todo[g.key] = ids
    wanted = sorted({k for ids in todo.values() for k in ids})
    texts: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        for post_id, text in MonitoredPost.objects.filter(
            agency_id=agency_id, post_id__in=wanted[start : start + 500]
        ).values_list("post_id", "text"):
            texts[post_id] = normalize(text)[:template_chars]
    for g in changed:
        ids = todo.get(g.key)
        if ids is not None:
            g.template = index.template(g.key, {k: texts.get(k, "") for k in ids})


def _chunks(values: Sequence[_T], size: int = 500) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _apply_networks(
    index: CampaignIndex, update: IndexUpdate, run: ImportRun, agency_id: int
) -> None:
    """Network rows after an add, as :func:`_apply` does for campaigns: the index's
    networks (posts sharing a contact, across every import of the agency) become rows with
    ``across_imports=True``, grown by the posts that joined; their shared contacts grow by
    the joining posts' contacts that now link two or more posts. When the index rebuilt
    its networks (a contact crossed ``max_contact_posts``), :func:`_rebuild_networks`."""
    if update.networks_rebuilt:
        _rebuild_networks(index, update, run, agency_id)
        return
    placed = [(a.post_id, a.network_id) for a in update.assignments]
    placed += [(k, index.network_of(k)) for k in update.joined_networks]
    changed, contacts = _grow(
        run, agency_id, GroupKind.NETWORK, update.networks, update.renamed_networks, placed
    )
    limit = index.config.max_contact_posts
    for g in changed:
        links = {c for c in contacts.get(g.pk, ()) if 2 <= index.contact_posts(c) <= limit}
        g.contacts = sorted(links.union(g.contacts))
    _save(changed, [*_STAT_FIELDS, "contacts"])


def _rebuild_networks(
    index: CampaignIndex, update: IndexUpdate, run: ImportRun, agency_id: int
) -> None:
    """Network rows after the index rebuilt its networks (a contact crossed
    ``max_contact_posts`` and stopped linking; rare): the posts that moved are moved, rows
    left empty are deleted, and the statistics of every row that changed are counted
    again in the database (three grouped queries per 500 rows)."""
    target: dict[str, str | None] = {a.post_id: a.network_id for a in update.assignments}
    target.update(update.moved_networks)
    wanted = sorted(set(update.networks) | {v for v in target.values() if v is not None})
    rows: dict[str, PostGroup] = {}
    for part in _chunks(wanted):
        rows.update(
            (g.key, g)
            for g in PostGroup.objects.select_for_update().filter(
                agency_id=agency_id, kind=GroupKind.NETWORK, across_imports=True, key__in=part
            )
        )
    for key in wanted:
        if key not in rows:
            rows[key] = PostGroup.objects.create(
                run=run, agency_id=agency_id, key=key, kind=GroupKind.NETWORK, size=0,
                across_imports=True,
            )  # fmt: skip
    touched: set[int] = set()
    for part in _chunks(sorted(update.moved_networks)):  # rows the rebuild emptied or split
        touched.update(
            pk
            for pk in MonitoredPost.objects.filter(agency_id=agency_id, post_id__in=part)
            .values_list("network_id", flat=True)
            .distinct()
            if pk is not None
        )
    by_row: dict[int | None, list[str]] = defaultdict(list)
    for post_id, key in target.items():
        by_row[rows[key].pk if key is not None else None].append(post_id)
    for pk, post_ids in by_row.items():
        for part in _chunks(sorted(post_ids)):
            MonitoredPost.objects.filter(agency_id=agency_id, post_id__in=part).update(
                network_id=pk
            )
    touched.update(g.pk for g in rows.values())
    _network_stats(index, sorted(touched))


def _network_stats(index: CampaignIndex, pks: list[int]) -> None:
    """Size, dates, risk, channels, languages and shared contacts of network rows, counted
    from their posts; rows left without posts are deleted."""
    for part in _chunks(pks):
        groups = {g.pk: g for g in PostGroup.objects.filter(pk__in=part)}
        changed = []
        for g in _recount(groups, "network_id", list(groups)):
            g.contacts = index.shared_contacts(g.key)
            changed.append(g)
        _save(changed, [*_STAT_FIELDS, "contacts"])


def _recount(groups: dict[int, PostGroup], field: str, pks: list[int]) -> list[PostGroup]:
    """Size, dates, risk, channels and languages of the rows ``pks`` of ``groups``, counted
    from the posts whose ``field`` points at them (not saved); rows left without posts
    are deleted and dropped from ``groups``."""
    posts = MonitoredPost.objects.filter(**{f"{field}__in": pks})
    stats = {
        row[field]: row
        for row in posts.values(field).annotate(
            n=Count("id"),
            first=Min("posted_at"),
            last=Max("posted_at"),
            mean=Avg("risk"),
            top=Max("risk"),
            flags=Count("id", filter=Q(flagged=True)),
        )
    }
    languages: dict[int, Counter[str]] = {}
    for row in posts.exclude(language="").values(field, "language").annotate(n=Count("id")):
        languages.setdefault(row[field], Counter())[row["language"]] = row["n"]
    # channels are encrypted: counted by their blind index, one name per channel decrypted
    channels = {pk: per for (pk,), per in channel_counts(posts, field).items()}
    empty = [pk for pk in pks if pk not in stats]
    if empty:
        PostGroup.objects.filter(pk__in=empty).delete()
        for pk in empty:
            groups.pop(pk, None)
    counted = []
    for pk in pks:
        if pk in stats:
            g, row = groups[pk], stats[pk]
            g.size, g.first_seen, g.last_seen = row["n"], row["first"], row["last"]
            g.mean_risk, g.max_risk = row["mean"] or 0.0, row["top"] or 0.0
            g.flagged = row["flags"]
            per_channel = channels.get(pk, Counter())
            per_channel.pop("", None)
            g.channels = _ordered(per_channel)
            g.languages = _ordered(languages.get(pk, Counter()))
            counted.append(g)
    return counted


def _ordered(counts: Counter[str]) -> list[list[object]]:
    return [[k, n] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


class _Stats:
    """A campaign's statistics as sums, so that two can be added."""

    def __init__(self) -> None:
        self.size = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.risk_sum = 0.0
        self.risk_max = 0.0
        self.flagged = 0
        self.channels: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()

    def add(
        self, posted_at: datetime | None, risk: float, flagged: bool, channel: str, language: str
    ) -> None:
        self.size += 1
        if posted_at is not None:
            self.first = posted_at if self.first is None else min(self.first, posted_at)
            self.last = posted_at if self.last is None else max(self.last, posted_at)
        self.risk_sum += risk
        self.risk_max = max(self.risk_max, risk)
        self.flagged += bool(flagged)
        if channel:
            self.channels[channel] += 1
        if language:
            self.languages[language] += 1

    @classmethod
    def of(cls, g: PostGroup) -> _Stats:
        stats = cls()
        stats.size, stats.first, stats.last = g.size, g.first_seen, g.last_seen
        stats.risk_sum, stats.risk_max, stats.flagged = g.mean_risk * g.size, g.max_risk, g.flagged
        stats.channels = Counter({str(k): int(n) for k, n in g.channels})
        stats.languages = Counter({str(k): int(n) for k, n in g.languages})
        return stats


def _merge(g: PostGroup, more: _Stats) -> None:
    """Grow ``g``'s statistics by ``more`` (posts that joined it, or a row merged in)."""
    total = _Stats.of(g)
    size = total.size + more.size
    g.mean_risk = (total.risk_sum + more.risk_sum) / size if size else 0.0
    g.size = size
    g.max_risk = max(total.risk_max, more.risk_max)
    g.flagged = total.flagged + more.flagged
    firsts = [t for t in (total.first, more.first) if t is not None]
    lasts = [t for t in (total.last, more.last) if t is not None]
    g.first_seen = min(firsts) if firsts else None
    g.last_seen = max(lasts) if lasts else None

    g.channels = _ordered(total.channels + more.channels)
    g.languages = _ordered(total.languages + more.languages)


# --------------------------------------------------------------------- retention
#
# The index holds, per post, its id, MinHash signature and contacts: once the retention
# purge (:func:`opennrm.online.services.purge_expired`) has erased posts, the stored
# chunks must not keep them. The index cannot forget a post (its LSH buckets and forests
# are built by adding), so it is built again from the posts the agency still stores.

_REBUILD_BATCH = 1000


@dataclass
class Rebuilt:
    """What :func:`rebuild_campaign_index` did for one agency."""

    posts: int = 0  # in the rebuilt index
    chunks: int = 0
    groups_created: int = 0
    groups_deleted: int = 0  # rows left empty (their posts erased), or of split/joined groups
    posts_moved: int = 0  # posts whose campaign or network row changed


def _signed(index: CampaignIndex, rows: Sequence[tuple[str, str, list[str]]], config: Any) -> None:
    """Add stored posts ``(post_id, text, contacts)`` to ``index`` (the add path of
    :meth:`CampaignIndex.add_signatures`: the signatures of their normalised texts, the
    contacts and ids exactly as stored)."""
    if not rows:
        return
    signatures, valid = minhash_signatures([normalize(text) for _k, text, _c in rows], config)
    index.add_signatures(
        [k for k, _t, _c in rows],
        signatures,
        valid,
        contacts=[[str(c) for c in contacts] for _k, _t, contacts in rows],
    )


def _stored_rows(agency_id: int, post_ids: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    rows: list[tuple[str, str, list[str]]] = []
    for part in _chunks(sorted(post_ids)):
        rows.extend(
            MonitoredPost.objects.filter(agency_id=agency_id, post_id__in=part)
            .order_by("run_id", "pk")
            .values_list("post_id", "text", "contacts")
        )
    return rows


def rebuild_campaign_index(
    agency_id: int, *, config: PipelineConfig | None = None, recount_all: bool = False
) -> Rebuilt:
    """Build the agency's campaign index again from the posts it stores now, replace the
    stored chunks with it and regroup the agency's cross-import campaign and network rows
    (``across_imports=True``) to match; used by the retention purge after it erased posts.

    The ids are ``MonitoredPost.post_id`` as stored (never recomputed from the fields);
    the signatures are made from the stored texts, the contacts are the stored ones.

    Concurrency, as the imports (module doc): the index is built and serialised outside
    any transaction, in batches of stored posts (the slow part); then the
    ``CampaignState`` row is locked and the posts stored since the build (an import
    committed a newer version meanwhile, or stored posts it has not indexed yet) are
    added under the lock: a catch-up the size of what was imported meanwhile, instead
    of a reload-and-retry that a long import could starve, so nothing an import added is
    lost. The version then grows past every chunk it replaces: an import holding an
    older one gets :class:`IndexMoved` at its commit and reloads (a post it then adds
    again is known already: its assignment is returned). Rows are matched to the rebuilt groups by the posts they
    hold (a row keeps its id and whatever it carries when most of its posts stay
    together; it takes the group's new key, its smallest post id); rows no group needs
    are deleted, groups without a row get one.

    The statistics, templates and shared contacts of the rows that changed are counted
    again from their stored posts **after** the lock, a few rows per transaction (as the
    purge counts the rows that lost posts): counting them read and decrypted every
    changed row's posts inside the lock, which held every other writer for seconds on a
    large agency (8 s of 100,000 posts in ``bench/retention.py``). Until they are
    counted, ``rebuild_needed`` stays set, so a rebuild cut short is done again by the
    next purge; it is cleared only if no import moved the index meanwhile (else the
    next purge rebuilds once more: safe, repeated work). ``recount_all``: count every
    cross-import row of the agency (the purge asks for it when it finds the agency still
    marked from an earlier run, which may have stopped before its rows were counted).
    """
    config = config or PipelineConfig()
    cluster = config.cluster
    CampaignState.objects.bulk_create([CampaignState(agency_id=agency_id)], ignore_conflicts=True)
    index = CampaignIndex(cluster, template_chars=0)
    sealed: list[tuple[int, int, bytes]] = []  # (start, posts, blob) of full chunks
    last = 0
    while True:
        page = list(
            MonitoredPost.objects.filter(agency_id=agency_id, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "post_id", "text", "contacts")[:_REBUILD_BATCH]
        )
        if not page:
            break
        last = page[-1][0]
        _signed(index, [(k, t, c) for _pk, k, t, c in page], cluster)
        start = sealed[-1][0] + sealed[-1][1] if sealed else 0
        if len(index) - start >= MAX_CHUNK_POSTS:
            sealed.append((start, len(index) - start, index.to_bytes(start)))
    tail_start = sealed[-1][0] + sealed[-1][1] if sealed else 0
    tail = index.to_bytes(tail_start)
    tail_size = len(index)
    report = Rebuilt()
    with transaction.atomic():
        state = CampaignState.objects.select_for_update().get(agency_id=agency_id)
        stored = list(
            MonitoredPost.objects.filter(agency_id=agency_id).values_list(
                "pk", "post_id", "campaign_id", "network_id", "run_id"
            )
        )
        # posts stored since the build (an import committed meanwhile, or is between its
        # writes) join the rebuilt index now: a few batches at most
        _signed(index, _stored_rows(agency_id, [k for _p, k, *_r in stored if k not in index]),
                cluster)  # fmt: skip
        if len(index) != tail_size:
            tail = index.to_bytes(tail_start)
        CampaignChunk.objects.filter(agency_id=agency_id).delete()
        chunks = [*sealed, (tail_start, len(index) - tail_start, tail)]
        for offset, (start, posts, blob) in enumerate(chunks, start=1):
            CampaignChunk.objects.create(
                agency_id=agency_id, seq=state.version + offset, start=start, posts=posts,
                blob=blob,
            )  # fmt: skip
        state.version += len(chunks)
        state.posts = len(index)
        # posts in the index that are no longer stored (a second purge erased them
        # meanwhile): another rebuild is needed
        again = sum(1 for _p, k, *_r in stored if k in index) != len(index)
        report.posts, report.chunks = len(index), len(chunks)
        touched: set[int] = set()
        for kind in (GroupKind.CAMPAIGN, GroupKind.NETWORK):
            touched |= _regroup(index, agency_id, kind, stored, report)
        # the rows that changed are counted below, outside the lock: until then the
        # rebuild is not finished
        state.rebuild_needed = again or bool(touched)
        state.save(update_fields=["version", "posts", "rebuild_needed", "updated_at"])
        version = state.version
    if recount_all:
        touched.update(
            PostGroup.objects.filter(agency_id=agency_id, across_imports=True).values_list(
                "pk", flat=True
            )
        )
    report.groups_deleted += _refresh_rebuilt(agency_id, sorted(touched), index, version, config)
    if not again:
        CampaignState.objects.filter(agency_id=agency_id, version=version).update(
            rebuild_needed=False
        )
    return report


#: group rows counted again per transaction after a rebuild
_REFRESH_BATCH = 50


def _refresh_rebuilt(
    agency_id: int, pks: Sequence[int], index: CampaignIndex, version: int, config: PipelineConfig
) -> int:
    """:func:`refresh_groups` of the rows a rebuild changed, a few per transaction; the
    rebuilt ``index`` gives the networks' shared contacts while it is the stored one (no
    import added to it since), else they are counted from the posts."""
    deleted = 0
    for part in _chunks(pks, _REFRESH_BATCH):
        with transaction.atomic():
            current = CampaignState.objects.filter(agency_id=agency_id, version=version).exists()
            deleted += refresh_groups(part, index=index if current else None, config=config)
    return deleted


def _regroup(
    index: CampaignIndex,
    agency_id: int,
    kind: str,
    stored: Sequence[tuple[int, str, int | None, int | None, int]],
    report: Rebuilt,
) -> set[int]:
    """Point the posts at the rows of the rebuilt index's groups of ``kind`` (in the
    caller's transaction); returns the rows whose posts changed."""
    field = "campaign" if kind == GroupKind.CAMPAIGN else "network"
    group_of = index.campaign_of if kind == GroupKind.CAMPAIGN else index.network_of
    rows = {
        g.pk: g
        for g in PostGroup.objects.select_for_update()
        .filter(agency_id=agency_id, kind=kind, across_imports=True)
        .only("pk", "key")  # never the encrypted columns: nothing to decrypt under the lock
    }
    wanted: dict[int, str | None] = {}  # post pk -> group id in the rebuilt index
    current: dict[int, int | None] = {}
    overlap: Counter[tuple[str, int]] = Counter()
    members: dict[str, list[tuple[str, int]]] = defaultdict(list)  # gid -> (post id, run)
    for pk, post_id, campaign_id, network_id, run_id in stored:
        now = campaign_id if kind == GroupKind.CAMPAIGN else network_id
        gid = group_of(post_id) if post_id in index else None
        wanted[pk], current[pk] = gid, now
        if gid is not None:
            members[gid].append((post_id, run_id))
            if now in rows:
                overlap[(gid, now)] += 1
    # each group keeps the row holding most of its posts (ties: the row already under
    # its key, then the older row); each row serves one group at most
    row_of: dict[str, PostGroup] = {}
    taken: set[int] = set()
    for (gid, pk), _n in sorted(
        overlap.items(), key=lambda kv: (-kv[1], rows[kv[0][1]].key != kv[0][0], kv[0][1])
    ):
        if gid not in row_of and pk not in taken:
            row_of[gid] = rows[pk]
            taken.add(pk)
    unused = [pk for pk in rows if pk not in taken]
    gone = set(unused)
    # rows no group needs go first (their keys may be taken again); their posts move below
    for part in _chunks(unused):
        PostGroup.objects.filter(pk__in=part).delete()
    report.groups_deleted += len(unused)
    renamed = [(g, gid) for gid, g in row_of.items() if g.key != gid]
    # a key freed by a row that goes or moves to another key, before it is taken again
    for g, _gid in renamed:
        PostGroup.objects.filter(pk=g.pk).update(key=f"~{g.pk}")
    for g, gid in renamed:
        g.key = gid
        PostGroup.objects.filter(pk=g.pk).update(key=gid)
    touched = {g.pk for g, _gid in renamed}
    for gid in sorted(members):
        if gid not in row_of:
            first_run = min(run for _k, run in members[gid])
            row_of[gid] = PostGroup.objects.create(
                run_id=first_run, agency_id=agency_id, key=gid, kind=kind, size=0,
                across_imports=True,
            )  # fmt: skip
            report.groups_created += 1
            touched.add(row_of[gid].pk)
    moves: dict[int | None, list[int]] = defaultdict(list)
    for pk, gid in wanted.items():
        now = current[pk]
        if gid is not None:
            target: int | None = row_of[gid].pk
        elif now in rows:
            target = None  # alone now: out of the cross-import row
        else:
            continue  # alone, or in a row of one import (the index off): left as it is
        if target != (None if now in gone else now):
            moves[target].append(pk)
            touched.update(t for t in (target, now) if t is not None)
    for target, pks in moves.items():
        report.posts_moved += len(pks)
        for part in _chunks(sorted(pks)):
            MonitoredPost.objects.filter(pk__in=part).update(**{f"{field}_id": target})
    return touched - gone


def refresh_groups(
    pks: Sequence[int],
    *,
    index: CampaignIndex | None = None,
    config: PipelineConfig | None = None,
) -> int:
    """Count the statistics of group rows again from the posts they hold now (after
    posts left them: erased, or moved by :func:`rebuild_campaign_index`); rows left
    without posts are deleted (returns how many). A campaign's template is made again
    from its first members' stored texts; a campaign's contacts keep those still on one
    of its posts, a network's shared contacts are the rebuilt ``index``'s (else those
    still on two of its posts): nothing of an erased post stays in a row.

    Runs in the caller's transaction, rows locked (an import growing them waits)."""
    config = config or PipelineConfig()
    cluster = config.cluster
    deleted = 0
    for part in _chunks(sorted(set(pks))):
        groups = {g.pk: g for g in PostGroup.objects.select_for_update().filter(pk__in=part)}
        changed: list[PostGroup] = []
        for kind, field in ((GroupKind.CAMPAIGN, "campaign_id"), (GroupKind.NETWORK, "network_id")):
            mine = [pk for pk, g in groups.items() if g.kind == kind]
            if not mine:
                continue
            before = len(groups)
            for g in _recount(groups, field, mine):
                _refresh_words(g, field, index, cluster, config.template_chars)
                changed.append(g)
            deleted += before - len(groups)
        _save(changed, [*_STAT_FIELDS, "template", "contacts"])
    return deleted


def _refresh_words(
    g: PostGroup, field: str, index: CampaignIndex | None, cluster: Any, template_chars: int
) -> None:
    """A row's template and contacts from the posts it holds now."""
    posts = MonitoredPost.objects.filter(**{field: g.pk})
    if g.kind == GroupKind.CAMPAIGN:
        ids = sorted(posts.values_list("post_id", flat=True))[: cluster.template_members]
        texts = dict(posts.filter(post_id__in=ids).values_list("post_id", "text"))
        g.template = build_template(
            [normalize(texts[k])[:template_chars] for k in ids if k in texts],
            support=cluster.template_support,
        )
    if g.contacts or g.kind == GroupKind.NETWORK:
        if g.kind == GroupKind.NETWORK and index is not None and g.across_imports:
            g.contacts = index.shared_contacts(g.key) if g.key in index else []
            return
        seen: Counter[str] = Counter()
        for contacts in posts.values_list("contacts", flat=True).iterator():
            seen.update(set(contacts))
        least = 2 if g.kind == GroupKind.NETWORK else 1
        g.contacts = sorted(c for c in g.contacts if seen[c] >= least)
