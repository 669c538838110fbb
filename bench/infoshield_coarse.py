"""InfoShield-Coarse, reimplemented from its published description, as a baseline.

Lee, Vajiac, Kulshrestha, Levy, Park, Jones, Rabbany, Faloutsos, "InfoShield:
Generalizable Information-Theoretic Human-Trafficking Detection", ICDE 2021, and the
authors' reference script ``infoshieldcoarse.py`` (github.com/mengchillee/InfoShield):

1. preprocessing (``filter_text``): delete digit runs, replace every run of non-ASCII
   characters with a space, delete HTML tags and ``&nbsp;``/``<br>`` fragments;
2. TF-IDF over word 5-grams (``token_pattern=r"[^\\s]+"``, no lower-casing,
   ``sublinear_tf=True``) fitted on the whole collection;
3. each document's top ``num_phrases`` 5-grams by TF-IDF (ties: the lexically larger
   phrase, as ``heapq.nlargest`` over ``(score, phrase)`` pairs does);
4. a bipartite document–phrase graph; clusters are its connected components; a document
   alone in its component gets the label ``-1``.

Two implementations with the same output:

* :func:`infoshield_coarse` – vectorised (top-k per row in numpy, components with scipy):
  a *fast* baseline, faster than the authors' code;
* :func:`infoshield_coarse_reference` – the authors' per-document code path (element-wise
  access to the sparse TF-IDF matrix, ``heapq.nlargest``, an adjacency-set graph grown one
  document at a time, then breadth-first components), standing in for their networkx
  graph (networkx is not a dependency here): the cost of the published implementation.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

_REPLACE = [
    (re.compile(r"\d+"), ""),
    (re.compile(r"[^\x00-\x7F]+"), " "),
    (re.compile(r"<.*?>"), ""),
]
_FRAGMENTS = ["&nbsp;", "nbsp;", "<b", "<br", "br>"]


def filter_text(text: object) -> str:
    """The reference preprocessing (non-ASCII characters are removed)."""
    if not isinstance(text, str):
        return ""
    for pattern, target in _REPLACE:
        text = pattern.sub(target, text)
    for fragment in _FRAGMENTS:
        text = text.replace(fragment, "")
    return text


@dataclass(frozen=True)
class CoarseResult:
    labels: np.ndarray  # component id, -1 for documents alone in their component
    filtered_empty: int  # documents with no character left after preprocessing
    without_phrases: int  # documents with no 5-gram at all (fewer than five tokens)
    giant_component: int  # documents in the largest cluster


def infoshield_coarse(texts: Sequence[str], *, num_phrases: int = 10) -> CoarseResult:
    filtered = [filter_text(t) for t in texts]
    n = len(filtered)
    empty = sum(1 for t in filtered if not t.strip())
    tfidf = TfidfVectorizer(
        token_pattern=r"[^\s]+",  # noqa: S106 - a regex, not a password
        lowercase=False,
        ngram_range=(5, 5),
        sublinear_tf=True,
    )
    try:
        x = tfidf.fit_transform(filtered).tocsr()
    except ValueError:  # empty vocabulary: nothing can be linked
        return CoarseResult(np.full(n, -1), empty, n, 0)
    n_phrases = x.shape[1]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    without = 0
    for i in range(n):
        lo, hi = x.indptr[i], x.indptr[i + 1]
        if hi == lo:
            without += 1
            continue
        idx = x.indices[lo:hi]
        scores = x.data[lo:hi]
        # nlargest over (score, phrase): higher score first, then the larger phrase;
        # the vocabulary is sorted, so a larger column index is a larger phrase
        order = np.lexsort((-idx, -scores))[:num_phrases]
        rows.append(np.full(len(order), i))
        cols.append(idx[order])
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) + n if cols else np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n + n_phrases,) * 2)
    _, comp = connected_components(graph, directed=False)
    doc_comp = comp[:n]
    sizes = np.bincount(doc_comp)
    labels = np.where(sizes[doc_comp] > 1, doc_comp, -1)
    giant = int(sizes.max()) if n else 0
    return CoarseResult(labels, empty, without, giant if giant > 1 else 0)


def infoshield_coarse_reference(texts: Sequence[str], *, num_phrases: int = 10) -> CoarseResult:
    """The authors' per-document algorithm (slow; same labels as the vectorised one)."""
    filtered = [filter_text(t) for t in texts]
    n = len(filtered)
    empty = sum(1 for t in filtered if not t.strip())
    tfidf = TfidfVectorizer(
        token_pattern=r"[^\s]+",  # noqa: S106 - a regex, not a password
        lowercase=False,
        ngram_range=(5, 5),
        sublinear_tf=True,
    )
    try:
        x = tfidf.fit_transform(filtered)
    except ValueError:
        return CoarseResult(np.full(n, -1), empty, n, 0)
    names = tfidf.get_feature_names_out()
    graph: dict[object, set[object]] = defaultdict(set)
    without = 0
    for index in range(n):
        graph[("doc", index)]
        _, cols = x[index].nonzero()
        pairs = [(x[index, c], names[c]) for c in cols]
        top = [phrase for _, phrase in heapq.nlargest(num_phrases, pairs)]
        if not top:
            without += 1
        for phrase in top:
            graph[("doc", index)].add(("phrase", phrase))
            graph[("phrase", phrase)].add(("doc", index))
    labels = np.full(n, -1)
    seen: set[object] = set()
    giant = 0
    component = 0
    for start in [("doc", i) for i in range(n)]:
        if start in seen:
            continue
        seen.add(start)
        queue = deque([start])
        docs = []
        while queue:
            node = queue.popleft()
            if node[0] == "doc":
                docs.append(node[1])
            for other in graph[node]:
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
        if len(docs) > 1:
            labels[docs] = component
            giant = max(giant, len(docs))
        component += 1
    return CoarseResult(labels, empty, without, giant)
