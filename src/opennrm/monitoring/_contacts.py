"""Phone numbers, web addresses and e-mails in a post, written the many ways people write them.

Recall first: a trafficker's number that does not validate is still a lead, so every
plausible phone candidate is kept. A candidate that some region parses as a valid number
becomes E.164 (``verified``); any other is kept as its digits with a ``confidence`` in
[0, 1] (``unverified``). What is tolerated:

* phones: spaces, dots, dashes, slashes and brackets between digits; numbers glued to
  words ("No-6200992462", "тел0971234567"); lists ("9891943823,9891943780",
  "050 123 45 67 / 067 765 43 21"); digits written with look-alike letters ("O5O",
  "l23"), with words ("ноль девять семь ..."; ru, uk, en, pl, ro) or as emoji, circled,
  full-width or other Unicode digits; dates, times, amounts of money and thousands
  ("1 000 000") are not phones;
* web: "http://", "https://" and "www." addresses, repaired broken schemes ("http:/x",
  "http//x", "hxxp://x", "http:// 1.2.3.4"), spaced or written-out dots ("wap. mobsi.com",
  "site . com", "site[.]com", "site dot com"), bare domains whose suffix is on the public
  suffix list (the ``publicsuffixlist`` package ships its snapshot and is never asked to
  fetch one), IPv4 addresses;
* e-mails: also "name (at) host.com", "name [at] host [dot] com", "name @ host.com".

Bare domains with a suffix that is also a common file extension or an everyday English
word ("readme.md", "setup.py", "self.name") need a sign that they are addresses ("www.",
a path): that keeps the extractor quiet on ordinary technical chat.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = [
    "PhoneCandidate",
    "WebAddress",
    "find_emails",
    "find_phones",
    "find_short_codes",
    "find_web",
    "might_have_web",
    "prepare_digits",
    "repair_spacing",
]


@dataclasses.dataclass(frozen=True, slots=True)
class PhoneCandidate:
    """A phone number as written; ``e164`` when some region validates it."""

    text: str
    digits: str
    e164: str | None
    confidence: float

    @property
    def verified(self) -> bool:
        return self.e164 is not None

    @property
    def value(self) -> str:
        """E.164 when verified, else the digits as written (with "+" if it had one)."""
        return self.e164 if self.e164 is not None else self.digits


# --------------------------------------------------------------------------- digits

_CIRCLED = {
    **{chr(0x2460 + i): str(i + 1) for i in range(9)},  # ① .. ⑨
    **{chr(0x2776 + i): str(i + 1) for i in range(9)},  # ❶ .. ❾
    **{chr(0x2780 + i): str(i + 1) for i in range(9)},  # ➀ .. ➈
    **{chr(0x278A + i): str(i + 1) for i in range(9)},  # ➊ .. ➒
    "\u24ea": "0",  # ⓪
    "\u24ff": "0",  # ⓿
    "\u2070": "0",
    "\u00b9": "1",
    "\u00b2": "2",
    "\u00b3": "3",
    **{chr(0x2074 + i): str(i + 4) for i in range(6)},  # ⁴ .. ⁹
}
# other decimal digits people paste: full-width, mathematical (bold, double-struck, ...),
# segmented (🯰..🯹), Arabic-Indic, Devanagari; plus the keycap emoji's two marks
_FANCY_DIGIT_RE = re.compile(
    "[\uff10-\uff19\U0001d7ce-\U0001d7ff\U0001fbf0-\U0001fbf9\u0660-\u0669\u06f0-\u06f9"
    "\u0966-\u096f\ufe0f\u20e3" + "".join(_CIRCLED) + "]"
)


def _fancy(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in ("\ufe0f", "\u20e3"):  # keycap emoji: "1" + VS16 + COMBINING ENCLOSING KEYCAP
        return ""
    if ch in _CIRCLED:
        return _CIRCLED[ch]
    return str(unicodedata.decimal(ch, 0))


_NUMBER_WORDS = {
    "0": "ноль нуль zero zerro zero",
    "1": "один одна одын jeden jedna one unu",
    "2": "два две дві dwa two doi două doua",
    "3": "три трi trzy three trei",
    "4": "четыре чотири cztery four patru",
    "5": "пять п'ять пʼять пять pięć piec five cinci",
    "6": "шесть шість sześć szesc six șase sase şase",
    "7": "семь сім siedem seven șapte sapte şapte",
    "8": "восемь вісім osiem eight opt",
    "9": "девять дев'ять девʼять dziewięć dziewiec nine nouă noua",
}
_WORD_DIGIT = {w: d for d, words in _NUMBER_WORDS.items() for w in words.split()}
_NUMWORD = "|".join(sorted(map(re.escape, _WORD_DIGIT), key=len, reverse=True))


def _trie(words: Iterable[str]) -> str:
    """An alternation of literal words factored as a trie (``re`` skips ahead fast)."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        keys = sorted(k for k in node if k)
        if not keys:
            return ""
        alts = [re.escape(k) + build(node[k]) for k in keys]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(tree)


