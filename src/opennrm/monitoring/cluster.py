"""Near-duplicate campaigns (MinHash-LSH) and contact networks.

**Near-duplicates.** Each post's *normalised* text is first reduced to its words
(``mode="masked"``, the default): phones, e-mails, URLs and handles become one placeholder
word each (``{PHONE}``…), digit runs become ``0``, remaining Greek and small-capital
look-alikes are folded to Cyrillic, and punctuation and emoji are dropped, so a campaign
that only changes the contact, the price or the decoration stays one campaign. Texts
with fewer than ``min_tokens`` words (``"спасибо"``, ``"хахаха"``, a number) never join a
campaign: in ordinary chat they are the near-duplicates of unrelated people.
(``mode="chars"`` is the earlier behaviour: the normalised text with digit runs masked,
punctuation kept, no minimum.) The result is cut into overlapping character shingles of
``shingle_size`` code points.
Shingles are hashed with a polynomial hash over code points in numpy (stable across
processes, unlike Python's ``hash``), and the MinHash signature applies ``num_perm``
multiply-shift universal hash functions ``(a * h + b) >> 32`` (seeded) to all shingles of
a batch at once: no per-shingle Python call. Signatures are banded exactly as
``datasketch.MinHashLSH`` bands them, with its optimal ``(bands, rows)`` for the
threshold (``lsh_backend="numpy"``, the default, groups band keys with ``np.unique``;
``"datasketch"`` inserts ``LeanMinHash`` objects into a real ``MinHashLSH`` and gives the
same clusters, more slowly; in the numpy backend a bucket of more than 64 distinct
signatures is linked as a star on its first member, which bounds the pairs); every
candidate pair that shares a band is *verified* by the estimated Jaccard similarity
(share of equal signature positions) ``>= threshold``; campaigns are the connected
components of verified pairs. Everything is done in a canonical order (sorted
post keys), so the result does not depend on input order, and is seeded, so it is
deterministic. Cluster ids are the smallest key in the cluster (singletons: their own key).

**Templates.** A campaign is summarised by the tokens of its representative post that at
least ``template_support`` of the members share; other tokens become ``{…}``, phones,
e-mails and URLs ``{PHONE}``, ``{EMAIL}``, ``{URL}``.

**Networks.** Posts sharing a contact (phone, e-mail, handle, URL) are linked; networks
are the connected components with at least two posts. Contacts shared by more than
``max_contact_posts`` posts (a public site, a masked placeholder) do not link posts.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_DIGITS_RE = re.compile(r"\d+")
_PAD = "\x00"
_P = np.uint64(0x100000001B3)  # FNV prime, as the polynomial base
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class ClusterConfig:
    """Parameters of near-duplicate clustering (defaults tuned on Telegram posts)."""

    num_perm: int = 64
    shingle_size: int = 5
    threshold: float = 0.5
    seed: int = 1
    mode: str = "masked"  # or "chars" (digit runs masked only; the earlier behaviour)
    min_tokens: int = 6  # texts with fewer words never join a campaign (mode "masked")
    template_support: float = 0.6
    template_members: int = 50
    max_contact_posts: int = 1000
    windows_per_chunk: int = 10_000  # (windows x num_perm) uint64 buffer ~5 MiB
    lsh_backend: str = "numpy"  # or "datasketch": MinHashLSH over LeanMinHash objects


_DEFAULT = ClusterConfig()


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


@lru_cache(maxsize=8)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` as ``datasketch.MinHashLSH`` picks them (equal FP/FN weights)."""
    from datasketch.lsh import _optimal_param  # type: ignore[import-untyped]

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


