"""Language identification with lingua, restricted to the languages we monitor.

The detector is built once per process (a module-level lazy cache keyed by the language
set), so it is never pickled: a Dask worker that unpickles a task calling
:func:`detect_language` builds its own on first use. Texts with fewer than
``min_letters`` letters return ``None`` (too short to tell), as do texts lingua cannot
decide between the configured languages.

Low-accuracy mode (trigram models only) is the default: on the shared Russian Telegram
set it is several times faster and agrees with high-accuracy mode on the large majority
of messages (0.06 vs 0.22 ms per message; 95.7 % agreement on 13,202 messages, the
high-accuracy mode labels fewer short Russian messages Ukrainian); pass
``accurate=True`` to switch.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["DEFAULT_LANGUAGES", "detect_language"]

DEFAULT_LANGUAGES = ("uk", "ru", "pl", "ro", "en", "de")
_LETTER_RE = re.compile(r"[^\W\d_]")
_URLISH_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\S+@\S+|@\w+|t\.me/\S+")


@functools.lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...], accurate: bool) -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages
    ]
    builder = LanguageDetectorBuilder.from_languages(*langs)
    if not accurate:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def detect_language(
    text: str,
    languages: Iterable[str] = DEFAULT_LANGUAGES,
    *,
    min_letters: int = 10,
    accurate: bool = False,
) -> str | None:
    """ISO 639-1 code of ``text``'s language among ``languages``, or ``None``.

    URLs, e-mail addresses and @handles are ignored; fewer than ``min_letters`` letters
    left means ``None``.
    """
    cleaned = _URLISH_RE.sub(" ", text)
    if not any(i + 1 >= min_letters for i, _ in enumerate(_LETTER_RE.finditer(cleaned))):
        return None
    codes = tuple(sorted(code.lower() for code in languages))
    found = _detector(codes, accurate).detect_language_of(cleaned)
    if found is None:
        return None
    return str(found.iso_code_639_1.name.lower())