# a cheap pre-filter on the lower-cased text: a number word followed by another or digits
_NUMWORD_ANY_RE = re.compile(_trie(_WORD_DIGIT) + r"[\s,.\-]{1,3}(?:\d|" + _trie(_WORD_DIGIT) + ")")
# three or more number words / digit groups in a row, at least one of them a word
_NUMWORD_RUN_RE = re.compile(
    rf"(?i)(?<!\w)(?:(?:{_NUMWORD}|\d+)(?:[\s,.\-]{{1,3}}|$)){{3,}}(?:{_NUMWORD}|\d+)?(?!\w)"
)
_TOKEN_SPLIT_RE = re.compile(r"[\s,.\-]+")

# letters that stand in for digits inside a digit run ("O5O", "l23", "тел. 0ЗЗ")
_LOOKALIKE_DIGITS = str.maketrans(
    {"O": "0", "o": "0", "О": "0", "о": "0", "l": "1", "I": "1", "|": "1", "і": "1", "З": "3"}
)
_LOOKALIKE_RUN_RE = re.compile(r"(?<![^\W\d_])[\dOoОоlIіЗ|]*\d[\dOoОоlIіЗ|]*(?![^\W\d_])")
_HAS_LOOKALIKE_RE = re.compile(r"\d(?:[OoОоlIіЗ|]|(?<=[OoОоlIіЗ|]\d))")


