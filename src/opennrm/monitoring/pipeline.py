"""The monitoring pipeline: normalise → extract → language → score → cluster → networks.

Two stages, so that the same code runs in one process or on a Dask cluster:

* :func:`process_batch` – the **per-post** stage, a pure function of a batch of posts
  (normalise, extract contacts, detect the language, score with reasons, MinHash
  signature). It holds one batch at a time, so its memory does not grow with the input.
* :func:`assemble` – the **central** stage: concatenates batch results in input order,
  runs LSH + connected components for campaigns, links posts through shared contacts
  into networks, and summarises both. It keeps a small record per post (scores, a
  ``num_perm`` signature, contacts and, for templates, the first
  ``template_chars`` characters of the normalised text).

Because the per-post results do not depend on how posts are batched and the central stage
is order-independent and seeded, :func:`run_pipeline` and
:func:`opennrm.monitoring.dask.run_pipeline_dask` give identical results.
"""

from __future__ import annotations

import gc
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from opennrm.monitoring._flags import FlagSet, load_flags
from opennrm.monitoring._model import RiskModel
from opennrm.monitoring._post import Post
from opennrm.monitoring.cluster import (
    ClusterConfig,
    build_template,
    cluster_signatures,
    contact_networks,
    minhash_signatures,
)
from opennrm.monitoring.normalize import normalize
from opennrm.monitoring.scoring import Reason, score_texts

if TYPE_CHECKING:
    from opennrm.monitoring.index import CampaignIndex, IndexUpdate


@dataclass(frozen=True)
class PipelineConfig:
    """Options of the pipeline (picklable; shipped to Dask workers)."""

    batch_size: int = 2000
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    flags_path: str | None = None
    top_features: int = 3
    threshold: float | None = None  # default: the model's (or the flags-only default)
    extract: bool = True
    detect_language: bool = True
    template_chars: int = 500
    label_language: str = "en"


@dataclass(frozen=True, slots=True)
class PostResult:
    """What the pipeline learned about one post."""

    post_id: str
    record: str | None
    channel: str | None
    posted_at: datetime | None
    language: str | None
    risk: float
    model_score: float | None
    flag_score: float
    flagged: bool
    reasons: tuple[Reason, ...]
    contacts: tuple[str, ...]
    category: str | None = None  # "recruitment" or "spam" when flagged (scoring.py)

    def explain(self) -> str:
        return "; ".join(r.text for r in self.reasons)


@dataclass(frozen=True)
class BatchResult:
    """Output of :func:`process_batch` for one batch (picklable)."""

    posts: tuple[PostResult, ...]
    signatures: np.ndarray
    has_text: np.ndarray
    snippets: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """A campaign (near-duplicate cluster) or a contact network, with statistics."""

    id: str
    kind: str  # "campaign" or "network"
    size: int
    first_seen: datetime | None
    last_seen: datetime | None
    channels: tuple[tuple[str, int], ...]
    languages: tuple[tuple[str, int], ...]
    mean_risk: float
    max_risk: float
    flagged: int
    template: str = ""
    contacts: tuple[str, ...] = ()
    linked: tuple[str, ...] = ()  # campaigns of a network / networks of a campaign

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "size": self.size,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "channels": dict(self.channels),
            "languages": dict(self.languages),
            "mean_risk": round(self.mean_risk, 4),
            "max_risk": round(self.max_risk, 4),
            "flagged": self.flagged,
            "template": self.template,
            "contacts": list(self.contacts),
            "linked": list(self.linked),
        }


@dataclass(frozen=True)
class PipelineResult:
    """Per-post results (input order) with campaign and network assignments."""

    posts: tuple[PostResult, ...]
    cluster_ids: tuple[str, ...]
    network_ids: tuple[str | None, ...]
    campaigns: tuple[Group, ...]
    networks: tuple[Group, ...]
    flags_version: str
    update: IndexUpdate | None = None  # when run with an index: links to what was known


@lru_cache(maxsize=4)
def _flags(path: str | None) -> FlagSet:
    return load_flags(path)


