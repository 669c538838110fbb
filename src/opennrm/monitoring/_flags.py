"""Indicator flags: versioned, explainable trafficking-recruitment patterns.

The flags live in ``data/flags.json`` (see its ``description``): each has an ``id``, a
label in English, Ukrainian and Russian, a ``weight`` (its stand-alone risk, 0–1), a
``source`` and a ``rationale``, and either term ``groups`` (uk, ru, pl, ro, en; all groups
must match, ``absent`` terms must not) or a computed ``detector``. Terms are passed
through the same :func:`~opennrm.monitoring.normalize.normalize` as the posts when the
file is loaded, so the data file is written in plain words and still matches posts that
hide words with look-alike letters, odd case or spacing.

Grammar of a term: words separated by spaces; ``*`` alone stands for any one word, a
word ending in ``*`` is a stem (prefix). Terms match at word boundaries. ``regex`` entries
are raw regular expressions over the normalised text (write them lower-case).

Speed: most posts match nothing, so a rare, expensive ``regex`` group names a ``gate``
(word stems) and is searched only in a window around a word that starts with one of them;
``absent`` groups without terms, and later groups marked ``lazy``, are searched only once
the flag's other groups matched. Every pattern searched directly in the whole text (a
``regex`` entry without a ``gate``, a term that starts with a non-word character) gets a
character gate (:func:`pattern_gate`: a class every match contains, such as a digit or
``@``) and is searched only in texts that contain one of those characters.

:meth:`FlagSet.evaluate` returns the hits with their evidence (the matched words), which
is the explanation shown to an analyst. The flag score combines hits by noisy-OR,
``1 - Π(1 - weight)``: in [0, 1], and adding a hit never lowers it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from opennrm.monitoring.normalize import normalize

LANGUAGES = ("uk", "ru", "pl", "ro", "en")
DETECTORS = ("mixed_script",)


class FlagDataError(ValueError):
    """The flags data file is malformed."""


@dataclass(frozen=True, slots=True)
class FlagHit:
    """One flag that fired on a post, with the words that made it fire."""

    flag_id: str
    weight: float
    label_en: str
    evidence: str

    def describe(self, language: str = "en", flags: FlagSet | None = None) -> str:
        label = self.label_en
        if flags is not None and language != "en":
            label = flags.by_id[self.flag_id].label.get(language, label)
        return f'{label} ("{self.evidence}")' if self.evidence else label


@dataclass(frozen=True, eq=False)
class Flag:
    """One indicator (compiled)."""

    id: str
    label: Mapping[str, str]
    weight: float
    source: str
    rationale: str
    groups: tuple[int, ...] = ()  # indexes into the FlagSet's matcher
    absent: int | None = None
    detector: str | None = None
    examples: tuple[str, ...] = ()
    # one of the strongest forced-labour indicators: a post with it goes to the review
    # queue whatever its risk (``Score.flagged``)
    alert: bool = False

    def match(
        self,
        raw_text: str,
        found: Mapping[int, str],
        normalized: str = "",
        matcher: _Matcher | None = None,
    ) -> FlagHit | None:
        """The hit if this flag fires, given the matcher's ``group -> evidence`` map."""
        if self.detector == "mixed_script":
            evidence = _mixed_script_evidence(raw_text)
            if evidence is None:
                return None
        else:
            lazy = matcher.lazy if matcher is not None else {}
            parts = []
            for g in self.groups:
                if g in found:
                    parts.append(found[g])
                elif g in lazy and matcher is not None:
                    hit = matcher.search_lazy(g, normalized)
                    if hit is None:
                        return None
                    parts.append(hit)
                else:
                    return None
            if self.absent is not None:
                if self.absent in lazy and matcher is not None:
                    if matcher.search_lazy(self.absent, normalized) is not None:
                        return None
                elif self.absent in found:
                    return None
            evidence = " + ".join(parts)
        return FlagHit(self.id, self.weight, self.label["en"], evidence)