def _number_words(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        tokens = [t for t in _TOKEN_SPLIT_RE.split(m.group()) if t]
        if not any(not t.isdigit() for t in tokens):
            return m.group()
        digits = "".join(t if t.isdigit() else _WORD_DIGIT[t.lower()] for t in tokens)
        if len(digits) < 7:
            return m.group()
        return " " + digits + " "

    return _NUMWORD_RUN_RE.sub(repl, text)


def prepare_digits(text: str, lower: str | None = None) -> str:
    """``text`` with every way of writing a digit turned into an ASCII digit.

    ``lower`` is ``text.lower()`` if the caller has it already.
    """
    if _NUMWORD_ANY_RE.search(text.lower() if lower is None else lower):
        text = _number_words(text)
    if not text.isascii():
        text = _FANCY_DIGIT_RE.sub(_fancy, text)
    if _HAS_LOOKALIKE_RE.search(text):
        text = _LOOKALIKE_RUN_RE.sub(lambda m: m.group().translate(_LOOKALIKE_DIGITS), text)
    return text


# --------------------------------------------------------------------------- phones

# a digit run of 7+ digits with separators; letters may touch it ("No-6200992462")
# Not after "/" or "@" (a path, a user name), except one plain run of digits after a word's
# slash ("Tanvi/9953921288"; not "Vista/7/2003/2008", not "FV/2024/11/0012345") or after an
# "@" with no e-mail domain after it ("Call MS @9717470558", "call@9250230534": a handle never
# starts with a digit).
_PHONE_RUN_RE = re.compile(
    r"(?<![\d/=&#?%_@])(?:\+\s?|00)?(?:\(\s?)?\d(?:(?:[ \u00a0\-.()/\\]|\s){0,3}\d){6,}"
    r"|(?:(?<=[^\W\d_]/)|(?<=@))\d{7,15}(?![\d/]|\.[^\W\d_])"
)
_PHONE_HINT_RE = re.compile(r"\d(?:\D{0,3}\d){6}")
_NON_DIGIT_RE = re.compile(r"\D")
_FRACTION_RE = re.compile(r"^[1-9]\d{0,2}[.,]\d{5,}$")
_DECIMAL_AFTER_RE = re.compile(r"^[.,]\d{1,3}(?!\d)")
_EMAIL_LOCAL_AFTER_RE = re.compile(r"(?i)\s?(?:@|[\[(]\s?(?:at|собака)\s?[\])])")
# names of files, not sites ("readme.md", "index.html")
_FILE_NAMES = frozenset(
    [
        "readme",
        "changelog",
        "license",
        "contributing",
        "index",
        "main",
        "setup",
        "manage",
        "config",
        "settings",
        "app",
        "package",
        "requirements",
        "install",
        "todo",
        "notes",
        "docs",
        "script",
        "test",
        "tests",
        "build",
        "makefile",
    ]
)
_EMAIL_HOST_BEFORE_RE = re.compile(r"(?i)(?:@|[\[(]\s?(?:at|собака)\s?[\])])\s?$")
_DATE_RE = re.compile(
    r"^(?:\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)?\d\d|(?:19|20)\d\d[./\-]\d{1,2}[./\-]\d{1,2})"
    r"(?:\s*[\-–]\s*\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)?\d\d)?$"
)
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:[ \u00a0.,]\d{3})+$")
_MONEY_AFTER_RE = re.compile(
    r"(?i)^\s?(?:[$€£₴₽]|k\b|к\b|тыс|тис|tys|руб|р\.|грн|гривен|гривень|uah|usd|eur|евро|євро"
    r"|zł|zl\b|pln|lei|ron|dol|дол|бакс|mln|млн|шт|pcs|km|км|кг|kg|m2|м2)"
)
# identifiers that look like phones: tax and company numbers, bank accounts, orders (each a
# word of its own: "camcorder call 0800…" is not an order number)
_ID_BEFORE_RE = re.compile(
    r"(?i)(?<![^\W\d_])(?:инн|кпп|огрн|бик|єдрпоу|едрпоу|р/с|рахун|счет|счёт|nip|regon|pesel|krs|iban|cui"
    r"|cnp|order|invoice|faktur|заказ|замовлен|zamówien|№|#)\W{0,3}(?:\w+\W{1,3}){0,1}$"
)
# words that say the number is a phone (not "номер", "nr", "no": a number of anything)
_PHONE_WORD_RE = re.compile(
    r"(?i)(?:тел|phone|call|tel\b|mob|моб|звон|дзвон|viber|вайбер|вібер|whats|ватсап|вотсап"
    r"|sms|смс|text|txt|telefon|sun[aă]|dzwo|ring)[^\d]{0,20}$"
)
_MONEY_BEFORE_RE = re.compile(r"(?i)(?:[$€£₴₽]|usd|eur|uah|pln|rub)\s?$")
_CONTEXT_RE = re.compile(
    r"(?i)(?:тел|phone|call|tel|mob|моб|звон|дзвон|номер|numer|număr|numar|nr\b|no\b|viber|вайбер|вібер|whats|"
    r"ватсап|вотсап|sms|смс|text|txt|contact|контакт|kontakt|telefon|sun[aă]|dzwo|пиш|напиш"
    r"|wa\b|ring)[^\d]{0,20}$"
)
_NATIONAL_GROUPING_RE = re.compile(r"^(?:\+?\d{1,4}[\s\-.]?)?\(?\d{2,5}\)?(?:[\s\-.]\d{2,4}){1,4}$")


_NO_TRUNK_REGIONS = frozenset(
    {"US", "CA", "IN", "IT", "ES", "PT", "DK", "NO", "GR", "CZ", "SK", "LU"}
)