# look-alikes that fold_lookalikes leaves alone (a whole word of them, or Greek): only
# for shingling, so the scores do not change
_SHINGLE_FOLD = str.maketrans(
    {
        "σ": "о", "ο": "о", "α": "а", "τ": "т", "ρ": "р", "ε": "е", "κ": "к", "μ": "м",
        "γ": "у", "λ": "л", "ι": "і", "ᴀ": "а", "ʙ": "в", "ᴄ": "с", "ᴅ": "д", "ᴇ": "е",
        "ᴋ": "к", "ᴍ": "м", "ʜ": "н", "ᴏ": "о", "ᴘ": "р", "ᴩ": "р", "ᴛ": "т", "ʏ": "у",
        "ᴨ": "п", "ᴦ": "г", "ᴧ": "л", "ᴫ": "л", "ё": "е",
    }
)  # fmt: skip
_WORD_RE = re.compile(r"\{[A-Z]+\}|[^\W\d_]+|0")
_FOLD_RE = re.compile("[" + "".join(map(chr, _SHINGLE_FOLD)) + "]")
_NUMBER_RE = re.compile(r"\d+(?:[^\w{]*\d+)*")  # "5 000", "12.03.2024": one number


def masked_words(normalized: str) -> list[str]:
    """Words of a normalised text as they are shingled in ``mode="masked"``.

    Contacts become ``{PHONE}``, ``{EMAIL}``, ``{URL}``, ``{HANDLE}``; numbers ``0`` (digit
    runs separated only by spaces or punctuation are one number); punctuation, emoji and
    other symbols are dropped.
    """
    text = _mask(normalized)
    if _FOLD_RE.search(text) is not None:  # one text in ten: translate is the slow part
        text = text.translate(_SHINGLE_FOLD)
    text = _NUMBER_RE.sub(" 0 ", text)
    words: list[str] = _WORD_RE.findall(text)
    return words


def shingle_text(normalized: str, config: ClusterConfig | None = None) -> str:
    """The text that is shingled (``""`` when it must never join a campaign).

    ``mode="masked"``: :func:`masked_words` joined by spaces, or ``""`` below
    ``min_tokens`` words (placeholders count, digit runs do not). ``mode="chars"``: the
    normalised text with digit runs masked to ``0``.
    """
    config = config or _DEFAULT
    if config.mode == "chars":
        return _DIGITS_RE.sub("0", normalized)
    if config.mode != "masked":
        raise ValueError(f"unknown mode {config.mode!r}")
    words = masked_words(normalized)
    if len(words) - words.count("0") < config.min_tokens:
        return ""
    return " ".join(words)


def minhash_signatures(
    normalized_texts: Sequence[str],
    config: ClusterConfig = ClusterConfig(),
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures ``(n, num_perm)`` uint32 and a mask of texts with content.

    Texts shorter than a shingle are padded to one shingle; empty texts get an all-ones
    signature and ``False`` in the mask (they are never clustered).
    """
    k = config.shingle_size
    n = len(normalized_texts)
    sig = np.full((n, config.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    valid = np.zeros(n, dtype=bool)
    if n == 0:
        return sig, valid
    a, b = _permutations(config.num_perm, config.seed)
    texts = [shingle_text(t, config) for t in normalized_texts]
    valid = np.array([bool(t) for t in texts])
    texts = [t + _PAD * (k - len(t)) if 0 < len(t) < k else t for t in texts]
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    counts = np.where(lengths >= k, lengths - k + 1, 0)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    powers = [_P ** np.uint64(k - 1 - j) for j in range(k)]
    shift = np.uint64(32)
    # process documents in chunks so the (windows x num_perm) matrix stays small
    doc = 0
    while doc < n:
        total = 0
        end = doc
        while end < n and (end == doc or total + counts[end] <= config.windows_per_chunk):
            total += int(counts[end])
            end += 1
        chunk_counts = counts[doc:end]
        if total:
            starts = np.repeat(offsets[doc:end], chunk_counts)
            within = np.arange(total, dtype=np.int64) - np.repeat(
                np.cumsum(chunk_counts) - chunk_counts, chunk_counts
            )
            pos = starts + within
            with np.errstate(over="ignore"):
                h = np.zeros(total, dtype=np.uint64)
                for j in range(k):
                    h += codes[pos + j] * powers[j]
                # a * h + b in place, in one (num_perm x windows) buffer: each permutation's
                # windows are contiguous, so the per-document minimum below runs along rows
                # (several times faster than reducing down the columns of the transpose)
                hashed = np.multiply(a[:, None], h[None, :])
                hashed += b[:, None]
            nonempty = chunk_counts > 0
            bounds = (np.cumsum(chunk_counts) - chunk_counts)[nonempty]
            # ">> 32" is monotone, so min((a*h+b) >> 32) == min(a*h+b) >> 32: shift only
            # the minima, then narrow to uint32
            mins = np.minimum.reduceat(hashed, bounds, axis=1)
            mins >>= shift
            sig[doc:end][nonempty] = mins.T.astype(np.uint32)
        doc = end
    return sig, valid


@lru_cache(maxsize=128)
def _triu(m: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(m, k=1)
    return i, j


def _pairs_in_groups(inverse: np.ndarray, cap: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of indexes sharing a group id; groups above ``cap`` become a star on the first."""
    order = np.argsort(inverse, kind="stable")
    sorted_ids = inverse[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(order)])))
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    pairs = starts[sizes == 2]  # the common case, vectorised
    if len(pairs):
        left.append(order[pairs])
        right.append(order[pairs + 1])
    for start, m in zip(starts[sizes > 2].tolist(), sizes[sizes > 2].tolist(), strict=True):
        members = order[start : start + m]
        if m <= cap:
            i, j = _triu(m)
            left.append(members[i])
            right.append(members[j])
        else:
            left.append(np.full(m - 1, members[0]))
            right.append(members[1:])
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(left), np.concatenate(right)