_TOKEN_RE = re.compile(r"\w+")
#: at most so many characters are added on each side to finish a word a term cut
_WORD_REACH = 40
_WORD_TAIL = re.compile(rf"(?:\w|['’](?=\w)){{0,{_WORD_REACH}}}")
_WORD_HEAD = re.compile(rf"(?:\w|['’](?=\w)){{0,{_WORD_REACH}}}$")


def _whole_words(text: str, hit: re.Match[str]) -> str:
    """What a pattern matched, as the words it falls in: a term written as a stem
    ("долг за дорог") is shown as the (normalised) text has it ("долг за дорогу"), not
    cut inside a word (an apostrophe between letters is inside one: "сім'я"); at most
    :data:`_WORD_REACH` characters are added on each side (a "word" of a million letters
    stays a short quote); spaces at its ends dropped."""
    start, end = hit.span()
    if start < end:
        if re.match(r"\w", text[start]):
            head = _WORD_HEAD.search(text, max(0, start - _WORD_REACH), start)
            start = head.start() if head is not None else start
        if re.match(r"\w", text[end - 1]):
            end = _WORD_TAIL.match(text, end).end()  # type: ignore[union-attr]
    return text[start:end].strip()


# --- gates for the directly searched patterns ----------------------------------------
# Most posts contain none of the few characters one of these patterns needs (a digit,
# "@", "/", "+"), so each pattern gets a *gate*: a one-character class such that every
# match of the pattern contains one of its characters, read off the parsed pattern.
# A text without any of them cannot match, and the pattern is not searched.

_CLASS_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s", "CATEGORY_WORD": r"\w"}
_COMMON_PUNCTUATION = frozenset(" .,!?:;-'\"()")


def _atom_cost(atom: tuple[str, int, int]) -> int:
    """How often a class item is expected in a post (lower: a better gate)."""
    kind, lo, hi = atom
    if kind == "category":
        return 10 if lo == 0 else 1000  # \d, else \s or \w
    if lo != hi:
        return 3 * (hi - lo + 1)
    ch = chr(lo)
    return 3 if ch.isalnum() else 2 if ch in _COMMON_PUNCTUATION else 1


_CATEGORY_ORDER = ("CATEGORY_DIGIT", "CATEGORY_SPACE", "CATEGORY_WORD")


def _required(items: Any) -> frozenset[tuple[str, int, int]] | None:
    r"""Class items one of which every match of the parsed sequence ``items`` contains.

    Items: ``("char", lo, hi)`` (a code point range) or ``("category", i, i)`` (``\d``,
    ``\s``, ``\w``). ``None`` when no such set is known (the pattern is always searched).
    """
    best: frozenset[tuple[str, int, int]] | None = None
    best_cost = 0
    for op, av in items:
        found = _required_one(str(op), av)
        if found is None:
            continue
        cost = sum(_atom_cost(a) for a in found)
        if best is None or cost < best_cost:
            best, best_cost = found, cost
    return best


def _required_one(op: str, av: Any) -> frozenset[tuple[str, int, int]] | None:
    if op == "LITERAL":
        return frozenset({("char", av, av)})
    if op == "IN":
        out: set[tuple[str, int, int]] = set()
        for iop, iav in av:
            name = str(iop)
            if name == "LITERAL":
                out.add(("char", iav, iav))
            elif name == "RANGE":
                out.add(("char", iav[0], iav[1]))
            elif name == "CATEGORY" and str(iav) in _CLASS_CATEGORIES:
                out.add(("category", _CATEGORY_ORDER.index(str(iav)), 0))
            else:  # NEGATE, other categories, case-insensitive ranges: unknown
                return None
        return frozenset(out)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _high, body = av
        return _required(body) if low >= 1 else None
    if op == "SUBPATTERN":
        _group, add_flags, _del_flags, body = av
        return None if add_flags & re.IGNORECASE else _required(body)
    if op == "ATOMIC_GROUP":
        return _required(av)
    if op == "BRANCH":
        union: set[tuple[str, int, int]] = set()
        for alternative in av[1]:
            found = _required(alternative)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    return None  # anchors, look-arounds, "." and the rest: no requirement taken from them


