"""Campaigns and contact networks that grow across imports: :class:`CampaignIndex`.

:func:`~opennrm.monitoring.pipeline.run_pipeline` links the posts of *one* input. An agency
imports posts again and again; each import must be linked to what is already known: a
post that repeats last week's template joins last week's campaign, a phone number seen in
March links the new post to March's network. :class:`CampaignIndex` is that state, kept
by the caller between imports (``to_bytes`` / ``from_bytes``; no pickle):

* it stores per post the MinHash signature, the contacts and the first ``template_chars``
  characters of the normalised text (for templates; with ``template_chars=0`` none, and
  :meth:`CampaignIndex.template` takes the texts from the caller, who may have them
  stored already: about 0.95 KB per post in memory instead of 2.1 KB for typical posts,
  measured with ``tracemalloc`` over 200,000 posts), plus the LSH buckets and two union-find forests (campaigns, networks);
* :meth:`CampaignIndex.add` takes the per-post results of a batch
  (:class:`~opennrm.monitoring.pipeline.BatchResult`, as :func:`process_batch` makes them,
  on this process or on Dask workers) and returns an :class:`IndexUpdate`: each new post's
  campaign and network, the campaigns and networks that grew, and the ids that changed
  because two known groups were joined.

Example (what an import job does; ``load``/``save`` are the caller's storage)::

    from opennrm.monitoring import CampaignIndex, PipelineConfig, batched, process_batch

    config = PipelineConfig()
    blob = load()                                   # bytes or None
    index = CampaignIndex.from_bytes(blob) if blob else CampaignIndex(config.cluster)
    batches = [process_batch(b, model=model, config=config)
               for b in batched(posts, config.batch_size)]
    update = index.add(batches)
    for a in update.assignments:                    # one per new post, in input order
        a.post_id, a.campaign_id, a.network_id      # None: alone so far
    for old, new in update.renamed_campaigns.items():
        ...                                         # two known campaigns became one
    index.template(campaign_id)                     # "работа {…} от 0 в день пишите {…}"
    save(index.to_bytes())

or in one call, with the pipeline's per-import result as well::

    result = run_pipeline(posts, model=model, config=config, index=index)
    result.update                                    # the IndexUpdate

**Rules** (the same as :func:`~opennrm.monitoring.cluster.cluster_signatures` and
:func:`~opennrm.monitoring.cluster.contact_networks`): posts whose signatures agree on all
rows of at least one LSH band are candidates; a candidate pair is linked when the estimated
Jaccard similarity is at least ``threshold``; equal signatures are one node; campaigns are
the connected components, named by their smallest post id. Posts sharing a contact are
linked unless the contact is on more than ``max_contact_posts`` posts (then it links none,
as in the batch function; crossing that limit rebuilds the networks). A post id already in
the index is not added again (an import repeated is harmless); its current assignment is
returned.

**Equal to clustering everything at once.** Adding posts in any number of batches gives
the same campaigns and networks as :func:`cluster_signatures` / :func:`contact_networks`
over all posts at once, and as one :meth:`add` of all of them, as long as no LSH bucket
holds more than ``bucket_anchors`` (64) distinct signatures. Beyond that, a bucket keeps
its first 64 signatures as anchors and later ones are compared with those only (the batch
function links a star on the smallest key instead), so in such giant buckets the result
can depend on the order of the adds (never on the order within one add, which is sorted
by post id first).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from opennrm.monitoring.cluster import ClusterConfig, _band_keys, build_template, lsh_params

if TYPE_CHECKING:
    from opennrm.monitoring.pipeline import BatchResult

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one post belongs after an add (``None``: alone so far)."""

    post_id: str
    campaign_id: str | None
    network_id: str | None