CONTACT_FIELDS = (
    "phones",
    "unverified_phones",
    "emails",
    "urls",
    "domains",
    "telegram",
    "whatsapp",
    "viber",
    "instagram",
)


def _contacts(extraction: Any) -> tuple[str, ...]:
    """``"kind:value"`` contact identifiers of an :class:`~.extract.Extraction`."""
    values: set[str] = set()
    for kind in CONTACT_FIELDS:
        for value in getattr(extraction, kind, ()) or ():
            values.add(f"{kind.rstrip('s')}:{value}")
    return tuple(sorted(values))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one stage, then restore it.

    A batch allocates several objects per post (results, reasons, tuples) and frees none
    of them in cycles; while the results of earlier batches pile up, the collector would
    walk all of them again and again (about 5 % of the pipeline's CPU time on 20,000
    posts). Reference counting still frees everything as usual; the collector is
    re-enabled afterwards if it was enabled before (concurrent batches in threads leave
    it enabled at the end: only the first to pause it re-enables it).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def process_batch(
    posts: Sequence[Post], *, model: RiskModel | None, config: PipelineConfig
) -> BatchResult:
    """The per-post stage for one batch (pure; safe to run on a Dask worker)."""
    with _collector_paused():
        return _process_batch(posts, model=model, config=config)


def _process_batch(
    posts: Sequence[Post], *, model: RiskModel | None, config: PipelineConfig
) -> BatchResult:
    flags = _flags(config.flags_path)
    raw = [p.text for p in posts]
    norm = [normalize(t) for t in raw]
    scores = score_texts(
        raw,
        norm,
        model=model,
        flags=flags,
        top_features=config.top_features,
        threshold=config.threshold,
        language=config.label_language,
    )
    if config.extract:
        from opennrm.monitoring.extract import extract

        contacts = [
            _contacts(extract(t, contacts_only=True, normalized=n))
            for t, n in zip(raw, norm, strict=True)
        ]
    else:
        contacts = [()] * len(raw)
    if config.detect_language:
        from opennrm.monitoring.language import detect_language

        languages: list[str | None] = [detect_language(t) for t in raw]
    else:
        languages = [None] * len(raw)
    signatures, has_text = minhash_signatures(norm, config.cluster)
    results = tuple(
        PostResult(
            post_id=p.id,
            record=p.record,
            channel=p.channel,
            posted_at=p.posted_at,
            language=lang,
            risk=s.risk,
            model_score=s.model_score,
            flag_score=s.flag_score,
            flagged=s.flagged,
            reasons=s.reasons,
            contacts=c,
            category=s.category,
        )
        for p, s, c, lang in zip(posts, scores, contacts, languages, strict=True)
    )
    snippets = tuple(t[: config.template_chars] for t in norm)
    return BatchResult(results, signatures, has_text, snippets)