def _class_source(items: frozenset[tuple[str, int, int]]) -> str:
    parts = []
    for kind, lo, hi in sorted(items):
        if kind == "category":
            parts.append(_CLASS_CATEGORIES[_CATEGORY_ORDER[lo]])
        elif lo == hi:
            parts.append(re.escape(chr(lo)))
        else:
            parts.append(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "[" + "".join(parts) + "]"


def pattern_gate(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A one-character class that every match of ``pattern`` contains, or ``None``.

    Only case-sensitive ``str`` patterns are analysed (the flags file's patterns run on
    normalised, lower-case text); anything else gets ``None`` and is always searched.
    """
    if not isinstance(pattern.pattern, str) or pattern.flags & re.IGNORECASE:
        return None
    try:  # the standard library's own parser (re._parser since Python 3.11)
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # no parser, or one that reads the pattern differently: no gate
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    found = _required(list(parsed))
    if not found:
        return None
    return re.compile(_class_source(found))


# characters searched on each side of a gate word (a gated phrase spans at most this)
_GATE_WINDOW = 160


class _Matcher:
    """Finds which term groups occur in a normalised text, in one pass over its words.

    Each term is indexed by its first word (exact, or a stem prefix); a candidate term is
    then confirmed with its own regex anchored at that word. Terms that start with a
    non-word character and raw ``regex`` entries are searched directly.

    The words that can start a term (the exact first words and the stems) are compiled into
    one trie regex, so only the words that can start a term are visited in Python; every
    other word is skipped by ``re`` (the same candidates, in the same order, as visiting
    every word).
    """

    def __init__(self) -> None:
        self.exact: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        # stems indexed by their first (up to) three letters: one dict lookup per word
        self.stems: dict[str, list[tuple[str, int, re.Pattern[str]]]] = {}
        self.short_stem_lengths: tuple[int, ...] = ()
        self.searched: list[tuple[int, re.Pattern[str]]] = []
        # (a word that can start a term, the alternation of ``searched`` as a pre-filter)
        self.compiled: tuple[re.Pattern[str], re.Pattern[str]] | None = None
        self.n_groups = 0
        # gated regex groups: gid -> patterns; gate stems indexed like ``stems``
        self.gated: dict[int, list[re.Pattern[str]]] = {}
        self.gate_stems: dict[str, list[tuple[str, int]]] = {}
        self.lazy: dict[int, list[re.Pattern[str]]] = {}
        # per pattern of ``searched``: its gate (see pattern_gate), set by _compile
        self.gates: list[re.Pattern[str] | None] = []
        self.any_gate: re.Pattern[str] | None = None  # the union of the gates, when all have one
        # per first word with several terms: their alternation (one match call rules
        # them all out where none matches; set by _compile)
        self.exact_any: dict[str, re.Pattern[str]] = {}
        self.key_lengths: tuple[int, ...] = (3,)  # prefixes of a word looked up in stems

    def _add_lazy(self, spec: Mapping[str, Any], where: str) -> int:
        gid = -1 - len(self.lazy)  # negative ids never collide with searched groups
        terms = spec.get("terms", {})
        if not isinstance(terms, Mapping):
            raise FlagDataError(f"{where}: 'terms' must map a language to a list")
        patterns: list[re.Pattern[str]] = []
        for language, items in terms.items():
            if language not in LANGUAGES:
                raise FlagDataError(f"{where}: unknown language {language!r}")
            for term in items:
                words = normalize(term).replace("ё", "е").split(" ")
                patterns.append(re.compile(r"(?<!\w)" + _term_regex(words)))
        for raw in spec.get("regex", []):
            try:
                patterns.append(re.compile(raw))
            except re.error as exc:
                raise FlagDataError(f"{where}: bad regex ({exc})") from exc
        if not patterns:
            raise FlagDataError(f"{where}: a group needs terms or regex")
        self.lazy[gid] = patterns
        return gid

    def search_lazy(self, gid: int, text: str) -> str | None:
        """The first match of a lazy group in ``text`` (normalised), or ``None``."""
        for pattern in self.lazy[gid]:
            hit = pattern.search(text)
            if hit is not None:
                return _whole_words(text, hit)
        return None

    def add_group(self, spec: Mapping[str, Any], where: str, *, lazy: bool = False) -> int:
        """Register a term group; its id.

        ``lazy`` groups (the ``absent`` terms) are not searched by :meth:`find`, only on
        demand by :meth:`search_lazy`, once the flag's own groups matched. A group with a
        ``gate`` (word stems) searches its ``regex`` entries only in texts that have a
        word starting with one of them, so a rare, expensive pattern costs nothing on
        the other posts.
        """
        if lazy:
            return self._add_lazy(spec, where)
        gid = self.n_groups
        self.n_groups += 1
        gate = [normalize(g).replace("ё", "е") for g in spec.get("gate", [])]
        if gate and not spec.get("regex"):
            raise FlagDataError(f"{where}: a gate needs regex entries")
        terms = spec.get("terms", {})
        if not isinstance(terms, Mapping):
            raise FlagDataError(f"{where}: 'terms' must map a language to a list")
        regexes = list(spec.get("regex", []))
        if not any(terms.values()) and not regexes:
            raise FlagDataError(f"{where}: a group needs terms or regex")
        for language, items in terms.items():
            if language not in LANGUAGES:
                raise FlagDataError(f"{where}: unknown language {language!r}")
            for term in items:
                words = normalize(term).replace("ё", "е").split(" ")
                pattern = re.compile(_term_regex(words))
                first = words[0]
                head = _TOKEN_RE.match(first)
                if head is None or first == "*":
                    self.searched.append((gid, pattern))
                elif head.end() == len(first) - 1 and first.endswith("*"):
                    stem = head.group()
                    self.stems.setdefault(stem[:3], []).append((stem, gid, pattern))
                else:
                    self.exact.setdefault(head.group(), []).append((gid, pattern))
        compiled = []
        for raw in regexes:
            try:
                compiled.append(re.compile(raw))
            except re.error as exc:
                raise FlagDataError(f"{where}: bad regex ({exc})") from exc
        if gate:
            # one alternation: a single scan of the text however many patterns there are
            joined = "|".join(f"(?:{p.pattern})" for p in compiled)
            self.gated.setdefault(gid, []).append(re.compile(joined))
            for stem in gate:
                self.gate_stems.setdefault(stem[:3], []).append((stem, gid))
                self.stems.setdefault(stem[:3], [])
        else:
            self.searched.extend((gid, p) for p in compiled)
        self.short_stem_lengths = tuple(sorted({len(k) for k in self.stems if len(k) < 3}))
        self.compiled = None  # rebuilt on the next find
        return gid

    def _compile(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        gates = [pattern_gate(p) for _, p in self.searched]
        # one compiled object per distinct gate (several patterns share "[12]" or "[/]")
        distinct = {g.pattern: g for g in gates if g is not None}
        self.gates = [None if g is None else distinct[g.pattern] for g in gates]
        # all gated: one search of the union rules them all out in most posts
        self.any_gate = (
            re.compile("|".join(distinct)) if gates and all(g is not None for g in gates) else None
        )
        from opennrm.monitoring.extract import _WORD_END, _trie_regex

        stems = sorted(
            {stem for cands in self.stems.values() for stem, _, _ in cands}
            | {stem for cands in self.gate_stems.values() for stem, _ in cands}
        )
        alternatives = [_trie_regex(w + _WORD_END for w in self.exact), _trie_regex(stems)]
        body = "|".join(a for a in alternatives if a) or "(?!)"
        trigger = re.compile(rf"(?<!\w)(?:{body})")
        searched_any = re.compile("|".join(f"(?:{p.pattern})" for _, p in self.searched) or "(?!)")
        self.exact_any = {
            word: re.compile("|".join(f"(?:{p.pattern})" for _, p in cands))
            for word, cands in self.exact.items()
            if len(cands) > 1
        }
        self.key_lengths = (3, *self.short_stem_lengths)
        self.compiled = (trigger, searched_any)
        return self.compiled

    def find(self, text: str) -> dict[int, str]:
        found: dict[int, str] = {}
        pending: dict[int, int] = {}  # gated group -> position of its first gate word
        gates = self.gate_stems
        trigger, searched_any = self.compiled or self._compile()
        exact, exact_any, stems = self.exact, self.exact_any, self.stems
        token = _TOKEN_RE.match
        for t in trigger.finditer(text):
            m = token(text, t.start())
            if m is None:  # pragma: no cover - the trigger starts with a word character
                continue
            word = m.group()
            cands = exact.get(word)
            if cands:
                # several terms start with this word ("в день", "в лс", …): one match of
                # their alternation says whether any of them is there
                any_term = exact_any.get(word)
                if any_term is None or any_term.match(text, m.start()) is not None:
                    self._confirm(cands, text, m.start(), found)
            for n in self.key_lengths:
                key = word[:n]
                gcands = gates.get(key)
                if gcands:
                    for stem, gid in gcands:
                        if gid not in pending and word.startswith(stem):
                            pending[gid] = m.start()
                scands = stems.get(key)
                if scands:
                    for stem, gid, pattern in scands:
                        if gid not in found and word.startswith(stem):
                            hit = pattern.match(text, m.start())
                            if hit is not None:
                                found[gid] = _whole_words(text, hit)
        for gid, pos in pending.items():
            if gid not in found:
                # the phrase lies around its gate word: search a window, not the whole text
                start = max(0, pos - _GATE_WINDOW)
                for pattern in self.gated[gid]:
                    hit = pattern.search(text, start, pos + _GATE_WINDOW)
                    if hit is not None:
                        found[gid] = _whole_words(text, hit)
                        break
        if not self.searched:
            return found
        if self.any_gate is not None:
            if self.any_gate.search(text) is None:
                return found  # no character any directly searched pattern needs
        elif searched_any.search(text) is None:
            return found  # one search rules out every directly searched pattern
        passed: dict[re.Pattern[str], bool] = {}
        for (gid, pattern), gate in zip(self.searched, self.gates, strict=True):
            if gid in found:
                continue
            if gate is not None:
                ok = passed.get(gate)
                if ok is None:
                    ok = passed[gate] = gate.search(text) is not None
                if not ok:
                    continue
            hit = pattern.search(text)
            if hit is not None:
                found[gid] = _whole_words(text, hit)
        return found

    @staticmethod
    def _confirm(
        cands: list[tuple[int, re.Pattern[str]]], text: str, pos: int, found: dict[int, str]
    ) -> None:
        for gid, pattern in cands:
            if gid in found:
                continue
            hit = pattern.match(text, pos)
            if hit is not None:
                found[gid] = _whole_words(text, hit)


_LATIN = r"a-zA-Z"
_CYRILLIC = "\u0400-\u04ff"
_GREEK = "\u0370-\u03ff"
# a word with a letter of one script directly next to a letter of another, or look-alike
# digits (0 1 3 4 5 6 7: о/o, i, з/e, ч/a, s, б, t) between two letters ("раб0та", "w0rk")
_OBFUSCATED_RE = re.compile(
    rf"[^\W_]*(?:[{_LATIN}][{_CYRILLIC}{_GREEK}]|[{_CYRILLIC}{_GREEK}][{_LATIN}]"
    rf"|[{_CYRILLIC}][{_GREEK}]|[{_GREEK}][{_CYRILLIC}]|[^\W\d_][0134567]+(?=[^\W\d_]))"
    rf"[^\W_]*"
)


# Where a word of _OBFUSCATED_RE switches script (its middle part), in three patterns,
# each led by a character class: re then jumps from one character of that class to the
# next instead of trying five alternatives at every position (what one alternation,
# "[lat][cyr grk]|[cyr grk][lat]|[cyr][grk]|[grk][cyr]|[^\W\d_][0134567]+[^\W\d_]",
# cost before): a Latin letter next to a Cyrillic or Greek one, in either order; a Greek
# letter next to a Cyrillic one; a run of look-alike digits between two letters.
_TRANSITION_PARTS = (
    re.compile(rf"[{_LATIN}](?:(?<=[{_CYRILLIC}{_GREEK}][{_LATIN}])|(?=[{_CYRILLIC}{_GREEK}]))"),
    re.compile(rf"[{_GREEK}](?:(?<=[{_CYRILLIC}][{_GREEK}])|(?=[{_CYRILLIC}]))"),
    re.compile(r"[0134567](?<=[^\W\d_][0134567])[0134567]*[^\W\d_]"),
)
_SEGMENT_RE = re.compile(r"\S+")


def _mixed_script_evidence(raw_text: str) -> str | None:
    """Up to three obfuscated words of the raw text, or ``None``.

    The same tokens that :func:`~opennrm.monitoring.normalize.normalize` folds; checked
    with three cheap searches because this runs on every post.

    The words are what ``_OBFUSCATED_RE.findall(raw_text)`` gives (first three distinct),
    found faster: a match holds no white space and contains a transition, so only the
    white-space-separated segments with a transition are searched (each on its own:
    nothing in the pattern looks past white space), in order, until three are found.
    """
    latin, greek, digits = _TRANSITION_PARTS
    if latin.search(raw_text) is None and (
        greek.search(raw_text) is None and digits.search(raw_text) is None
    ):
        return None  # almost every post
    starts = sorted(m.start() for part in _TRANSITION_PARTS for m in part.finditer(raw_text))
    words: dict[str, None] = {}
    i, n = 0, len(starts)
    for segment in _SEGMENT_RE.finditer(raw_text):
        start, end = segment.span()
        if starts[i] >= end:
            continue
        for word in _OBFUSCATED_RE.findall(raw_text, start, end):
            words[word] = None
        if len(words) >= 3:
            break
        while i < n and starts[i] < end:
            i += 1
        if i == n:
            break
    if not words:
        return None
    return ", ".join(list(words)[:3])


def _term_regex(words: Sequence[str]) -> str:
    parts: list[str] = []
    for word in words:
        if word == "*":
            parts.append(r"[^\s]+")
        elif word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word))
    body = r"\s+".join(parts)
    if words[-1].endswith("*") and words[-1] != "*":
        return body
    return body + r"(?!\w)"


@dataclass(frozen=True, eq=False)
class FlagSet:
    """A loaded, compiled flags file."""

    version: str
    flags: tuple[Flag, ...]
    sources: Mapping[str, str] = field(default_factory=dict)
    matcher: _Matcher = field(default_factory=_Matcher, repr=False)

    @functools.cached_property
    def by_id(self) -> dict[str, Flag]:
        return {f.id: f for f in self.flags}

    @functools.cached_property
    def alert_ids(self) -> frozenset[str]:
        """The flags that put a post in the review queue by themselves."""
        return frozenset(f.id for f in self.flags if f.alert)

    def evaluate(self, raw_text: str, normalized: str | None = None) -> tuple[FlagHit, ...]:
        """All flags that fire on a post (``normalized`` = ``normalize(raw_text)``)."""
        norm = (normalize(raw_text) if normalized is None else normalized).replace("ё", "е")
        found = self.matcher.find(norm)
        detectors, by_first_group = self._candidates
        if found:
            # only flags with a detector or whose first group matched, in file order
            candidates = sorted(
                [*detectors, *(i for g in found for i in by_first_group.get(g, ()))]
            )
        else:
            candidates = detectors
        hits = []
        flags = self.flags
        for i in candidates:
            hit = flags[i].match(raw_text, found, norm, self.matcher)
            if hit is not None:
                hits.append(hit)
        return tuple(hits)

    @functools.cached_property
    def _candidates(self) -> tuple[list[int], dict[int, tuple[int, ...]]]:
        """Indexes of the flags with a detector, and of the flags by their first group."""
        detectors = [i for i, f in enumerate(self.flags) if f.detector is not None]
        by_first: dict[int, list[int]] = {}
        for i, f in enumerate(self.flags):
            if f.detector is None and f.groups:
                by_first.setdefault(f.groups[0], []).append(i)
        return detectors, {g: tuple(ids) for g, ids in by_first.items()}


def flag_score(hits: Iterable[FlagHit]) -> float:
    """Noisy-OR of the hits' weights: ``1 - Π(1 - w)``."""
    keep = 1.0
    for hit in hits:
        keep *= 1.0 - hit.weight
    return 1.0 - keep


def parse_flags(data: Mapping[str, Any]) -> FlagSet:
    """Validate and compile a flags document (the JSON object)."""
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise FlagDataError("flags file needs a 'version'")
    matcher = _Matcher()
    flags: list[Flag] = []
    seen: set[str] = set()
    for i, item in enumerate(data.get("flags", [])):
        fid = item.get("id")
        where = f"flag {fid or i}"
        if not isinstance(fid, str) or not fid or fid in seen:
            raise FlagDataError(f"{where}: missing or duplicate id")
        seen.add(fid)
        label = item.get("label", {})
        if not all(isinstance(label.get(k), str) and label[k] for k in ("en", "uk", "ru")):
            raise FlagDataError(f"{where}: label needs en, uk and ru")
        weight = item.get("weight")
        if not isinstance(weight, int | float) or not 0.0 <= weight < 1.0 or math.isnan(weight):
            raise FlagDataError(f"{where}: weight must be in [0, 1)")
        for key in ("source", "rationale"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise FlagDataError(f"{where}: needs a {key}")
        alert = item.get("alert", False)
        if not isinstance(alert, bool):
            raise FlagDataError(f"{where}: alert must be true or false")
        detector = item.get("detector")
        if detector is not None and detector not in DETECTORS:
            raise FlagDataError(f"{where}: unknown detector {detector!r}")
        # a later group marked "lazy" is searched only once the groups before it matched
        groups = tuple(
            matcher.add_group(g, f"{where} group {j}", lazy=bool(j and g.get("lazy")))
            for j, g in enumerate(item.get("groups", []))
        )
        if detector is None and not groups:
            raise FlagDataError(f"{where}: needs groups or a detector")
        absent = item.get("absent")
        flags.append(
            Flag(
                id=fid,
                label=dict(label),
                weight=float(weight),
                source=item["source"],
                rationale=item["rationale"],
                groups=groups,
                # regex-only absent groups are searched lazily (only once the flag matched);
                # term groups ride the one indexed pass
                absent=(
                    matcher.add_group(
                        absent,
                        f"{where} absent",
                        lazy="terms" not in absent or bool(absent.get("lazy")),
                    )
                    if absent
                    else None
                ),
                detector=detector,
                examples=tuple(item.get("examples", ())),
                alert=alert,
            )
        )
    return FlagSet(
        version=version,
        flags=tuple(flags),
        sources=dict(data.get("sources", {})),
        matcher=matcher,
    )


def load_flags(path: str | Path | None = None) -> FlagSet:
    """Load a flags file (default: the packaged ``data/flags.json``, cached)."""
    if path is None:
        return _default_flags()
    return parse_flags(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _default_flags() -> FlagSet:
    text = resources.files("opennrm.monitoring").joinpath("data/flags.json").read_text("utf-8")
    return parse_flags(json.loads(text))


def describe_hits(hits: Sequence[FlagHit]) -> list[str]:
    """Human-readable reasons, strongest first."""
    return [h.describe() for h in sorted(hits, key=lambda h: (-h.weight, h.flag_id))]