@dataclass(frozen=True)
class IndexUpdate:
    """What one :meth:`CampaignIndex.add` changed."""

    assignments: tuple[Assignment, ...]  # the posts given, in the order given
    added: int  # posts that were new to the index
    campaigns: tuple[str, ...]  # campaign ids (after the add) that gained posts
    networks: tuple[str, ...]  # network ids (after the add) that gained posts
    renamed_campaigns: dict[str, str] = field(default_factory=dict)  # old id -> new id
    renamed_networks: dict[str, str] = field(default_factory=dict)
    # posts known before the add, alone until now, that the add put into a campaign (a
    # store that links posts to campaigns must link these too, besides ``assignments``)
    joined_campaigns: tuple[str, ...] = ()
    # the same for networks
    joined_networks: tuple[str, ...] = ()
    # when a contact crossed ``max_contact_posts`` the networks were rebuilt and may have
    # split: every post known before whose network id changed, with its new id (``None``:
    # alone now); ``renamed_networks`` then only tells which ids were continued by which
    networks_rebuilt: bool = False
    moved_networks: dict[str, str | None] = field(default_factory=dict)


def _json_bytes(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _shape(meta: dict[str, Any]) -> dict[str, Any]:
    """What chunks of one index must share (not their start, nor the texts they kept)."""
    return {k: v for k, v in meta.items() if k not in ("start", "template_chars")}


def _json_read(array: np.ndarray) -> Any:
    if array.dtype.kind == "U":  # written before the bytes form: a string array
        return json.loads(str(array))
    return json.loads(array.tobytes().decode("utf-8"))


class _Forest:
    """Union-find over post positions; each root knows its smallest key and its members."""

    __slots__ = ("members", "parent", "smallest")

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.smallest: list[str] = []
        self.members: dict[int, list[int]] = {}

    def extend(self, keys: Sequence[str]) -> None:
        start = len(self.parent)
        self.parent.extend(range(start, start + len(keys)))
        self.smallest.extend(keys)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int, touched: dict[int, str | None], n_old: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        for r in (ra, rb):
            if r not in touched:
                touched[r] = self.group_id(r) if r < n_old else None
        ma = self.members.get(ra, [ra])
        mb = self.members.get(rb, [rb])
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        self.parent[rb] = ra
        ma.extend(mb)
        self.members[ra] = ma
        self.members.pop(rb, None)
        self.smallest[ra] = min(self.smallest[ra], self.smallest[rb])
        return ra

    def group_id(self, root: int) -> str | None:
        """The group's id (smallest key), or ``None`` for a post alone."""
        return self.smallest[root] if root in self.members else None


class CampaignIndex:
    """Campaign and network state that grows across imports (see the module doc)."""

    bucket_anchors = 64

    def __init__(self, config: ClusterConfig | None = None, *, template_chars: int = 500) -> None:
        config = config or ClusterConfig()
        self.config = config
        self.template_chars = template_chars
        self._bands, self._rows = lsh_params(config.threshold, config.num_perm)
        self._keys: list[str] = []
        self._pos: dict[str, int] = {}
        self._sig = np.zeros((0, config.num_perm), dtype=np.uint32)
        self._valid: list[bool] = []
        self._snippets: list[str] = []
        self._contacts: list[tuple[str, ...]] = []
        # hash of a whole signature -> the first post with it (equality checked on use)
        self._full: dict[int, int] = {}
        # LSH buckets, one pair of arrays per band: band keys sorted, with the post of each
        # anchor beside it (12 bytes per anchor; dicts of lists took about 150)
        self._bucket_keys: list[np.ndarray] = [
            np.zeros(0, dtype=np.uint64) for _ in range(self._bands)
        ]
        self._bucket_posts: list[np.ndarray] = [
            np.zeros(0, dtype=np.int32) for _ in range(self._bands)
        ]
        self._owners: dict[str, list[int]] = {}
        self._campaigns = _Forest()
        self._networks = _Forest()

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._pos

    def campaign_of(self, post_id: str) -> str | None:
        """Campaign id of a known post (``None``: in no campaign of two or more)."""
        return self._campaigns.group_id(self._campaigns.find(self._pos[post_id]))

    def network_of(self, post_id: str) -> str | None:
        """Network id of a known post (``None``: shares no contact with another post)."""
        return self._networks.group_id(self._networks.find(self._pos[post_id]))

    def campaign_ids(self) -> list[str]:
        """Every campaign (two or more posts), by id."""
        return sorted(self._campaigns.smallest[r] for r in self._campaigns.members)

    def network_ids(self) -> list[str]:
        return sorted(self._networks.smallest[r] for r in self._networks.members)

    def members(self, group_id: str, *, kind: str = "campaign") -> list[str]:
        """Post ids of a campaign (or ``kind="network"``), sorted; ``[]`` if unknown."""
        forest = self._campaigns if kind == "campaign" else self._networks
        pos = self._pos.get(group_id)
        if pos is None:
            return []
        root = forest.find(pos)
        if root not in forest.members or forest.smallest[root] != group_id:
            return []
        return sorted(self._keys[i] for i in forest.members[root])

    def template_members(self, campaign_id: str) -> list[str]:
        """The post ids whose texts make the campaign's template (its first
        ``template_members`` members in key order)."""
        return self.members(campaign_id)[: self.config.template_members]

    def template(self, campaign_id: str, texts: Mapping[str, str] | None = None) -> str:
        """The campaign's template (as :func:`~opennrm.monitoring.cluster.build_template`).

        ``texts`` maps the ids of :meth:`template_members` to their *normalised* texts
        (:func:`~opennrm.monitoring.normalize.normalize`); it is needed when the index keeps
        no texts (``template_chars=0``) and otherwise replaces the kept ones.
        """
        ids = self.template_members(campaign_id)
        if texts is None:
            if not self.template_chars:
                raise ValueError("this index keeps no texts: pass the members' texts")
            snippets = [self._snippets[self._pos[k]] for k in ids]
        else:
            limit = self.template_chars or None
            snippets = [texts[k][:limit] for k in ids]
        return build_template(snippets, support=self.config.template_support)

    def shared_contacts(self, network_id: str) -> list[str]:
        """Contacts that link the network's posts (on two or more of them)."""
        counts: dict[str, int] = {}
        for k in self.members(network_id, kind="network"):
            for c in self._contacts[self._pos[k]]:
                counts[c] = counts.get(c, 0) + 1
        limit = self.config.max_contact_posts  # a contact on more posts links none
        return sorted(c for c, n in counts.items() if n >= 2 and len(self._owners[c]) <= limit)

    def contact_posts(self, contact: str) -> int:
        """On how many posts a contact is (it links them while that is at most
        ``max_contact_posts``)."""
        return len(self._owners.get(contact, ()))

    def posts_with_contact(self, contact: str) -> list[str]:
        """Post ids that carry a contact (``"phone:+380…"``), sorted."""
        return sorted(self._keys[i] for i in self._owners.get(contact, ()))

    # ------------------------------------------------------------------ adding

    def add(self, batches: BatchResult | Iterable[BatchResult]) -> IndexUpdate:
        """Add the posts of one or more batch results; see :class:`IndexUpdate`."""
        from opennrm.monitoring.pipeline import BatchResult

        parts = [batches] if isinstance(batches, BatchResult) else list(batches)
        keys = [p.post_id for b in parts for p in b.posts]
        sig = (
            np.concatenate([b.signatures for b in parts])
            if parts
            else np.zeros((0, self.config.num_perm), dtype=np.uint32)
        )
        valid = np.concatenate([b.has_text for b in parts]) if parts else np.zeros(0, bool)
        snippets = [s for b in parts for s in b.snippets] if self.template_chars else None
        contacts = [p.contacts for b in parts for p in b.posts]
        return self.add_signatures(keys, sig, valid, snippets=snippets, contacts=contacts)

    def add_signatures(
        self,
        keys: Sequence[str],
        signatures: np.ndarray,
        valid: np.ndarray | None = None,
        *,
        snippets: Sequence[str] | None = None,
        contacts: Sequence[Sequence[str]] | None = None,
    ) -> IndexUpdate:
        """Add posts given as MinHash signatures (the lower-level form of :meth:`add`)."""
        n = len(keys)
        if signatures.shape != (n, self.config.num_perm):
            raise ValueError("signatures must be (len(keys), num_perm)")
        if valid is None:
            valid = np.ones(n, dtype=bool)
        keep = self.template_chars
        contacts = list(contacts) if contacts is not None else [()] * n
        # new posts only, each once, in key order (the add does not depend on input order)
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            if k not in self._pos:
                first.setdefault(k, i)
        order = sorted(first.values(), key=lambda i: keys[i])
        n_old = len(self._keys)
        new_keys = [keys[i] for i in order]
        self._keys.extend(new_keys)
        for offset, k in enumerate(new_keys):
            self._pos[k] = n_old + offset
        idx = np.array(order, dtype=np.int64)
        new_sig = np.ascontiguousarray(signatures[idx].astype(np.uint32, copy=False))
        self._sig = np.concatenate([self._sig, new_sig]) if n_old else new_sig
        self._valid.extend(bool(v) for v in valid[idx])
        if keep:
            if snippets is None:
                self._snippets.extend("" for _ in order)
            else:
                self._snippets.extend(snippets[i][:keep] for i in order)
        self._contacts.extend(tuple(sorted(set(contacts[i]))) for i in order)
        self._campaigns.extend(new_keys)
        self._networks.extend(new_keys)
        touched_c: dict[int, str | None] = {}
        touched_n: dict[int, str | None] = {}
        grown_c: set[int] = set()
        grown_n: set[int] = set()
        self._link_campaigns(n_old, touched_c, grown_c)
        rebuilt = self._link_networks(n_old, touched_n, grown_n)
        renamed_c = self._renamed(self._campaigns, touched_c)
        joined_c = self._joined(touched_c, n_old)
        moved_n: dict[str, str | None] = {}
        if rebuilt is None:
            renamed_n = self._renamed(self._networks, touched_n)
            joined_n = self._joined(touched_n, n_old)
        else:
            renamed_n, moved_n = rebuilt
            joined_n = ()
            grown_n = set(range(n_old, len(self._keys)))
            grown_n.update(self._pos[k] for k, v in moved_n.items() if v is not None)
        assignments = []
        for k in keys:
            pos = self._pos[k]
            assignments.append(
                Assignment(
                    k,
                    self._campaigns.group_id(self._campaigns.find(pos)),
                    self._networks.group_id(self._networks.find(pos)),
                )
            )
        return IndexUpdate(
            assignments=tuple(assignments),
            added=len(new_keys),
            campaigns=self._grown(self._campaigns, grown_c),
            networks=self._grown(self._networks, grown_n),
            renamed_campaigns=renamed_c,
            joined_campaigns=joined_c,
            renamed_networks=renamed_n,
            joined_networks=joined_n,
            networks_rebuilt=rebuilt is not None,
            moved_networks=moved_n,
        )

    def _joined(self, touched: dict[int, str | None], n_old: int) -> tuple[str, ...]:
        """Posts known before the add, alone until it, that it put into a group."""
        return tuple(
            sorted(self._keys[r] for r, old in touched.items() if old is None and r < n_old)
        )

    @staticmethod
    def _renamed(forest: _Forest, touched: dict[int, str | None]) -> dict[str, str]:
        out = {}
        for root, old in touched.items():
            if old is not None:
                new = forest.group_id(forest.find(root))
                if new is not None and new != old:
                    out[old] = new
        return out

    @staticmethod
    def _grown(forest: _Forest, positions: set[int]) -> tuple[str, ...]:
        ids = {forest.group_id(forest.find(p)) for p in positions}
        return tuple(sorted(i for i in ids if i is not None))

    def _link_campaigns(self, n_old: int, touched: dict[int, str | None], grown: set[int]) -> None:
        n = len(self._keys)
        if n == n_old:
            return
        rows = self._rows
        new_sig = self._sig[n_old:]
        keys_arr = np.stack(
            [_band_keys(new_sig[:, b * rows : (b + 1) * rows]) for b in range(self._bands)],
            axis=1,
        ).astype(np.uint64, copy=False)
        # anchors of earlier adds: one search per band for the whole batch
        spans = []
        for b in range(self._bands):
            sorted_keys = self._bucket_keys[b]
            lo = np.searchsorted(sorted_keys, keys_arr[:, b], side="left")
            hi = np.searchsorted(sorted_keys, keys_arr[:, b], side="right")
            spans.append((lo.tolist(), hi.tolist()))
        band_keys = keys_arr.tolist()
        # anchors added by this add (posts earlier in it), merged into the arrays at the end
        recent: list[dict[int, list[int]]] = [{} for _ in range(self._bands)]
        threshold = self.config.threshold
        cap = self.bucket_anchors
        forest = self._campaigns
        for offset in range(n - n_old):
            pos = n_old + offset
            if not self._valid[pos]:
                continue
            sig = self._sig[pos]
            whole = hash(sig.tobytes())
            same = self._full.get(whole)
            if same is not None and np.array_equal(self._sig[same], sig):
                forest.union(pos, same, touched, n_old)
                grown.add(pos)
                continue
            if same is None:
                self._full[whole] = pos
            candidates: set[int] = set()
            for b, key in enumerate(band_keys[offset]):
                lo, hi = spans[b][0][offset], spans[b][1][offset]
                if hi > lo:
                    candidates.update(self._bucket_posts[b][lo:hi].tolist())
                mine = recent[b].get(key)
                if mine is None:
                    if hi - lo < cap:
                        recent[b][key] = [pos]
                else:
                    candidates.update(mine)
                    if hi - lo + len(mine) < cap:
                        mine.append(pos)
            if not candidates:
                continue
            cand = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
            sims = (self._sig[cand] == sig).mean(axis=1)
            for other in cand[sims >= threshold].tolist():
                forest.union(pos, other, touched, n_old)
                grown.add(pos)
        for b, added in enumerate(recent):
            if not added:
                continue
            new_keys = np.fromiter(
                (k for k, posts in added.items() for _ in posts), dtype=np.uint64
            )
            new_posts = np.fromiter((p for posts in added.values() for p in posts), dtype=np.int32)
            at = np.searchsorted(self._bucket_keys[b], new_keys, side="right")
            self._bucket_keys[b] = np.insert(self._bucket_keys[b], at, new_keys)
            self._bucket_posts[b] = np.insert(self._bucket_posts[b], at, new_posts)

    def _link_networks(
        self, n_old: int, touched: dict[int, str | None], grown: set[int]
    ) -> tuple[dict[str, str], dict[str, str | None]] | None:
        """Union new posts through shared contacts; rebuild when a contact crosses the cap.

        Returns, when it rebuilt, the renamed networks and the earlier posts whose network
        changed (else ``None``).
        """
        limit = self.config.max_contact_posts
        crossed = False
        pending: list[tuple[int, int]] = []
        for pos in range(n_old, len(self._keys)):
            for contact in self._contacts[pos]:
                owners = self._owners.setdefault(contact, [])
                owners.append(pos)
                if len(owners) == limit + 1:
                    crossed = True
                elif 2 <= len(owners) <= limit:
                    pending.append((owners[0], pos))
        if not crossed:
            for a, b in pending:
                self._networks.union(a, b, touched, n_old)
                grown.add(b)
            return None
        before = [self._networks.group_id(self._networks.find(p)) for p in range(n_old)]
        self._networks = _Forest()
        self._networks.extend(self._keys)
        scratch: dict[int, str | None] = {}
        for owners in self._owners.values():
            if 2 <= len(owners) <= limit:
                for other in owners[1:]:
                    self._networks.union(owners[0], other, scratch, 0)
        renamed: dict[str, str] = {}
        moved: dict[str, str | None] = {}
        for p, old in enumerate(before):
            new = self._networks.group_id(self._networks.find(p))
            if old is not None and new is not None and new != old:
                renamed[old] = new
            if new != old:
                moved[self._keys[p]] = new
        return renamed, moved

    # ------------------------------------------------------------------ storage

    def to_bytes(self, start: int = 0) -> bytes:
        """The whole state as a compressed ``.npz`` (arrays and JSON; loads without pickle).

        With ``start``, only the posts added from that position on (``len(index)`` before
        an add): a *delta* whose size is that of the add, not of the index. A store that
        appends one delta per add and reads them back with :meth:`from_chunks` never
        rewrites what it already holds.
        """
        meta = {
            "version": FORMAT_VERSION,
            "config": asdict(self.config),
            "template_chars": self.template_chars,
            "bucket_anchors": self.bucket_anchors,
            "start": start,
        }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=np.array(json.dumps(meta)),
            # JSON as UTF-8 bytes: a numpy string array would hold 4 bytes per character
            keys=_json_bytes(self._keys[start:]),
            snippets=_json_bytes(self._snippets[start:] if self.template_chars else []),
            contacts=_json_bytes(self._contacts[start:]),
            signatures=self._sig[start:],
            valid=np.array(self._valid[start:], dtype=bool),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, template_chars: int | None = None) -> CampaignIndex:
        """The state written by :meth:`to_bytes` (the links are rebuilt from the posts)."""
        return cls.from_chunks([data], template_chars=template_chars)

    @classmethod
    def from_chunks(
        cls, chunks: Iterable[bytes], *, template_chars: int | None = None
    ) -> CampaignIndex:
        """The state written as a whole and/or deltas (:meth:`to_bytes` with ``start``), in
        the order written: each chunk must start where the ones before it end, and all
        share one clustering configuration. The result equals the index that wrote them.

        ``template_chars`` (default: the first chunk's) says how many characters of each
        text to keep; ``0`` reads no texts at all (posts of chunks written without texts
        have empty ones).
        """
        keys: list[str] = []
        snippets: list[str] = []
        contacts: list[tuple[str, ...]] = []
        sigs: list[np.ndarray] = []
        valids: list[np.ndarray] = []
        first: dict[str, Any] | None = None
        for data in chunks:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                meta: dict[str, Any] = json.loads(str(npz["meta"]))
                if meta.get("version") != FORMAT_VERSION:
                    raise ValueError(f"unknown campaign index format {meta.get('version')!r}")
                if meta.get("start", 0) != len(keys):
                    raise ValueError("campaign index chunks are missing or out of order")
                if first is None:
                    first = meta
                elif _shape(meta) != _shape(first):
                    raise ValueError("campaign index chunks of different configurations")
                keep = first["template_chars"] if template_chars is None else template_chars
                added = _json_read(npz["keys"])
                keys.extend(added)
                if keep:
                    texts = _json_read(npz["snippets"]) if meta["template_chars"] else []
                    if len(texts) != len(added):
                        texts = [""] * len(added)
                    snippets.extend(t[:keep] for t in texts)
                contacts.extend(tuple(c) for c in _json_read(npz["contacts"]))
                sigs.append(npz["signatures"])
                valids.append(npz["valid"])
        if first is None:
            return cls()
        keep = first["template_chars"] if template_chars is None else template_chars
        index = cls(ClusterConfig(**first["config"]), template_chars=keep)
        index.bucket_anchors = first["bucket_anchors"]
        num_perm = index.config.num_perm
        sig = np.concatenate([s.reshape(-1, num_perm) for s in sigs])
        # replaying in the stored (insertion) order rebuilds the same buckets and links
        index._replay(keys, sig, np.concatenate(valids), snippets, contacts)
        return index

    def _replay(
        self,
        keys: list[str],
        sig: np.ndarray,
        valid: np.ndarray,
        snippets: list[str],
        contacts: list[tuple[str, ...]],
    ) -> None:
        self._keys = list(keys)
        self._pos = {k: i for i, k in enumerate(keys)}
        self._sig = np.ascontiguousarray(sig, dtype=np.uint32).reshape(
            len(keys), self.config.num_perm
        )
        self._valid = [bool(v) for v in valid]
        self._snippets = snippets
        self._contacts = contacts
        self._campaigns.extend(self._keys)
        self._networks.extend(self._keys)
        self._link_campaigns(0, {}, set())
        self._link_networks(0, {}, set())


def rename_chunk(data: bytes, rename: Callable[[list[str]], list[str]]) -> bytes:
    """A stored chunk (:meth:`CampaignIndex.to_bytes`) with its post ids replaced by
    ``rename(ids)`` (one new id per id, in order), everything else as it was.

    The links are rebuilt from positions and signatures when the chunks are read, so an
    index read from renamed chunks has the same campaigns and networks; their ids (the
    smallest member id) are those of the new ids."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    keys = _json_read(arrays["keys"])
    renamed = rename(list(keys))
    if len(renamed) != len(keys):
        raise ValueError("rename must return one id per id")
    arrays["keys"] = _json_bytes(renamed)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