@functools.lru_cache(maxsize=8192)
def parse_phone(digits: str, international: bool, regions: tuple[str, ...]) -> str | None:
    """E.164 of a valid reading of ``digits`` (see :mod:`opennrm.monitoring.extract`)."""
    import phonenumbers  # only when a candidate needs it

    tries: list[tuple[str, str | None]]
    if international:
        tries = [("+" + digits, None)]
    elif digits.startswith("0"):
        tries = [(digits, r) for r in regions if r != "PL"]
        if "PL" in regions and len(digits) == 10:
            tries.append((digits[1:], "PL"))  # a Polish number written with a stray 0
    else:
        tries = [(digits, "PL")] if "PL" in regions and len(digits) == 9 else []
        if len(digits) == 11 and digits[0] == "8":
            # the long-distance "8" of the former Soviet dialling plan, still how most
            # Russian and many Ukrainian posts write a number: "8 067 …" is the national
            # number "067 …" (UA, MD: trunk "0"), "8 916 …" is +7 916 … (RU, KZ: trunk "8")
            if digits[1] == "0":
                tries.extend((digits[1:], r) for r in regions if r != "PL")
            else:
                tries.append(("+7" + digits[1:], None))
        tries.append(("+" + digits, None))
        # countries where numbers are written without a trunk "0" (RU: a 10-digit "9..")
        tries.extend(
            (digits, r)
            for r in regions
            if r in _NO_TRUNK_REGIONS or (r == "RU" and len(digits) == 10 and digits[0] == "9")
        )
    valid = []
    for number, region in tries:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            valid.append(parsed)
    if not valid:
        return None
    mobile = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    best = next((p for p in valid if phonenumbers.number_type(p) in mobile), valid[0])
    return str(phonenumbers.format_number(best, phonenumbers.PhoneNumberFormat.E164))


def _split_run(raw: str) -> list[str]:
    """One digit run split into numbers: lists ("050 123 45 67 / 067 ...") become several.

    Groups of digits are taken while the number stays at most 15 digits; a number ends
    early where a new group starts with "0" or "+" after 9 or more digits, or at a "/"
    or "\\" or a wide gap after 7 or more digits.
    """
    parts = re.findall(r"(\D*)(\d+)", raw)
    out: list[str] = []
    cur = ""
    count = 0
    for sep, digits in parts:
        wide = "/" in sep or "\\" in sep or (len(sep.strip(" ")) == 0 and len(sep) >= 2)
        starts_new = digits[0] == "0" or "+" in sep
        if cur and (
            count + len(digits) > 15
            or (count >= 7 and wide)
            or (count >= 9 and starts_new and len(digits) >= 2)
        ):
            out.append(cur)
            cur, count = "", 0
        cur += (sep if cur else sep.lstrip(" ")) + digits
        count += len(digits)
    if cur:
        out.append(cur)
    return out


def find_phones(
    text: str,
    regions: tuple[str, ...],
    *,
    masked: Iterable[tuple[int, int]] = (),
    extra_regions: tuple[str, ...] = (),
) -> list[PhoneCandidate]:
    """Every plausible phone number in ``text`` (already passed through ``prepare_digits``).

    ``masked`` spans (web addresses) are skipped. ``extra_regions`` (countries named in the
    text) are tried after ``regions``.
    """
    if _PHONE_HINT_RE.search(text) is None:
        return []
    spans = list(masked)
    all_regions = regions + tuple(r for r in extra_regions if r not in regions)
    found: list[PhoneCandidate] = []
    for m in _PHONE_RUN_RE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        whole = m.group().strip()
        before = text[max(0, m.start() - 24) : m.start()]
        after = text[m.end() : m.end() + 8]
        if _DECIMAL_AFTER_RE.match(after):
            continue  # a decimal fraction or an amount with separators
        context = _CONTEXT_RE.search(before) is not None
        for raw in _split_run(whole):
            cand = _candidate(raw, before, after, context, all_regions)
            if cand is not None:
                found.append(cand)
    return found


