"""Text normalisation for *matching* (never for display: keep the original text).

``normalize(text)`` applies, in this order:

1. **NFKC** (full-width letters, ligatures, styled "𝐫𝐚𝐛𝐨𝐭𝐚" maths letters -> plain) and
   **case folding**; small-capital letters that NFKC keeps ("ᴡᴏʀᴋ", "мᴇxᴄ") become plain
   Latin letters (292 messages of the shared spam set use them); NFKC is re-applied when
   case folding produced a non-NFKC string, so the result is a fixed point (``normalize``
   is idempotent).
2. **Invisible characters removed**: zero-width space/joiners, soft hyphen, word joiner,
   bidi controls, variation selectors, BOM, Mongolian vowel separator, tag characters.
3. **Stray combining marks removed**: after NFKC, every letter that has a precomposed form
   is composed (``é``, ``ą``, ``ș``, ``й``, ``ї``, ``ё`` survive as single letters), so what
   is left in the generic combining-diacritics blocks (U+0300-036F, U+0483-0489,
   U+1AB0-1AFF, U+1DC0-1DFF, U+20D0-20FF, U+FE20-FE2F) is stacked on a letter to
   hide it (or stress marks). Those are dropped. Script-specific vowel signs (Arabic
   harakat, Devanagari matras, Hebrew points) are *kept*: removing them is not needed
   for this project's languages and would damage those scripts.
4. **Whitespace** runs collapse to one space; leading/trailing space is stripped.
5. **Spaced-out words** ("р а б о т а", "w.o.r.k", "р-а-б-о-т-а"): four or more single
   letters separated by one space, dot, hyphen, ``*`` or ``_`` are joined. Three or fewer
   are left alone, because Russian/Ukrainian/Polish have one-letter words (в, и, я, z, w).
6. **Look-alike folding**, per token (a run of letters and digits): a token that mixes
   Latin, Cyrillic and Greek letters is folded toward its *dominant* script: the script
   with the most letters that have no look-alike in the others (so "pаypal" -> Latin,
   "рaбота" -> Cyrillic); if every letter has a look-alike, the script with most letters;
   ties go Cyrillic > Latin > Greek. Digit runs *inside* a word ("раб0та", "w0rk") become
   letters of the dominant script when every digit of the run has a look-alike there
   (0 -> o/о; Cyrillic 3 -> з, 4 -> ч, 6 -> б; Latin 1 -> i, 3 -> e, 4 -> a, 5 -> s,
   7 -> t). Digits at a token's edge ("mp3", "4g", "covid19") are kept.
7. **Repeated letters** (three or more of the same letter, "рааабота", "ооочень") squeeze to
   one. Digits are never squeezed ("1000") and ``w`` is exempt ("www").

Emoji and other symbols are **kept** unchanged (the emoji in "💰💰 работа 🔥" is a useful
signal for scoring); only the invisible variation selectors and joiners inside emoji
sequences go. Punctuation is kept (URLs, e-mails and prices remain matchable).

``obfuscation_stats`` / ``obfuscation_score`` / ``count_mixed_script_tokens`` report how
much hiding a text uses, for the "obfuscated words" scoring feature.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "ObfuscationStats",
    "count_mixed_script_tokens",
    "fold_lookalikes",
    "normalize",
    "obfuscation_score",
    "obfuscation_stats",
]

# --------------------------------------------------------------------------- tables

_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
_COMBINING = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_COMBINING_RE = re.compile(f"[{_COMBINING}]")
_STRIP_RE = re.compile(f"[{_INVISIBLE}{_COMBINING}]+")
_SPACE_RE = re.compile(r"\s+")

# one letter, then (separator + one letter) three or more times, as a whole "word"
_LETTER = r"[^\W\d_]"
_SPACED_RE = re.compile(rf"(?<!\w)(?<![.\-*_]){_LETTER}(?:[ .\-*_]{_LETTER}(?!\w)){{3,}}")
_SPACED_SEP_RE = re.compile(r"[ .\-*_]")
_REPEAT_RE = re.compile(r"([^\W\dw_])\1{2,}")

# lower-case look-alikes (the input is case-folded first, so upper-case look-alikes such
# as В/B, Н/H, М/M, Т/T arrive as в/b, н/h, м/m, т/t and are mapped here too)
_LAT_CYR = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "i": "і", "j": "ј", "k": "к",
    "m": "м", "o": "о", "p": "р", "s": "ѕ", "t": "т", "x": "х", "y": "у",
}  # fmt: skip
_CYR_LAT = {c: lat for lat, c in _LAT_CYR.items()}
_CYR_LAT.update({"ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h", "ӏ": "l", "ё": "ë"})
_GRK_LAT = {
    "α": "a", "β": "b", "ε": "e", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ζ": "z", "ω": "w",
}  # fmt: skip
_GRK_CYR = {
    "α": "а", "β": "в", "ε": "е", "η": "н", "ι": "і", "κ": "к", "μ": "м", "ο": "о",
    "ρ": "р", "τ": "т", "χ": "х", "γ": "у", "π": "п", "λ": "л",
}  # fmt: skip
_LAT_GRK = {lat: g for g, lat in _GRK_LAT.items()}
_CYR_GRK = {c: g for g, c in _GRK_CYR.items()}

_CYR, _LAT, _GRK = 0, 1, 2
_TO: dict[int, dict[int, str]] = {
    _CYR: str.maketrans({**_LAT_CYR, **_GRK_CYR}),
    _LAT: str.maketrans({**_CYR_LAT, **_GRK_LAT}),
    _GRK: str.maketrans({**_LAT_GRK, **_CYR_GRK}),
}
_DIGITS: dict[int, dict[str, str]] = {
    _CYR: {"0": "о", "3": "з", "4": "ч", "6": "б"},
    _LAT: {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"},
    _GRK: {"0": "ο"},
}
_AMBIGUOUS = frozenset(_LAT_CYR) | frozenset(_CYR_LAT) | frozenset(_GRK_LAT) | frozenset(_GRK_CYR)

_CYR_CHARS = "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"
_LAT_CHARS = "a-z\u00c0-\u024f\u1e00-\u1eff"
_GRK_CHARS = "\u0370-\u03ff\u1f00-\u1fff"


def _script_of(ch: str) -> int:
    found = _SCRIPT_INFO.get(ch)
    return -1 if found is None else found[0]


_INNER_DIGITS_RE = re.compile(rf"(?<={_LETTER})\d+(?={_LETTER})")
# cheap two-class patterns that locate suspect tokens (see _suspect_spans)
_HAS_LAT_RE = re.compile(f"[{_LAT_CHARS}]")
_HAS_CYR_RE = re.compile(f"[{_CYR_CHARS}]")
_HAS_GRK_RE = re.compile(f"[{_GRK_CHARS}]")
_LAT_THEN_OTHER_RE = re.compile(rf"[{_LAT_CHARS}]\d*[{_CYR_CHARS}{_GRK_CHARS}]")
_OTHER_THEN_LAT_RE = re.compile(rf"[{_CYR_CHARS}{_GRK_CHARS}]\d*[{_LAT_CHARS}]")
_HAS_DIGIT_RE = re.compile(r"\d")
_DIGIT_RUN_RE = re.compile(r"\d+")
_TRIPLE_RE = re.compile(r"(.)\1\1")
_ALNUM_RUN_RE = re.compile(r"[^\W_]+")


_CYR_THEN_GRK_RE = re.compile(rf"[{_CYR_CHARS}]\d*[{_GRK_CHARS}]|[{_GRK_CHARS}]\d*[{_CYR_CHARS}]")


def _suspect_spans(text: str) -> list[tuple[int, int]]:
    """Spans of tokens that mix scripts or hide letters as digits (sorted, distinct).

    A token with letters of two scripts always has two letters of different scripts
    next to each other (or with only digits between), so cheap two-class patterns find
    every such token without scanning each word with look-aheads. A token is a run of
    ``str.isalnum()`` characters (what re calls a word character, less ``_``); the positions found are visited in
    order and those inside the token just found are skipped.
    """
    has_lat = _HAS_LAT_RE.search(text) is not None
    has_cyr = _HAS_CYR_RE.search(text) is not None
    has_grk = _HAS_GRK_RE.search(text) is not None
    patterns: list[re.Pattern[str]] = []
    if has_lat and (has_cyr or has_grk):
        patterns += (_LAT_THEN_OTHER_RE, _OTHER_THEN_LAT_RE)
    if has_cyr and has_grk:
        patterns.append(_CYR_THEN_GRK_RE)
    found = [m.start() for p in patterns for m in p.finditer(text)]
    if _HAS_DIGIT_RE.search(text) is not None:
        n = len(text)
        for m in _DIGIT_RUN_RE.finditer(text):  # a digit run between two letters
            start, end = m.span()
            if start > 0 and end < n and text[start - 1].isalpha() and text[end].isalpha():
                found.append(start)
    if not found:
        return []
    spans: list[tuple[int, int]] = []
    end = -1
    token_end = _ALNUM_RUN_RE.match
    for i in sorted(found):
        if i < end:  # inside the token just found
            continue
        start = i
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        # a few characters of the script ranges are no letters ("×", Greek ";"): the
        # token then ends there
        m = token_end(text, i)
        end = i if m is None else m.end()
        if not spans or spans[-1] != (start, end):
            spans.append((start, end))
    return spans


_SCRIPT_RANGES = (
    (0x0400, 0x052F, _CYR), (0x1C80, 0x1C8F, _CYR), (0x2DE0, 0x2DFF, _CYR),
    (0xA640, 0xA69F, _CYR), (ord("a"), ord("z"), _LAT), (0x00C0, 0x024F, _LAT),
    (0x1E00, 0x1EFF, _LAT), (0x0370, 0x03FF, _GRK), (0x1F00, 0x1FFF, _GRK),
)  # fmt: skip
# character -> (script, has no look-alike in the other scripts); built once
_SCRIPT_INFO: dict[str, tuple[int, bool]] = {
    chr(o): (script, chr(o) not in _AMBIGUOUS)
    for lo, hi, script in _SCRIPT_RANGES
    for o in range(lo, hi + 1)
}


def _dominant(token: str) -> int:
    strong = [0, 0, 0]
    weak = [0, 0, 0]
    info = _SCRIPT_INFO
    for ch in token:
        found = info.get(ch)
        if found is None:
            continue
        weak[found[0]] += 1
        if found[1]:
            strong[found[0]] += 1
    counts = strong if any(strong) else weak
    # ties: Cyrillic > Latin > Greek (max() keeps the first maximum)
    return max((_CYR, _LAT, _GRK), key=lambda s: counts[s])


def _fold_token(token: str) -> str:
    script = _dominant(token)
    folded = token.translate(_TO[script])
    if folded.isalpha():
        return folded
    digits = _DIGITS[script]

    def digit_run(m: re.Match[str]) -> str:
        run = m.group()
        if all(d in digits for d in run):
            return "".join(digits[d] for d in run)
        return run

    return _INNER_DIGITS_RE.sub(digit_run, folded)


def _join_spaced(m: re.Match[str]) -> str:
    return _SPACED_SEP_RE.sub("", m.group())


# small capitals and other letter-shaped IPA/phonetic letters that NFKC leaves alone but
# spammers use as Latin look-alikes ("мᴇxᴄ"): mapped to the plain Latin letter first
_SMALL_CAPS = {
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s",
    "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ɑ": "a", "ɡ": "g", "ı": "i",
}  # fmt: skip
_SMALL_CAPS_TABLE = str.maketrans(_SMALL_CAPS)
_SMALL_CAPS_RE = re.compile("[" + "".join(_SMALL_CAPS) + "]")


def _nfkc_casefold(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text).casefold()
    if _SMALL_CAPS_RE.search(text) is not None:
        text = text.translate(_SMALL_CAPS_TABLE)
    return _STRIP_RE.sub("", text)


def fold_lookalikes(text: str) -> str:
    """Only step 6 of :func:`normalize` (expects case-folded text)."""
    spans = _suspect_spans(text)
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(_fold_token(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


def normalize(text: str) -> str:
    """Return ``text`` normalised for matching (see the module docstring)."""
    text = " ".join(_nfkc_casefold(text).split())  # same whitespace set as re's \s
    text = fold_lookalikes(_SPACED_RE.sub(_join_spaced, text))
    # Squeezing a run can leave a lone letter that now joins its spaced-out neighbours
    # ("a.c.c.ааа" -> "a.c.c.а" -> "acca"): repeat until nothing changes. Every round
    # shortens the text, so this ends; almost all texts take the first exit.
    #
    # A run of three that squeezes nothing ("...", "!!!", "000", "www": nine in ten of
    # them) ends the loop at once: joining and folding give their own output back
    # (both are idempotent, and folding never makes a lone letter: it keeps every
    # character's length and word-ness and never changes a one-character token), so
    # the round would give ``text`` and stop there anyway.
    while _TRIPLE_RE.search(text) is not None:
        repeated = _REPEAT_RE.sub(r"\1", text)
        if repeated == text:
            break
        squeezed = fold_lookalikes(_SPACED_RE.sub(_join_spaced, repeated))
        if squeezed == text:
            break
        text = squeezed
    return text


# --------------------------------------------------------------------------- stats


@dataclasses.dataclass(frozen=True, slots=True)
class ObfuscationStats:
    """How much word hiding a text uses (counts, before normalisation)."""

    tokens: int
    mixed_script_tokens: int
    digit_in_word_tokens: int
    invisible_chars: int
    combining_marks: int
    spaced_out_words: int

    @property
    def score(self) -> float:
        """0.0 (plain) .. 1.0 (heavily hidden): share of hidden words, any hiding >= 0.25."""
        hidden = (
            self.mixed_script_tokens
            + self.digit_in_word_tokens
            + self.spaced_out_words
            + (1 if self.invisible_chars else 0)
            + (1 if self.combining_marks else 0)
        )
        if hidden == 0:
            return 0.0
        return min(1.0, 0.25 + 0.75 * hidden / max(self.tokens, 1))


_TOKEN_RE = re.compile(r"[^\W_]+")


def _count(pattern: re.Pattern[str], text: str, keep: Callable[[str], bool]) -> int:
    return sum(1 for m in pattern.finditer(text) if keep(m.group()))


def obfuscation_stats(text: str) -> ObfuscationStats:
    """Count the hiding tricks that :func:`normalize` undoes in ``text``."""
    invisible = len(_INVISIBLE_RE.findall(text))
    combining = len(_COMBINING_RE.findall(unicodedata.normalize("NFC", text)))
    folded = _SPACE_RE.sub(" ", _nfkc_casefold(text))
    mixed = 0
    digit = 0
    for start, end in _suspect_spans(folded):
        token = folded[start:end]
        scripts = {_script_of(ch) for ch in token} - {-1}
        if len(scripts) > 1:
            if token.translate(_TO[_dominant(token)]) != token:
                mixed += 1
        elif _fold_token(token) != token:
            digit += 1
    spaced = len(_SPACED_RE.findall(folded))
    return ObfuscationStats(
        tokens=len(_TOKEN_RE.findall(folded)),
        mixed_script_tokens=mixed,
        digit_in_word_tokens=digit,
        invisible_chars=invisible,
        combining_marks=combining,
        spaced_out_words=spaced,
    )


def count_mixed_script_tokens(text: str) -> int:
    """Number of words mixing look-alike letters of Latin, Cyrillic and Greek."""
    return obfuscation_stats(text).mixed_script_tokens


def obfuscation_score(text: str) -> float:
    """Shortcut for ``obfuscation_stats(text).score``."""
    return obfuscation_stats(text).score