def _band_keys(block: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of a band (collisions only add candidates to verify)."""
    key = np.zeros(block.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in range(block.shape[1]):
            key = (key ^ block[:, col].astype(np.uint64)) * _MIX
    return key


def _rows_as_ids(block: np.ndarray) -> np.ndarray:
    view = np.ascontiguousarray(block).view(
        np.dtype((np.void, block.dtype.itemsize * block.shape[1]))
    )
    _, inverse = np.unique(view.ravel(), return_inverse=True)
    return inverse.ravel()


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix  # type: ignore[import-untyped]
    from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    out: np.ndarray = labels
    return out


def _candidates(
    rsig: np.ndarray, config: ClusterConfig
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Candidate pairs: signatures that agree on every row of at least one band."""
    bands, rows = lsh_params(config.threshold, config.num_perm)
    cand_l: list[np.ndarray] = []
    cand_r: list[np.ndarray] = []
    if config.lsh_backend == "datasketch":
        from datasketch import LeanMinHash, MinHashLSH  # type: ignore[import-untyped]

        lsh = MinHashLSH(num_perm=config.num_perm, params=(bands, rows))
        hashes = [
            LeanMinHash(seed=config.seed, hashvalues=r.astype(np.uint64), scheme="legacy")
            for r in rsig
        ]
        for i, mh in enumerate(hashes):
            lsh.insert(i, mh, check_duplication=False)
        for i, mh in enumerate(hashes):
            others = np.array(sorted(j for j in lsh.query(mh) if j > i), dtype=np.int64)
            cand_l.append(np.full(len(others), i, dtype=np.int64))
            cand_r.append(others)
        return cand_l, cand_r
    if config.lsh_backend != "numpy":
        raise ValueError(f"unknown lsh_backend {config.lsh_backend!r}")
    for band in range(bands):
        bl, br = _pairs_in_groups(_band_keys(rsig[:, band * rows : (band + 1) * rows]))
        cand_l.append(bl)
        cand_r.append(br)
    return cand_l, cand_r


def cluster_signatures(
    keys: Sequence[str],
    signatures: np.ndarray,
    valid: np.ndarray | None = None,
    config: ClusterConfig = ClusterConfig(),
) -> list[str]:
    """Cluster id (smallest member key) of each post, in input order.

    ``keys`` identify posts (e.g. post ids); equal keys must mean equal texts.
    """
    n = len(keys)
    if n == 0:
        return []
    if valid is None:
        valid = np.ones(n, dtype=bool)
    canon = sorted(range(n), key=lambda i: keys[i])  # canonical order: input order is irrelevant
    canon_arr = np.array(canon, dtype=np.int64)
    sig = signatures[canon_arr]
    ok = valid[canon_arr]
    idx = np.flatnonzero(ok)
    # 1. exact duplicates of the whole signature are one node
    full_ids = _rows_as_ids(sig[idx])
    lefts, rights = [], []
    dl, dr = _pairs_in_groups(full_ids, cap=1)
    lefts.append(idx[dl])
    rights.append(idx[dr])
    _, first = np.unique(full_ids, return_index=True)
    reps = idx[np.sort(first)]
    # 2. LSH banding over distinct signatures, then verification
    rsig = sig[reps]
    cand_l, cand_r = _candidates(rsig, config)
    if cand_l:
        cl = np.concatenate(cand_l)
        cr = np.concatenate(cand_r)
        if len(cl):
            pair = np.unique(np.minimum(cl, cr) * len(reps) + np.maximum(cl, cr))
            cl, cr = pair // len(reps), pair % len(reps)
            sim = (rsig[cl] == rsig[cr]).mean(axis=1)
            keep = sim >= config.threshold
            lefts.append(reps[cl[keep]])
            rights.append(reps[cr[keep]])
    labels = _components(n, np.concatenate(lefts), np.concatenate(rights))
    # name each component by its smallest key (position 0 in canonical order is smallest)
    first_pos: dict[int, int] = {}
    for pos in range(n):
        first_pos.setdefault(int(labels[pos]), pos)
    out = [""] * n
    for pos, original in enumerate(canon):
        out[original] = keys[canon[first_pos[int(labels[pos])]]]
    return out


def near_duplicate_clusters(
    normalized_texts: Sequence[str],
    keys: Sequence[str] | None = None,
    config: ClusterConfig = ClusterConfig(),
) -> list[str]:
    """Convenience: signatures + clustering. ``keys`` default to the texts themselves."""
    sig, valid = minhash_signatures(normalized_texts, config)
    return cluster_signatures(
        list(keys) if keys is not None else list(normalized_texts), sig, valid, config
    )


# ----------------------------------------------------------------------------- templates

_LINK = r"(?:https?://|www\.|t\.me/)\S+"
_TLD = r"\.(?:com|ru|ua|pl|ro|org|net|me|io)\b"
_URL_RE = re.compile(rf"{_LINK}|\b[\w-]+{_TLD}\S*")
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_PHONE_RE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_HANDLE_RE = re.compile(r"(?<![\w.])@\w{3,}")
SLOT = "{…}"


_CONTACT_RE = re.compile(
    "|".join(
        f"(?P<{name}>{pattern.pattern})"
        for name, pattern in (
            ("EMAIL", _EMAIL_RE),
            ("URL", _URL_RE),
            ("PHONE", _PHONE_RE),
            ("HANDLE", _HANDLE_RE),
        )
    )
)


_TLD_RE = re.compile(_TLD)


@lru_cache(maxsize=4)
def _contact_re(has_at: bool, has_tld: bool) -> re.Pattern[str]:
    """:data:`_CONTACT_RE` without the alternatives that cannot match the text.

    E-mails and handles need an ``@``, bare domains a ``.tld``; without them those
    alternatives (which try every word start and backtrack) are left out. An alternative
    that cannot match anywhere never changes which one matches first, so the result is
    the same as with :data:`_CONTACT_RE`.
    """
    parts = [
        ("EMAIL", _EMAIL_RE.pattern if has_at else None),
        ("URL", _URL_RE.pattern if has_tld else _LINK),
        ("PHONE", _PHONE_RE.pattern),
        ("HANDLE", _HANDLE_RE.pattern if has_at else None),
    ]
    return re.compile("|".join(f"(?P<{name}>{p})" for name, p in parts if p is not None))


# every phone match contains this (the phone pattern less its optional "+"); led by a
# character class, so re skips to the digits instead of trying each position
_PHONE_GATE_RE = re.compile(r"\d[\d\s().-]{6,}\d")


def _mask(text: str) -> str:
    """Phones, e-mails, URLs and handles replaced by ``{PHONE}`` etc. (one regex pass)."""
    has_at = "@" in text
    has_tld = _TLD_RE.search(text) is not None
    if (
        not has_at
        and not has_tld
        and _PHONE_GATE_RE.search(text) is None
        and "http" not in text
        and "www." not in text
        and "t.me/" not in text
    ):
        # neither alternative left can match (a link starts with one of those three, a
        # phone holds the gate): what the substitution would give (most posts)
        return text
    pattern = _contact_re(has_at, has_tld)
    return pattern.sub(lambda m: f" {{{m.lastgroup}}} ", text)


def build_template(member_texts: Sequence[str], *, support: float = 0.6) -> str:
    """Template of a campaign from its members' normalised texts (see the module doc)."""
    if not member_texts:
        return ""
    tokenised = [_mask(t).split() for t in member_texts]
    sets = [set(t) for t in tokenised]
    lengths = sorted(len(t) for t in tokenised)
    median = lengths[len(lengths) // 2]
    rep = min(tokenised, key=lambda t: (abs(len(t) - median), " ".join(t)))
    needed = support * len(tokenised)
    # in how many members each token occurs (counted once per member, in C)
    members_with = Counter(itertools.chain.from_iterable(sets))
    out: list[str] = []
    for token in rep:
        shared = members_with[token]
        word = token if shared >= needed else SLOT
        if not (word == SLOT and out and out[-1] == SLOT):
            out.append(word)
    return " ".join(out)


# ----------------------------------------------------------------------------- networks


def contact_networks(
    contacts: Sequence[Sequence[Hashable]],
    keys: Sequence[str],
    *,
    max_contact_posts: int = 1000,
) -> list[str | None]:
    """Network id (smallest member key) of each post, or ``None`` when it shares no contact.

    ``contacts[i]`` are post ``i``'s normalised contact values (e.g. ``"phone:+380…"``).
    """
    n = len(keys)
    owners: dict[Hashable, list[int]] = {}
    for i, values in enumerate(contacts):
        for value in set(values):
            owners.setdefault(value, []).append(i)
    left: list[int] = []
    right: list[int] = []
    for posts in owners.values():
        if 2 <= len(posts) <= max_contact_posts:
            left.extend(posts[:1] * (len(posts) - 1))
            right.extend(posts[1:])
    if n == 0:
        return []
    labels = _components(n, np.array(left, dtype=np.int64), np.array(right, dtype=np.int64))
    sizes = Counter(labels.tolist())
    smallest: dict[int, str] = {}
    for i in range(n):
        lab = int(labels[i])
        if lab not in smallest or keys[i] < smallest[lab]:
            smallest[lab] = keys[i]
    return [smallest[int(labels[i])] if sizes[int(labels[i])] > 1 else None for i in range(n)]


def campaigns_of(
    normalized_texts: Sequence[str],
    keys: Sequence[str],
    config: ClusterConfig = ClusterConfig(),
) -> tuple[list[str], list[str]]:
    """Campaign id of each post and its campaign's template (``""`` for a singleton).

    The template is built as :func:`~opennrm.monitoring.pipeline.assemble` builds it: from
    the first ``template_members`` members in key order.
    """
    ids = near_duplicate_clusters(normalized_texts, keys, config)
    members: dict[str, list[int]] = {}
    for i, cid in enumerate(ids):
        members.setdefault(cid, []).append(i)
    templates = [""] * len(ids)
    for group in members.values():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda i: keys[i])[: config.template_members]
        template = build_template(
            [normalized_texts[i] for i in ordered], support=config.template_support
        )
        for i in group:
            templates[i] = template
    return ids, templates