# A service short code (4-6 digits) that a message asks to text or call: "Send STOP to
# 62468", "txt MUSIC to 87066", "Txt word: COLLECT to No: 83355", "text money 2 88600",
# "отправьте SMS на номер 7132", "надішліть на 5533", "wyślij SMS
# na 7155", "trimite la 1234". A premium-rate line is the sender's contact as much as a
# phone number is. Kept unverified (no region validates it), confidence 0.6.
_SHORT_CODE_RE = re.compile(
    r"(?i)\b(?:send|text\w*|txt\w*|reply|rply|opt\s?out|sms|смс|отправ\w*|надішл\w*|надсил\w*"
    r"|пиш\w*|напиш\w*|wyślij|wyslij|napisz|trimite)\b(?:[^\n.!?\d]|(?<=[^\W\d_])\d){0,40}?"
    r"\b(?:to|на|na|la|2)\s?"
    r"(?:(?:номер\w*|number|numer\w*|număr\w*|numar\w*|nr\.?|no\.?)\s?)?:?\s?(\d{4,6})(?![\d.,:/-]?\d)"
    r"|(?i:\b(?:call|dial|ring|text|txt|sms|смс|звони\w*|дзвони\w*|sunați|sunati)\s?:?\s?)"
    r"(\d{4,6})(?![\d.,:/-]?\d)"
)
SHORT_CODE_CONFIDENCE = 0.6


def find_short_codes(text: str, *, masked: Iterable[tuple[int, int]] = ()) -> list[PhoneCandidate]:
    """Service short codes the text asks to text or call (see ``_SHORT_CODE_RE``), not an
    amount ("send 50 to 1234 £" is cut by the currency check) nor inside an address."""
    spans = list(masked)
    out: list[PhoneCandidate] = []
    for m in _SHORT_CODE_RE.finditer(text):
        group = 1 if m.group(1) else 2
        start, end = m.span(group)
        if any(a <= start < b for a, b in spans):
            continue
        after = text[end : end + 8]
        if _MONEY_AFTER_RE.match(after) or _MONEY_BEFORE_RE.search(text[max(0, start - 6) : start]):
            continue
        digits = m.group(group)
        if len(digits) == 4 and 1950 <= int(digits) <= 2049:
            continue  # a year ("пиши на 2024 год")
        out.append(PhoneCandidate(digits, digits, None, SHORT_CODE_CONFIDENCE))
    return out


def _candidate(
    raw: str, before: str, after: str, context: bool, regions: tuple[str, ...]
) -> PhoneCandidate | None:
    raw = raw.strip(" -.()/\\")
    international = raw.startswith(("+", "00"))
    digits = _NON_DIGIT_RE.sub("", raw)
    if raw.startswith("00"):
        digits = digits[2:]
    if not 7 <= len(digits) <= 15:
        return None
    if _DATE_RE.match(raw) or _FRACTION_RE.match(raw):
        return None
    money = _MONEY_AFTER_RE.match(after) is not None or _MONEY_BEFORE_RE.search(before)
    if money or _ID_BEFORE_RE.search(before):
        return None
    e164 = parse_phone(digits, international, regions) if len(digits) >= 8 else None
    # "1 500 000" is an amount; "605 444 333" (Polish style) is a phone if it parses
    amount_like = _THOUSANDS_RE.match(raw) is not None and not context
    if amount_like and (e164 is None or len(digits) < 9 or raw.endswith("00")):
        return None
    if e164 is not None:
        return PhoneCandidate(raw, digits, e164, 1.0)
    if len(digits) <= 8:
        # short numbers are mostly something else (ids, counts) unless written as a phone:
        # after a word for calling or a phone ("call 67441233", "тел. 2345678") one is kept,
        # after a word for any number ("номер зачётки 20191234") not
        confidence = 0.3 + (0.2 if _PHONE_WORD_RE.search(before) else 0.15 if context else 0.0)
    else:
        confidence = 0.5 + (0.1 if len(digits) <= 13 else 0.0) + (0.3 if context else 0.0)
        if _NATIONAL_GROUPING_RE.match(raw) and raw != digits:
            confidence += 0.1
        if international or digits.startswith("0"):
            confidence += 0.1
    shown = ("+" if international else "") + digits
    return PhoneCandidate(raw, shown, None, round(min(confidence, 0.95), 2))


# --------------------------------------------------------------------------- web

