"""Mark the words that made a post score, without ever producing HTML.

Returns (text, marked) segments of the ORIGINAL text; the template escapes each
segment and wraps marked ones in <mark>. Matching is done on normalised words, so
look-alike letters and case do not hide a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from opennrm.monitoring import normalize

_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTED = re.compile(r'"([^"]+)"')


def reason_terms(reasons: Iterable[Mapping[str, Any]]) -> set[str]:
    terms: set[str] = set()
    for reason in reasons:
        if reason.get("kind") == "model":
            fragment = str(reason.get("id", "")).strip()
            if len(fragment) >= 3:
                terms.add(normalize(fragment))
        for quoted in _QUOTED.findall(str(reason.get("text", ""))):
            terms.update(w for w in normalize(quoted).split() if len(w) >= 3)
    return {t for t in terms if t}


def segments(text: str, terms: set[str]) -> list[tuple[str, bool]]:
    if not terms:
        return [(text, False)]
    out: list[tuple[str, bool]] = []
    last = 0
    for match in _WORD.finditer(text):
        word = normalize(match.group())
        if any(term in word or word in term for term in terms if len(word) >= 3):
            if match.start() > last:
                out.append((text[last : match.start()], False))
            out.append((match.group(), True))
            last = match.end()
    if last < len(text):
        out.append((text[last:], False))
    return out
