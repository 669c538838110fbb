"""Campaigns that grow across batches and imports: the agency's campaign index in the DB.

The import job (:func:`opennrm.online.services.import_process`) scores each batch, then adds
its posts to the agency's :class:`~opennrm.monitoring.CampaignIndex` and writes what the
index says into the ``PostGroup``/``MonitoredPost`` rows, in the transaction that stores
the batch's last posts and counters. So a template posted in March and again in May is
one campaign, whichever import or batch brought each post.

How two imports of one agency stay consistent: the index is kept in memory by the import
(:class:`IndexHolder`) at a known stored ``version``; the posts are added and serialised
(only the posts this batch added: a chunk the size of the batch, not of the index; every
``COMPACT_AFTER`` chunks one write replaces them all) *before* the write transaction (the
slow part, no lock held); in the
transaction the ``CampaignState`` row is locked (``select_for_update``; on SQLite the
transaction holds the write lock from its start) and its version compared: if another
import wrote in between, :class:`IndexMoved` rolls the transaction back and the job
reloads the index and tries again. On SQLite the write lock is thus held only for the
row updates and the blob write, never for loading or linking the index.

Campaign rows of the index have ``across_imports=True`` and the index's campaign id
(its smallest post id) as ``key``; when the index joins two known campaigns, their rows
are merged into one (the posts move, the other row is deleted).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from opennrm.monitoring import BatchResult, CampaignIndex, IndexUpdate, PipelineConfig, Post
from opennrm.monitoring import process_batch as _process_batch
from opennrm.online.models import (
    CampaignChunk,
    CampaignState,
    GroupKind,
    MonitoredPost,
    PostGroup,
)

if TYPE_CHECKING:
    from opennrm.online.models import ImportRun


log = logging.getLogger(__name__)


class IndexMoved(Exception):
    """Another import stored a newer index since this one was loaded: reload and retry."""


COMPACT_AFTER = 32
"""Chunks of an agency's index before one write replaces them all (the next batch's)."""


@dataclass
class Staged:
    """An add prepared outside the transaction: what changed and the chunk to store."""

    update: IndexUpdate
    blob: bytes
    start: int  # the chunk holds the posts from this position on (0 and ``full``: all)
    size: int
    full: bool
    base_version: int


class IndexHolder:
    """The agency's campaign index as this import sees it (see the module doc)."""

    def __init__(self, agency_id: int, config: PipelineConfig) -> None:
        self.agency_id = agency_id
        self.config = config
        self.index: CampaignIndex | None = None
        self.version = -1  # the stored version ``index`` reflects; -1: load before use
        self.chunks = 0  # chunks stored for that version

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
            # one query: the chunks of one committed version (a write replaces them whole)
            rows = list(
                CampaignChunk.objects.filter(agency_id=self.agency_id)
                .order_by("seq")
                .values_list("seq", "blob")
            )
            self.index = (
                CampaignIndex.from_chunks([bytes(blob) for _seq, blob in rows])
                if rows
                else CampaignIndex(self.config.cluster, template_chars=self.config.template_chars)
            )
            self.version = rows[-1][0] if rows else 0
            self.chunks = len(rows)
            if self.index.config != self.config.cluster:
                # signatures of another clustering configuration cannot be compared with
                # this one's: start again (the next write replaces every stored chunk)
                log.warning("campaign index of agency %s restarted: configuration changed",
                            self.agency_id)  # fmt: skip
                self.index = CampaignIndex(
                    self.config.cluster, template_chars=self.config.template_chars
                )
                self.chunks = COMPACT_AFTER
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
        full = self.chunks >= COMPACT_AFTER
        start = 0 if full else before
        return Staged(update, index.to_bytes(start), start, len(index), full, base)

    def commit(self, staged: Staged, run: ImportRun) -> None:
        """Inside the batch's transaction: write the campaigns and the index, or raise
        :class:`IndexMoved` when another import stored a newer index first."""
        state = CampaignState.objects.select_for_update().get(agency_id=self.agency_id)
        if state.version != staged.base_version:
            raise IndexMoved
        assert self.index is not None  # noqa: S101 - staged means synced
        _apply(self.index, staged.update, run, self.agency_id)
        chunks = self.chunks
        if staged.update.added or staged.full:
            if staged.full:
                CampaignChunk.objects.filter(agency_id=self.agency_id).delete()
                chunks = 0
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
            chunks += 1
        self.version, self.chunks = state.version, chunks  # reset if the transaction fails


def _apply(index: CampaignIndex, update: IndexUpdate, run: ImportRun, agency_id: int) -> None:
    """Campaign rows and post links after an add: merge joined rows, create new ones,
    point the batch's posts at their campaign and grow the statistics of each campaign by
    the posts that joined it. The work is in proportion to the batch (and the number of
    rows merged), never to the size of the campaigns: the write lock stays short."""
    renamed = update.renamed_campaigns
    wanted = set(update.campaigns) | set(renamed) | set(renamed.values())
    rows = {
        g.key: g
        for g in PostGroup.objects.select_for_update().filter(
            agency_id=agency_id, kind=GroupKind.CAMPAIGN, across_imports=True, key__in=wanted
        )
    }
    for old, new in sorted(renamed.items()):
        source = rows.pop(old, None)
        if source is None:
            continue
        target = rows.get(new)
        if target is None:  # the joined campaign keeps this row, under its new id
            source.key = new
            source.save(update_fields=["key"])
            rows[new] = source
        else:
            MonitoredPost.objects.filter(campaign=source).update(campaign=target)
            _merge(target, _Stats.of(source))
            source.delete()
    for cid in update.campaigns:
        if cid not in rows:
            rows[cid] = PostGroup.objects.create(
                run=run,
                agency_id=agency_id,
                key=cid,
                kind=GroupKind.CAMPAIGN,
                size=0,
                across_imports=True,
            )
    placed = [(a.post_id, a.campaign_id) for a in update.assignments]
    # posts stored earlier, alone until this batch joined them
    placed += [(k, index.campaign_of(k)) for k in update.joined_campaigns]
    target_of = {k: rows[c] for k, c in placed if c is not None and c in rows}
    ids = sorted(target_of)
    joining: dict[int, list[str]] = defaultdict(list)
    grown: dict[int, _Stats] = {}
    for start in range(0, len(ids), 500):
        for post_id, campaign_id, *fields in MonitoredPost.objects.filter(
            agency_id=agency_id, post_id__in=ids[start : start + 500]
        ).values_list(
            "post_id", "campaign_id", "posted_at", "risk", "flagged", "channel", "language"
        ):
            row = target_of[post_id]
            if campaign_id != row.pk:
                joining[row.pk].append(post_id)
                grown.setdefault(row.pk, _Stats()).add(*fields)
    for pk, post_ids in joining.items():
        for start in range(0, len(post_ids), 500):
            MonitoredPost.objects.filter(
                agency_id=agency_id, post_id__in=post_ids[start : start + 500]
            ).update(campaign_id=pk)
    changed = [rows[cid] for cid in update.campaigns]
    for g in changed:
        if g.pk in grown:
            _merge(g, grown[g.pk])
        g.template = index.template(g.key)
    PostGroup.objects.bulk_update(
        changed,
        [
            "size", "first_seen", "last_seen", "mean_risk", "max_risk", "flagged",
            "channels", "languages", "template",
        ],
        batch_size=200,
    )  # fmt: skip


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

    def ordered(counts: Counter[str]) -> list[list[object]]:
        return [[k, n] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    g.channels = ordered(total.channels + more.channels)
    g.languages = ordered(total.languages + more.languages)