# suffixes that are also file extensions or everyday words: a bare "x.md" or "x.name" needs
# "www." or a path to count as an address (Moldova's .md sites mostly come with one)
_AMBIGUOUS_SUFFIXES = frozenset(
    [
        "py",
        "sh",
        "rs",
        "js",
        "ts",
        "cs",
        "go",
        "zip",
        "mov",
        "txt",
        "csv",
        "doc",
        "pdf",
        "png",
        "jpg",
        "exe",
        "app",
        "dev",
        "name",
        "link",
        "click",
        "next",
        "run",
        "page",
        "book",
        "live",
        "news",
        "blog",
        "mobi",
        "tel",
    ]
)
# country codes that are also everyday short words in the languages monitored (en "me",
# "it", "so", "my", "is", "to"; ro/pl "de", "la", "nu", "si", "do"): chat that leaves out
# the space after a full stop ("Stupid.it is not possible", "message.it k da", "lar. Me
# watching tv") reads as a bare domain. Bare, such a name followed by more of the sentence
# needs "www.", a scheme or a path to count ("repack.me?", "stake777.us and" still count);
# bare ".xxx" (kisses at the end of an English text message) always does.
_WORDLIKE_SUFFIXES = frozenset(
    [
        "am",
        "as",
        "at",
        "be",
        "by",
        "cu",
        "de",
        "do",
        "go",
        "id",
        "in",
        "is",
        "it",
        "la",
        "ma",
        "me",
        "my",
        "na",
        "no",
        "nu",
        "pa",
        "pe",
        "re",
        "se",
        "si",
        "so",
        "st",
        "to",
        "tv",
        "us",
        "xxx",
    ]
)
_WORD_AFTER_RE = re.compile(r"(?:\s+|['’])[^\W\d_]")


def _sentence_goes_on(host: str, text: str, end: int) -> bool:
    """A bare "name.it" that reads as two words of a sentence: one plain word (no digit, no
    hyphen) before the dot, and the sentence going on after it ("Stupid.it is not",
    "thangam.it's my")."""
    first, _, rest = host.partition(".")
    if "." in rest or any(c.isdigit() or c == "-" for c in first):
        return False  # "x.t.me", "stake777.us and": names
    return _WORD_AFTER_RE.match(text, end) is not None


# suffixes accepted bare (common generic ones and every two-letter country code)
_COMMON_SUFFIXES = frozenset(
    [
        "com",
        "net",
        "org",
        "info",
        "biz",
        "edu",
        "gov",
        "mil",
        "int",
        "eu",
        "asia",
        "top",
        "xyz",
        "online",
        "site",
        "shop",
        "club",
        "work",
        "jobs",
        "pro",
        "store",
        "tech",
        "space",
        "website",
        "icu",
        "vip",
        "fun",
        "life",
        "world",
        "today",
        "group",
        "agency",
        "email",
        "ltd",
        "company",
        "money",
        "cash",
        "bet",
        "casino",
        "win",
        "porn",
        "xxx",
        "sex",
        "adult",
        "dating",
        "love",
        "ru",
        "рф",
        "укр",
        "рус",
        "бел",
        "срб",
    ]
)

_DOT = r"(?:\s?\.\s?|\s?\[\.\]\s?|\s?\(\.\)\s?|\s?[\[(]dot[\])]\s?|\s(?:dot|точка|крапка|kropka|punct)\s)"
_COMMON_TLD_ALT = "com|net|org|info|biz|ru|ua|pl|ro|md|de|eu|uk|co\\.uk|com\\.ua|io|me|online|site"
# "site . com", "site[.]com", "site dot com", "wap. mobsi.com"
_SPACED_DOT_RE = re.compile(
    rf"(?i)(?<![\w.@-])([a-z0-9][a-z0-9-]{{0,62}}){_DOT}(?=(?:{_COMMON_TLD_ALT})(?![\w-]))"
    rf"|(?i:(?<![\w.@-])(www|wap|m|mobile))\.\s+(?=[a-z0-9-]+\.[a-z]{{2,}})"
)
_SCHEME_RE = re.compile(
    r"(?i)\bh(?:tt|xx)ps?\s?(?::\s?[/\\]{1,3}|[/\\]{2}|:)\s?(?=[\w\[])"
    r"|\bwww\d?\s?\.\s?(?=\w)"
)
# a host-like token: dotted labels (the last one not all digits), or an IPv4 address; found
# from word starts only, so a long text costs one linear scan
_HOSTISH_RE = re.compile(r"(?<![\w.\-])(?:[^\W_][\w\-]*\.)+[^\W_][\w\-]*")
_TLD_RE = re.compile(r"(?i)(?:[a-z]{2,24}|xn--[a-z0-9\-]{2,59}|рф|укр|рус|бел|срб)")
_IP_OCTETS_RE = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
)
_SCHEME_BEFORE_RE = re.compile(r"(?i)h(?:tt|xx)ps?\s?(?::\s?[/\\]{1,3}|[/\\]{2}|:)\s?$")
_TAIL_RE = re.compile(r"(?P<port>:\d{2,5})?(?P<path>[/?#][^\s<>\"'«»]*)?")
_IPV4_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_TRAIL = ".,;:!?)]}»\"'"
# a dot (or a bracket) before Latin letters or a Cyrillic top-level domain
_WEB_HINT_RE = re.compile(r"[.\])]\s?(?:[a-zA-Z]{2}|рф|укр|рус|бел|срб)")
_WEB_WORDS = ("dot", "точка", "крапка", "kropka", "punct", "http", "hxxp")
# one search for all of them (one pass over the text instead of seven)
_WEB_WORDS_RE = re.compile("|".join(map(re.escape, _WEB_WORDS)))


