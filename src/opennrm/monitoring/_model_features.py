"""Fast hashed character n-gram TF-IDF features, vectorised in numpy.

Equivalent in spirit to ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
sublinear_tf=True)`` followed by the hashing trick: every whitespace-separated word is
padded with one space on each side and cut into n-grams that stay inside the padded
word; each n-gram is hashed (polynomial hash over code points, mixed with ``n``) into
``2**bits`` columns; values are ``(1 + log tf) * idf`` and rows are L2-normalised.

It differs from scikit-learn's analyser in two deliberate ways: the whole batch is
processed with a handful of numpy operations (no per-n-gram Python call, several times
faster), and memory is constant (no vocabulary; the fitted state is one ``idf`` vector).
Hash collisions are rare at the default ``2**20`` columns. Because the vectoriser
remembers where each (post, column) entry was first seen, explanations can quote the
n-gram text itself (:meth:`CharNgramHasher.transform_with_ngrams`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_P = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
CHUNK = 4096  # texts per internal chunk in fit/transform

# ``fold_letters``: the letters Ukrainian has and Russian lacks, hashed as their nearest
# Russian letter. Spammers write Russian with Latin "i" in place of "и"; normalisation
# folds that look-alike to the Cyrillic "і", so a model trained on Russian spam learns
# every n-gram with "і" as a spam cue and then flags ordinary Ukrainian text (which is
# full of "і"). Folded, "клiєнтiв" hashes as "клиентив" and Ukrainian words as their
# Russian-spelled neighbours. Only the hashing sees the folded letters: explanations
# quote the text as written (the mapping is one letter to one letter, positions agree).
UK_FOLD = str.maketrans({"і": "и", "ї": "и", "є": "е", "ґ": "г"})


_FOLD_FROM = np.array([ord(c) for c in "іїєґ"], dtype=np.uint32)
_FOLD_TO = np.array([ord(UK_FOLD[ord(c)]) for c in "іїєґ"], dtype=np.uint32)  # type: ignore[arg-type]


def _fold_codes(codes: np.ndarray) -> np.ndarray:
    """``UK_FOLD`` applied to an array of code points (a copy where anything changes)."""
    hit = (codes >= _FOLD_FROM.min()) & (codes <= _FOLD_FROM.max())
    if not hit.any():
        return codes
    out = codes.copy()
    for src, dst in zip(_FOLD_FROM.tolist(), _FOLD_TO.tolist(), strict=True):
        out[codes == src] = dst
    return out


_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_WORD_SALT = (np.uint64(0xD6E8FEB86659FD93), np.uint64(0xA0761D6478BD642F))
_WORD_CHAR_CACHE: list[np.ndarray] = []


def _word_char_table() -> np.ndarray:
    """``table[code]``: is this code point (below U+10000) a letter, digit or ``_``."""
    if not _WORD_CHAR_CACHE:
        _WORD_CHAR_CACHE.append(
            np.array([chr(i).isalnum() or i == 0x5F for i in range(0x10000)], dtype=bool)
        )
    return _WORD_CHAR_CACHE[0]


_POWER_CACHE_MAX = 1 << 18  # code points (4 MiB for both tables); longer batches: computed
_POWER_CACHE: list[tuple[np.ndarray, np.ndarray]] = []


def _compute_powers(total: int) -> tuple[np.ndarray, np.ndarray]:
    """``P**i`` and ``P**-i`` modulo ``2**64`` for ``i < total`` (uint64)."""
    with np.errstate(over="ignore"):
        p_pow = np.cumprod(np.full(total, _P, dtype=np.uint64))
        p_pow = np.concatenate(([np.uint64(1)], p_pow[:-1]))
        inv_pow = np.cumprod(np.full(total, _P_INV, dtype=np.uint64))
        inv_pow = np.concatenate(([np.uint64(1)], inv_pow[:-1]))
    return p_pow, inv_pow


def _powers(total: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_compute_powers`, cut from tables kept between batches (a product modulo
    ``2**64`` is exact, so the first ``total`` entries of a longer table are the same
    numbers); the pipeline hashes about 40,000 code points per call."""
    if not 0 < total <= _POWER_CACHE_MAX:  # (0: one entry, as computed; never hashed)
        return _compute_powers(total)
    tables = _POWER_CACHE[0] if _POWER_CACHE else None
    if tables is None or len(tables[0]) < total:
        tables = _compute_powers(min(max(total, 1 << 16), _POWER_CACHE_MAX))
        for table in tables:
            table.setflags(write=False)  # handed out as views: nobody may write
        _POWER_CACHE[:] = [tables]  # (threads: each uses the tables it read or made)
    p_pow, inv_pow = tables
    return p_pow[:total], inv_pow[:total]