def batched(items: Iterable[Post], size: int) -> Iterator[list[Post]]:
    """Consecutive batches of ``size`` posts (the last one shorter)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _summarise(
    kind: str,
    gid: str,
    members: Sequence[int],
    posts: Sequence[PostResult],
    all_risks: np.ndarray | None = None,
) -> dict[str, Any]:
    """Statistics of a group; ``all_risks`` (every post's risk, in order) saves turning
    each group's risks into an array (the same values in the same order: same result)."""
    times = [t for i in members if (t := posts[i].posted_at) is not None]
    risks = (
        all_risks[np.asarray(members, dtype=np.int64)]
        if all_risks is not None
        else np.array([posts[i].risk for i in members], dtype=np.float64)
    )
    channels = Counter(posts[i].channel for i in members if posts[i].channel)
    languages = Counter(posts[i].language for i in members if posts[i].language)
    return {
        "id": gid,
        "kind": kind,
        "size": len(members),
        "first_seen": min(times) if times else None,
        "last_seen": max(times) if times else None,
        "channels": tuple(sorted(channels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "languages": tuple(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        "mean_risk": float(risks.mean()),
        "max_risk": float(risks.max()),
        "flagged": sum(1 for i in members if posts[i].flagged),
    }


def assemble(
    batches: Iterable[BatchResult],
    *,
    config: PipelineConfig,
    index: CampaignIndex | None = None,
) -> PipelineResult:
    """The central stage: campaigns and networks over all batch results (input order).

    With ``index`` (a :class:`~opennrm.monitoring.index.CampaignIndex`), the posts are also
    added to it and ``result.update`` says how they link to the posts it already held.
    """
    # the batches first (in run_pipeline that runs the per-post stage and the caller's
    # progress callback), so that the collector is paused only for the central stage
    done = list(batches)
    with _collector_paused():
        return _assemble(done, config=config, index=index)


def _assemble(
    batches: Iterable[BatchResult],
    *,
    config: PipelineConfig,
    index: CampaignIndex | None,
) -> PipelineResult:
    posts: list[PostResult] = []
    sigs: list[np.ndarray] = []
    valid: list[np.ndarray] = []
    snippets: list[str] = []
    kept: list[BatchResult] = []
    for batch in batches:
        if index is not None:
            kept.append(batch)
        posts.extend(batch.posts)
        sigs.append(batch.signatures)
        valid.append(batch.has_text)
        snippets.extend(batch.snippets)
    cfg = config.cluster
    if posts:
        signatures = np.concatenate(sigs)
        has_text = np.concatenate(valid)
    else:
        signatures = np.zeros((0, cfg.num_perm), dtype=np.uint32)
        has_text = np.zeros(0, dtype=bool)
    keys = [p.post_id for p in posts]
    cluster_ids = cluster_signatures(keys, signatures, has_text, cfg)
    network_ids = contact_networks(
        [p.contacts for p in posts], keys, max_contact_posts=cfg.max_contact_posts
    )
    all_risks = np.array([p.risk for p in posts], dtype=np.float64)
    by_cluster: dict[str, list[int]] = defaultdict(list)
    by_network: dict[str, list[int]] = defaultdict(list)
    for i, (cid, nid) in enumerate(zip(cluster_ids, network_ids, strict=True)):
        by_cluster[cid].append(i)
        if nid is not None:
            by_network[nid].append(i)
    campaigns = []
    for cid, members in sorted(by_cluster.items()):
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda i: keys[i])[: cfg.template_members]
        template = build_template([snippets[i] for i in ordered], support=cfg.template_support)
        linked = tuple(sorted({n for i in members if (n := network_ids[i]) is not None}))
        campaigns.append(
            Group(
                **_summarise("campaign", cid, members, posts, all_risks),
                template=template,
                linked=linked,
            )
        )
    networks = []
    for nid, members in sorted(by_network.items()):
        counts = Counter(c for i in members for c in posts[i].contacts)
        shared = tuple(sorted(c for c, n in counts.items() if n >= 2))
        linked = tuple(
            sorted({cluster_ids[i] for i in members if len(by_cluster[cluster_ids[i]]) > 1})
        )
        networks.append(
            Group(
                **_summarise("network", nid, members, posts, all_risks),
                contacts=shared,
                linked=linked,
            )
        )
    campaigns.sort(key=lambda g: (-g.size, g.id))
    networks.sort(key=lambda g: (-g.size, g.id))
    return PipelineResult(
        posts=tuple(posts),
        cluster_ids=tuple(cluster_ids),
        network_ids=tuple(network_ids),
        campaigns=tuple(campaigns),
        networks=tuple(networks),
        flags_version=_flags(config.flags_path).version,
        update=index.add(kept) if index is not None else None,
    )


def run_pipeline(
    posts: Iterable[Post],
    *,
    model: RiskModel | None = None,
    config: PipelineConfig = PipelineConfig(),
    progress: Callable[[int], None] | None = None,
    index: CampaignIndex | None = None,
) -> PipelineResult:
    """Run the whole pipeline in this process, ``config.batch_size`` posts at a time.

    ``progress`` is called with the number of posts in each finished batch. With
    ``index``, the posts are also added to that campaign index (see :func:`assemble`).
    """

    def stage() -> Iterator[BatchResult]:
        for batch in batched(posts, config.batch_size):
            result = process_batch(batch, model=model, config=config)
            if progress is not None:
                progress(len(batch))
            yield result

    return assemble(stage(), config=config, index=index)