@functools.lru_cache(maxsize=1)
def _psl() -> object:
    from publicsuffixlist import PublicSuffixList

    # the package's bundled snapshot; it never downloads anything itself
    return PublicSuffixList(accept_unknown=False)


@functools.lru_cache(maxsize=16384)
def public_suffix(host: str) -> str | None:
    """The public suffix of ``host`` if the list knows it and a name sits under it."""
    psl = _psl()
    try:
        suffix = psl.publicsuffix(host)  # type: ignore[attr-defined]
    except (ValueError, UnicodeError):  # pragma: no cover - malformed labels
        return None
    if not suffix or suffix == host:
        return None
    return str(suffix)


@dataclasses.dataclass(frozen=True, slots=True)
class WebAddress:
    url: str  # as found, with a repaired scheme ("http://...") when one was broken
    host: str  # lower case, without "www."
    span: tuple[int, int]
    bare: bool = False  # a bare domain: no scheme, no "www.", not an IP address


# after an explicit scheme, labels with a space after their dots ("http://img. sms. ac/W/")
_SCHEME_SPACED_RE = re.compile(
    r"(?i)(?<=://)(?:[a-z0-9][a-z0-9-]{0,62}\.\s)+[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]+)*(?=[/\s]|$)"
)


def repair_spacing(text: str) -> str:
    """Join addresses written with spaced or spelled-out dots ("wap. mobsi.com",
    "http://doit. mymoby. tv/"; after a scheme only when the joined name ends in a public
    suffix, so "http://site. Then" stays as it is)."""

    def join(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1) + "."
        return m.group(2) + "."

    def join_after_scheme(m: re.Match[str]) -> str:
        host = re.sub(r"\s+", "", m.group())
        return host if public_suffix(host.lower()) is not None else m.group()

    if "://" in text:
        text = _SCHEME_SPACED_RE.sub(join_after_scheme, text)
    return _SPACED_DOT_RE.sub(join, text)


def might_have_web(text: str, lower: str | None = None) -> bool:
    """A cheap test: ``False`` means :func:`find_web` finds nothing in ``text``."""
    if _WEB_HINT_RE.search(text) is not None:
        return True
    low = text.lower() if lower is None else lower
    return _WEB_WORDS_RE.search(low) is not None  # any of _WEB_WORDS in low


def _glued_suffix_cut(token: str) -> str | None:
    """An explicit address with text glued to its last label: the longest start of that label
    after which a digit or a capital begins ("com|1win", "net|UN") and that makes a name under
    a public suffix; None if there is none."""
    name, _dot, last = token.rpartition(".")
    for k in range(min(len(last) - 1, 24), 1, -1):
        head, nxt = last[:k], last[k]
        if not head.isalpha():
            continue
        if nxt.isdigit() or (nxt.isupper() and head[-1].islower()):
            cut = f"{name}.{head}"
            if public_suffix(cut.lower().removeprefix("www.")) is not None:
                return cut
    return None


