"""Campaigns that grow across batches and imports: the agency's campaign index in the DB.

The import job (:func:`opennrm.online.services.import_process`) scores each batch, then adds
its posts to the agency's :class:`~opennrm.monitoring.CampaignIndex` and writes what the
index says into the ``PostGroup``/``MonitoredPost`` rows, in the transaction that stores
the batch's last posts and counters. So a template posted in March and again in May is
one campaign, whichever import or batch brought each post.

How two imports of one agency stay consistent: the index is kept in memory by the import
(:class:`IndexHolder`) at a known stored ``version``; the posts are added and the new blob
serialised *before* the write transaction (the slow part, no lock held); in the
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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Max, Min, Q

from opennrm.monitoring import BatchResult, CampaignIndex, IndexUpdate, PipelineConfig, Post
from opennrm.monitoring import process_batch as _process_batch
from opennrm.online.models import CampaignState, GroupKind, MonitoredPost, PostGroup

if TYPE_CHECKING:
    from opennrm.online.models import ImportRun


class IndexMoved(Exception):
    """Another import stored a newer index since this one was loaded: reload and retry."""


@dataclass
class Staged:
    """An add prepared outside the transaction: what changed and the new stored form."""

    update: IndexUpdate
    blob: bytes
    base_version: int
    size: int


class IndexHolder:
    """The agency's campaign index as this import sees it (see the module doc)."""

    def __init__(self, agency_id: int, config: PipelineConfig) -> None:
        self.agency_id = agency_id
        self.config = config
        self.index: CampaignIndex | None = None
        self.version = -1  # the stored version ``index`` reflects; -1: load before use

    def invalidate(self) -> None:
        """The in-memory index may be ahead of the stored one: reload before the next add."""
        self.version = -1

    def sync(self) -> CampaignIndex:
        """The stored index, loaded only when the one in memory is not at its version."""
        if self.version < 0:
            CampaignState.objects.bulk_create(
                [CampaignState(agency_id=self.agency_id)], ignore_conflicts=True
            )
        stored = CampaignState.objects.filter(agency_id=self.agency_id).values_list(
            "version", flat=True
        )
        version = stored.get()
        if self.index is None or version != self.version:
            blob, version = (
                CampaignState.objects.filter(agency_id=self.agency_id)
                .values_list("blob", "version")
                .get()
            )
            self.index = (
                CampaignIndex.from_bytes(bytes(blob))
                if blob
                else CampaignIndex(self.config.cluster, template_chars=self.config.template_chars)
            )
            self.version = version
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
        update = index.add([*parts, *extra])
        return Staged(update, index.to_bytes(), base, len(index))

    def commit(self, staged: Staged, run: ImportRun) -> None:
        """Inside the batch's transaction: write the campaigns and the index, or raise
        :class:`IndexMoved` when another import stored a newer index first."""
        state = CampaignState.objects.select_for_update().get(agency_id=self.agency_id)
        if state.version != staged.base_version:
            raise IndexMoved
        assert self.index is not None  # noqa: S101 - staged means synced
        _apply(self.index, staged.update, run, self.agency_id)
        state.blob = staged.blob
        state.version += 1
        state.posts = staged.size
        state.save(update_fields=["blob", "version", "posts", "updated_at"])
        self.version = state.version  # reset by invalidate() if the transaction fails


def _apply(index: CampaignIndex, update: IndexUpdate, run: ImportRun, agency_id: int) -> None:
    """Campaign rows and post links after an add: merge joined rows, create new ones,
    point the batch's posts at their campaign, refresh the grown campaigns' statistics."""
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
    members: dict[str, list[str]] = defaultdict(list)
    for a in update.assignments:
        if a.campaign_id is not None and a.campaign_id in rows:
            members[a.campaign_id].append(a.post_id)
    for cid, post_ids in members.items():
        for start in range(0, len(post_ids), 500):
            MonitoredPost.objects.filter(
                agency_id=agency_id, post_id__in=post_ids[start : start + 500]
            ).exclude(campaign=rows[cid]).update(campaign=rows[cid])
    _refresh([rows[cid] for cid in update.campaigns], index)


def _refresh(groups: list[PostGroup], index: CampaignIndex) -> None:
    """Size, dates, channels, languages, risk and template of grown campaigns, from the
    stored posts (three grouped queries, whatever the number of campaigns)."""
    if not groups:
        return
    by_pk = {g.pk: g for g in groups}
    posts = MonitoredPost.objects.filter(campaign_id__in=list(by_pk))
    stats = posts.values("campaign_id").annotate(
        n=Count("id"),
        first=Min("posted_at"),
        last=Max("posted_at"),
        mean=Avg("risk"),
        top=Max("risk"),
        hits=Count("id", filter=Q(flagged=True)),
    )
    channels: dict[int, list[list[object]]] = defaultdict(list)
    for row in posts.exclude(channel="").values("campaign_id", "channel").annotate(n=Count("id")):
        channels[row["campaign_id"]].append([row["channel"], row["n"]])
    languages: dict[int, list[list[object]]] = defaultdict(list)
    for row in posts.exclude(language="").values("campaign_id", "language").annotate(n=Count("id")):
        languages[row["campaign_id"]].append([row["language"], row["n"]])
    for row in stats:
        g = by_pk[row["campaign_id"]]
        g.size = row["n"]
        g.first_seen, g.last_seen = row["first"], row["last"]
        g.mean_risk, g.max_risk, g.flagged = float(row["mean"]), float(row["top"]), row["hits"]
    for g in groups:
        g.channels = sorted(channels[g.pk], key=lambda kv: (-int(kv[1]), str(kv[0])))  # type: ignore[call-overload]
        g.languages = sorted(languages[g.pk], key=lambda kv: (-int(kv[1]), str(kv[0])))  # type: ignore[call-overload]
        g.template = index.template(g.key)
    PostGroup.objects.bulk_update(
        groups,
        [
            "size", "first_seen", "last_seen", "mean_risk", "max_risk", "flagged",
            "channels", "languages", "template",
        ],
        batch_size=200,
    )  # fmt: skip