class CharNgramHasher:
    """Hashed char_wb n-gram TF-IDF (fit learns document frequencies only).

    With ``word_weight > 0`` it also hashes **word 1–2-grams** (runs of letters, digits and
    ``_``; two neighbouring words of a post make a bigram) into the same columns with
    their own salt. The two blocks are L2-normalised separately, then the word block is
    scaled by ``word_weight``: the char block keeps the robustness to spelling tricks, the
    word block adds whole-word and phrase evidence ("работа на", "пишите в").
    """

    def __init__(
        self,
        ngram_min: int = 2,
        ngram_max: int = 5,
        bits: int = 20,
        min_df: int = 2,
        *,
        fold_letters: bool = False,
        word_weight: float = 0.0,
    ) -> None:
        if not 2 <= ngram_min <= ngram_max:
            raise ValueError("need 2 <= ngram_min <= ngram_max")
        if word_weight < 0:
            raise ValueError("word_weight must be >= 0")
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.bits = bits
        self.min_df = min_df
        self.fold_letters = fold_letters
        self.word_weight = word_weight
        self.idf: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return 1 << self.bits

    def _pieces(self, texts: Sequence[str]) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
        """The padded batch ``joined``, its code points as hashed (``UK_FOLD`` applied
        with ``fold_letters``), and each code point's word and document number.

        Every word is padded with one space on each side, ``" w1  w2 "``; words never
        hold a space, so in ``joined`` the spaces come in pairs and the 1st, 3rd, … of
        them begin the words (no per-word Python work)."""
        padded = [f" {'  '.join(words)} " if (words := text.split()) else "" for text in texts]
        joined = "".join(padded)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        word_start = np.zeros(len(joined), dtype=np.int64)
        word_start[np.flatnonzero(codes == 32)[0::2]] = 1
        word_id = np.cumsum(word_start) - 1
        if getattr(self, "fold_letters", False):
            codes = _fold_codes(codes)
        doc_id = np.repeat(np.arange(len(padded)), [len(d) for d in padded])
        return joined, codes, word_id, doc_id

    def _entries(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        """Unique (doc, column) entries with term counts, first position and length.

        Word entries (``word_weight > 0``) carry a negative length: ``-size``."""
        return self._hash_entries(len(texts), *self._pieces(texts))

    def _hash_entries(
        self,
        n_texts: int,
        joined: str,
        codes32: np.ndarray,
        word_id: np.ndarray,
        doc_id: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        """:meth:`_entries` from :meth:`_pieces`."""
        total = len(joined)
        empty = np.zeros(0, dtype=np.int64)
        if total == 0:
            return empty, empty, empty, empty, empty, joined
        codes = codes32.astype(np.uint64)
        shift = np.uint64(64 - self.bits)
        keys: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        sizes: list[np.ndarray] = []
        with np.errstate(over="ignore"):
            h = codes.copy()
            for n in range(2, self.ngram_max + 1):
                m = total - n + 1
                if m <= 0:
                    break
                h = h[:m] * _P + codes[n - 1 : n - 1 + m]
                if n < self.ngram_min:
                    continue
                ok = np.flatnonzero(word_id[:m] == word_id[n - 1 : n - 1 + m])
                col = (((h[ok] ^ (_GOLD * np.uint64(n))) * _MIX) >> shift).astype(np.int64)
                keys.append(doc_id[ok] * self.n_features + col)
                starts.append(ok)
                sizes.append(np.full(len(ok), n, dtype=np.int64))
        if getattr(self, "word_weight", 0.0) > 0:
            self._word_entries(codes, doc_id, keys, starts, sizes)
        if not keys:
            return empty, empty, empty, empty, empty, joined
        key = np.concatenate(keys)
        wbits = max(1, len(key).bit_length())
        if (n_texts * self.n_features) < (1 << (63 - wbits)):
            # pack (key, window index) into one integer: a plain sort then gives each
            # entry's windows together, its first window first (faster than np.unique)
            packed = np.sort((key << wbits) | np.arange(len(key), dtype=np.int64))
            keyed = packed >> wbits
            head = np.flatnonzero(np.concatenate(([True], keyed[1:] != keyed[:-1])))
            uniq = keyed[head]
            first = packed[head] & ((1 << wbits) - 1)
            counts = np.diff(np.concatenate((head, [len(packed)])))
        else:
            uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
        pos = np.concatenate(starts)[first]
        size = np.concatenate(sizes)[first]
        # keys are doc * 2**bits + column, never negative: a shift and a mask split them
        # (what // and % give, without an integer division per entry)
        return uniq >> self.bits, uniq & (self.n_features - 1), counts, pos, size, joined

    def _word_entries(
        self,
        codes: np.ndarray,
        doc_id: np.ndarray,
        keys: list[np.ndarray],
        starts: list[np.ndarray],
        sizes: list[np.ndarray],
    ) -> None:
        """Append hashed word unigrams and bigrams (lengths stored negated)."""
        total = len(codes)
        table = _word_char_table()
        small = codes < np.uint64(0x10000)
        is_word = np.zeros(total, dtype=bool)
        is_word[small] = table[codes[small].astype(np.int64)]
        edge = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
        begin = np.flatnonzero(edge == 1)
        end = np.flatnonzero(edge == -1) - 1  # inclusive
        if len(begin) == 0:
            return
        # polynomial hash of every word from prefix sums: with P odd, P has an inverse
        # modulo 2**64, so hash(l..r) = P**r * (S[r] - S[l-1]), S[i] = sum c[j] * P**-j
        p_pow, inv_pow = _powers(total)
        with np.errstate(over="ignore"):
            prefix = np.cumsum(codes * inv_pow, dtype=np.uint64)
            before = np.where(begin > 0, prefix[np.maximum(begin - 1, 0)], np.uint64(0))
            word_hash = (prefix[end] - before) * p_pow[end]
            docs = doc_id[begin]
            shift = np.uint64(64 - self.bits)
            uni = (((word_hash ^ _WORD_SALT[0]) * _MIX) >> shift).astype(np.int64)
            keys.append(docs * self.n_features + uni)
            starts.append(begin)
            sizes.append(-(end - begin + 1))
            pair = np.flatnonzero(docs[:-1] == docs[1:])
            if len(pair):
                bi_hash = (word_hash[pair] * _P) ^ (word_hash[pair + 1] * _GOLD)
                bi = (((bi_hash ^ _WORD_SALT[1]) * _MIX) >> shift).astype(np.int64)
                keys.append(docs[pair] * self.n_features + bi)
                starts.append(begin[pair])
                sizes.append(-(end[pair + 1] - begin[pair] + 1))

    def fit(self, texts: Sequence[str]) -> CharNgramHasher:
        """Learn document frequencies (in chunks, so memory does not grow with the data)."""
        df = np.zeros(self.n_features, dtype=np.float64)
        for start in range(0, len(texts), CHUNK):
            _, cols, _, _, _, _ = self._entries(texts[start : start + CHUNK])
            df += np.bincount(cols, minlength=self.n_features)
        self._set_idf(df, len(texts))
        return self

    def _set_idf(self, df: np.ndarray, n: int) -> None:
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        idf[df < self.min_df] = 0.0
        self.idf = idf.astype(np.float32)

    def fit_transform(self, texts: Sequence[str]) -> Any:
        """``fit(texts).transform(texts)`` hashing each text once instead of twice (the
        entries are kept between the two passes: a few hundred MB for 40,000 posts)."""
        from scipy.sparse import vstack

        df = np.zeros(self.n_features, dtype=np.float64)
        kept = []
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            docs, cols, counts, _, size, _ = self._entries(chunk)
            df += np.bincount(cols, minlength=self.n_features)
            kept.append((len(chunk), docs, cols, counts, size))
        self._set_idf(df, len(texts))
        parts = [
            self._matrix(n, docs, cols, counts, size)[0] for n, docs, cols, counts, size in kept
        ]
        if not parts:
            return self.transform(texts)
        return parts[0] if len(parts) == 1 else vstack(parts, format="csr")

    def transform(self, texts: Sequence[str]) -> Any:
        """CSR matrix of the texts (built chunk by chunk)."""
        from scipy.sparse import vstack  # type: ignore[import-untyped]

        if len(texts) <= CHUNK:
            return self.transform_with_ngrams(texts)[0]
        parts = [
            self.transform_with_ngrams(texts[start : start + CHUNK])[0]
            for start in range(0, len(texts), CHUNK)
        ]
        return vstack(parts, format="csr")

    def transform_with_ngrams(
        self, texts: Sequence[str]
    ) -> tuple[Any, np.ndarray, np.ndarray, str]:
        """CSR matrix plus, per stored value, the n-gram's start and length in ``joined``.

        One pass over all ``texts`` (the pipeline calls it one batch at a time).
        """
        if self.idf is None:
            raise ValueError("CharNgramHasher is not fitted")
        docs, cols, counts, pos, size, joined = self._entries(texts)
        matrix, keep, size = self._matrix(len(texts), docs, cols, counts, size)
        return matrix, pos[keep], size, joined

    def _matrix(
        self, n_texts: int, docs: np.ndarray, cols: np.ndarray, counts: np.ndarray, size: np.ndarray
    ) -> tuple[Any, np.ndarray, np.ndarray]:
        """CSR matrix of hashed entries; also which entries were kept and their lengths."""
        from scipy.sparse import csr_matrix

        if self.idf is None:
            raise ValueError("CharNgramHasher is not fitted")
        weights = self.idf[cols]
        keep = weights > 0
        docs, cols, counts, size = docs[keep], cols[keep], counts[keep], size[keep]
        values = ((1.0 + np.log(counts)) * weights[keep]).astype(np.float32)
        word_weight = getattr(self, "word_weight", 0.0)
        if word_weight > 0:
            # each block normalised on its own, the word block then scaled
            word = size < 0
            block = docs * 2 + word
            norms = np.sqrt(
                np.bincount(block, weights=values.astype(np.float64) ** 2, minlength=2 * n_texts)
            )
            scale = np.where(word, word_weight, 1.0) / np.maximum(norms[block], 1e-12)
            values = (values * scale).astype(np.float32)
            size = np.abs(size)
            # (a word and a char n-gram hashed to one column of one post are one entry,
            # counted as the char n-gram: a rare collision, like any other)
        else:
            norms = np.sqrt(
                np.bincount(docs, weights=values.astype(np.float64) ** 2, minlength=n_texts)
            )
            values = values / np.maximum(norms[docs], 1e-12).astype(np.float32)
        indptr = np.concatenate(([0], np.cumsum(np.bincount(docs, minlength=n_texts))))
        matrix = csr_matrix((values, cols, indptr), shape=(n_texts, self.n_features))
        return matrix, keep, size