def find_web(text: str) -> list[WebAddress]:
    """Web addresses and bare domains in ``text`` (after :func:`repair_spacing`)."""
    out: list[WebAddress] = []
    for m in _HOSTISH_RE.finditer(text):
        token = m.group().rstrip("-")
        start = m.start()
        sm = _SCHEME_BEFORE_RE.search(text, max(0, start - 12), start)
        scheme = sm.group() if sm is not None else ""
        tail = _TAIL_RE.match(text, start + len(token))
        port = (tail.group("port") or "") if tail is not None else ""
        path = ((tail.group("path") or "") if tail is not None else "").rstrip(_TRAIL)
        end = start + len(token) + len(port) + len(path)
        host = token.lower()
        if _IP_OCTETS_RE.fullmatch(host):
            out.append(WebAddress(f"http://{host}{port}{path}", host, (start, end)))
            continue
        www = host.startswith("www.")
        if (www or scheme) and not _TLD_RE.fullmatch(host.rsplit(".", 1)[-1]):
            # text glued to an explicit address: without a dot ("www.Ldew.com1win150",
            # "robota.com.uaТЕРМІНОВО"), the longest start of its last label after which a
            # digit or a capital begins; else ("www.Ldew.com.subs16+1win") the longest start
            # of it that is a name under a public suffix
            glued = _glued_suffix_cut(token)
            if glued is not None:
                host, token = glued.lower(), glued
                end, port, path = start + len(token), "", ""
            else:
                labels = host.split(".")
                for cut in range(len(labels) - 1, 1, -1):
                    shorter = ".".join(labels[:cut])
                    if public_suffix(shorter.removeprefix("www.")) is not None:
                        host, token = shorter, token[: len(shorter)]
                        end, port, path = start + len(token), "", ""
                        break
        last = host.rsplit(".", 1)[-1]
        if not _TLD_RE.fullmatch(last):
            continue
        bare_host = host.removeprefix("www.")
        if _EMAIL_HOST_BEFORE_RE.search(text, max(0, start - 10), start):
            continue  # the host of an e-mail address
        if _EMAIL_LOCAL_AFTER_RE.match(text, start + len(token)):
            continue  # the local part of an e-mail address ("hr.agency (at) mail.ru")
        secure = re.match(r"(?i)h(?:tt|xx)ps", scheme) is not None
        prefix = ("https://" if secure else "http://") if scheme else ""
        suffix = public_suffix(bare_host)
        if suffix is None:
            if scheme:  # an explicit address on a private name
                out.append(WebAddress(prefix + host + port + path, bare_host, (start, end)))
            continue
        top = suffix.rsplit(".", 1)[-1]
        strong = bool(scheme) or www or len(path) > 1
        if not strong:
            if top in _AMBIGUOUS_SUFFIXES or suffix == "xxx":
                continue
            if suffix in _WORDLIKE_SUFFIXES and _sentence_goes_on(bare_host, text, end):
                continue
            if not (len(top) == 2 or top in _COMMON_SUFFIXES or "." in suffix):
                continue
            first = bare_host.split(".", 1)[0]
            if (bare_host.count(".") == 1 and len(first) < 2) or first in _FILE_NAMES:
                continue
        out.append(
            WebAddress(
                prefix + host + port + path,
                bare_host,
                (start, end),
                bare=not (scheme or www),
            )
        )
    return out


# --------------------------------------------------------------------------- e-mail

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[^\W\d_]{2,24}\b")
_AT_OBFUSCATED_RE = re.compile(
    r"(?i)(?<=\w)(?:\s?[\[(]\s?(?:at|собака|sobaka)\s?[\])]\s?|\s@\s|@\s)(?=\w)"
)
_DOT_OBFUSCATED_RE = re.compile(r"(?i)(?<=\w)\s?(?:[\[(]\s?(?:dot|точка)\s?[\])]|\[\.\])\s?(?=\w)")


def find_emails(text: str) -> list[str]:
    if "@" not in text and "at" not in text.lower() and "собак" not in text.lower():
        return []
    fixed = _AT_OBFUSCATED_RE.sub("@", text)
    if "@" not in fixed:
        return []
    fixed = _DOT_OBFUSCATED_RE.sub(".", fixed)
    return [e.lower() for e in _EMAIL_RE.findall(fixed)]
