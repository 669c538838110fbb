"""Extract contacts, money, ages, gender and destinations from a post.

``extract(text)`` returns an :class:`Extraction`. Contacts (phones, e-mails, URLs,
messenger handles) are read from the *original* text; words (currencies, periods, age
and gender words, place names) from the *normalised* text (:func:`normalize`), so
"Рoльша" with a Latin o still finds Poland. Pass ``normalized=`` if you already have it.

Speed: every family has a cheap precompiled regex; ``phonenumbers`` is only called on a
digit run that the pre-filter accepts (9-15 digits with optional spaces, dashes, dots or
brackets between them), never through its slow ``PhoneNumberMatcher``.

Phone rule: "+..." or "00..." is parsed as international; a run starting with a trunk "0"
is tried in each of ``regions`` except Poland (no trunk prefix there); a run without
either is tried as Polish (9 digits) and as an international number missing its "+"
("380971234567"). Of the *valid* readings a mobile one wins, then the order of
``regions``; output is E.164. A national number valid in two regions (Ukrainian and
Romanian 07x mobiles) takes the first region, except that in a text without Cyrillic
letters the countries that write Cyrillic (UA, ...) are tried last.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterable
from importlib import resources
from typing import Any

from opennrm.monitoring._contacts import (
    PhoneCandidate,
    find_emails,
    find_phones,
    find_short_codes,
    find_web,
    might_have_web,
    parse_phone,
    prepare_digits,
    repair_spacing,
)
from opennrm.monitoring.normalize import normalize

__all__ = [
    "DEFAULT_REGIONS",
    "UNVERIFIED_MIN_CONFIDENCE",
    "AgeRange",
    "Extraction",
    "Money",
    "PhoneCandidate",
    "Place",
    "extract",
    "gazetteer",
]

DEFAULT_REGIONS = ("UA", "PL", "MD", "RO", "DE")
UNVERIFIED_MIN_CONFIDENCE = 0.5


@dataclasses.dataclass(frozen=True, slots=True)
class Money:
    """An amount or range with an ISO 4217 currency; ``period`` hour/day/week/month/year."""

    low: float | None
    high: float | None
    currency: str
    period: str | None
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class AgeRange:
    low: int | None
    high: int | None
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class Place:
    id: str  # ISO 3166 alpha-2 for a country, "city:<name>" for a city
    kind: str  # "country" or "city"
    label: str
    country: str


@dataclasses.dataclass(frozen=True, slots=True)
class Extraction:
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    telegram: tuple[str, ...] = ()
    whatsapp: tuple[str, ...] = ()
    viber: tuple[str, ...] = ()
    instagram: tuple[str, ...] = ()
    money: tuple[Money, ...] = ()
    ages: tuple[AgeRange, ...] = ()
    genders: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()
    # every phone candidate, verified (E.164 in ``phones``) or not; ``unverified_phones``
    # holds the digits of the unverified ones with confidence >= UNVERIFIED_MIN_CONFIDENCE
    phone_candidates: tuple[PhoneCandidate, ...] = ()
    unverified_phones: tuple[str, ...] = ()

    @property
    def handles(self) -> tuple[str, ...]:
        """Messenger accounts as ``platform:value`` (telegram:@x, whatsapp:+48..., ...)."""
        return tuple(
            f"{platform}:{value}"
            for platform in ("telegram", "whatsapp", "viber", "instagram")
            for value in getattr(self, platform)
        )

    @property
    def countries(self) -> tuple[str, ...]:
        """Destination country codes, cities counting for their country."""
        return _unique(p.country for p in self.places)

    @property
    def has_contact(self) -> bool:
        return bool(
            self.phones or self.unverified_phones or self.emails or self.urls or self.handles
        )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --------------------------------------------------------------------------- contacts

_DIGIT_RE = re.compile(r"\d")
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")
_CYRILLIC_REGIONS = frozenset({"UA", "RU", "BY", "KZ", "BG", "RS", "MK"})
# domains of messenger links are contacts in their own right, not web sites
_MESSENGER_DOMAINS = frozenset(
    {"t.me", "telegram.me", "wa.me", "api.whatsapp.com", "chat.whatsapp.com"}
)
_AT_TOKEN_RE = re.compile(r"\S*@\S*")
_AT_NUMBER_RE = re.compile(r"[^\W\d_]{0,12}@\d{7,15}[.,;:!?)]*")
# a run of 4-6 digits: the cheap test before looking for service short codes; it is
# "(?<!\d)\d{4,6}(?!\d)" led by the digit (re then skips to the digits instead of
# trying the look-behind at every position)
_SHORT_CODE_HINT_RE = re.compile(r"\d(?<!\d\d)\d{3,5}(?!\d)")
_TG_LINK_RE = re.compile(
    r"(?i)\b(?:https?://)?(?:t|telegram)\.me/(?:s/)?(\+[\w-]+|joinchat/[\w-]+|[a-z]\w{3,31})"
)
_TG_RESOLVE_RE = re.compile(r"(?i)\btg://resolve\?domain=([a-z]\w{3,31})")
_AT_RE = re.compile(r"(?<![\w@.])@([a-zA-Z]\w{3,31})\b")
_INSTA_CTX_RE = re.compile(r"(?i)(?:insta|инст|інст|ig\b)[^\n@]{0,20}$")
_INSTA_LINK_RE = re.compile(
    r"(?i)\b(?:https?://)?(?:www\.)?(?:instagram\.com|instagr\.am)/([\w.]{1,30})"
)
_WA_RE = re.compile(
    r"(?i)\b(?:https?://)?(?:wa\.me/\+?(\d{7,15})|api\.whatsapp\.com/send/?\?phone=\+?(\d{7,15})"
    r"|chat\.whatsapp\.com/([\w-]+))"
)
_VIBER_RE = re.compile(r"(?i)\bviber://[a-z]+\?(?:number|chatURI|uri|id)=(?:%2B|\+)?([\w%.-]+)")


def _parse_phone(digits: str, international: bool, regions: tuple[str, ...]) -> str | None:
    return parse_phone(digits, international, regions)


# --------------------------------------------------------------------------- money

# currency words: (code, symbols, whole words, word stems)
_CURRENCIES: tuple[tuple[str, str, str, str], ...] = (
    ("EUR", "€", "eur", "euro евро євро"),
    ("USD", "$", "usd", "долл долар dolar dollar бакс"),
    ("UAH", "₴", "uah грн", "гривн гривен"),
    ("PLN", "zł", "pln zl", "злот złot"),
    ("RUB", "₽", "rub", "руб"),
    ("RON", "", "lei ron", ""),
    ("MDL", "", "mdl", ""),
    ("GBP", "£", "gbp", "фунт"),
    ("CZK", "kč", "czk", ""),
    ("ILS", "₪", "ils", "шекел"),
    ("AED", "", "aed", "дирхам дирхем"),
    ("TRY", "₺", "", "лир"),
    ("CHF", "", "chf", "франк"),
)
_CODE_OF: dict[str, str] = {}
for _code, _symbols, _words, _stems in _CURRENCIES:
    for _literal in f"{_symbols} {_words} {_stems}".split():
        _CODE_OF[_literal] = _code


_WORD_END = "\x00"


def _trie_regex(words: Iterable[str]) -> str:
    """One regex alternation factored as a trie (much faster than a flat one in ``re``).

    A word ending in ``_WORD_END`` must end a word there ("hamburg" but not "hamburger").
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        keys = sorted(k for k in node if k)
        if not keys:
            return ""
        alts = [(r"(?!\w)" if k == _WORD_END else re.escape(k)) + build(node[k]) for k in keys]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_SYMBOLS = [w for c in _CURRENCIES for w in c[1].split()]
_WORDS = [w for c in _CURRENCIES for w in c[2].split()]
_STEMS = [w for c in _CURRENCIES for w in c[3].split()]
_CUR = f"(?:{_trie_regex(_SYMBOLS)}|{_trie_regex(_WORDS)}(?!\\w)|{_trie_regex(_STEMS)}\\w*)"
_NUM = r"\d{1,3}(?:[ \u00a0.,]\d{3})+(?!\d)|\d+(?:[.,]\d{1,2})?"
_THOUSANDS = r"\s?(?:k\b|к\b|тыс\w*\.?|тис\w*\.?|tys\w*\.?)"
_RANGE = rf"(?:\s?(?:-|–|—|до|to|do)\s?(?P<c2>{_CUR})?\s?(?P<n2>{_NUM})(?P<k2>{_THOUSANDS})?)?"
# two patterns with a required first element, so ``re`` can skip positions fast
_MONEY_CUR_FIRST_RE = re.compile(rf"(?P<c1>{_CUR})\s?(?P<n1>{_NUM})(?P<k1>{_THOUSANDS})?{_RANGE}")
_MONEY_NUM_FIRST_RE = re.compile(
    rf"(?<![\d.,])(?P<n1>{_NUM})(?P<k1>{_THOUSANDS})?{_RANGE}\s?(?P<c3>{_CUR})"
)
_FROM_RE = re.compile(r"(?:від|от|from|od|de la|starting|min\.?)\s?$")
_UPTO_RE = re.compile(r"(?:до|up to|do|până la|pana la|max\.?)\s?$")
_PERIODS = (
    ("hour", r"час|год\w*|godz\w*|hour|/h\b|oră|ora\b|h\b"),
    ("day", r"день|сутки|добу|смен\w*|змін\w*|dzie\w*|dniówk\w*|day|daily|zi\b"),
    ("week", r"недел\w*|тиждень|tydzie\w*|tygodniowo|week\w*|săptămân\w*"),
    ("month", r"мес\w*|міс\w*|mies\w*|month\w*|lun\w*"),
    ("year", r"год\b|рік|rok\w*|year\w*|an\b"),
)
_PERIOD_RE = re.compile(
    r"\s?(?:/|в|за|на|per|a|na|za|pe|in)?\s?(?:"
    + "|".join(f"(?P<{name}>{pat})" for name, pat in _PERIODS)
    + ")"
)
_MONTHLY_RE = re.compile(r"^\s?(?:miesięcznie|monthly|ежемесячно|щомісяця)")


def _amount(num: str, k: str | None) -> float:
    cleaned = num.replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", cleaned):
        value = float(re.sub(r"\D", "", cleaned))
    else:
        value = float(cleaned.replace(",", "."))
    return value * 1000 if k else value


def _currency(token: str) -> str:
    for size in range(min(len(token), 6), 0, -1):
        code = _CODE_OF.get(token[:size])
        if code is not None:
            return code
    return "?"  # pragma: no cover - every currency pattern starts with a known literal


def _money(norm: str) -> list[Money]:
    matches = list(_MONEY_CUR_FIRST_RE.finditer(norm))
    taken = [(m.start(), m.end()) for m in matches]
    for m in _MONEY_NUM_FIRST_RE.finditer(norm):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            matches.append(m)
    matches.sort(key=lambda m: m.start())
    found: list[Money] = []
    for m in matches:
        groups = m.groupdict()
        cur = groups.get("c1") or groups.get("c2") or groups.get("c3") or ""
        before = norm[max(0, m.start() - 12) : m.start()]
        low: float | None = _amount(m.group("n1"), m.group("k1"))
        high = _amount(m.group("n2"), m.group("k2") or m.group("k1")) if m.group("n2") else None
        if high is None:
            if _UPTO_RE.search(before):
                low, high = None, low
            elif not _FROM_RE.search(before):
                high = low
        period = None
        tail = norm[m.end() : m.end() + 16]
        pm = _PERIOD_RE.match(tail)
        if pm is not None:
            period = next(name for name, _ in _PERIODS if pm.group(name))
        elif _MONTHLY_RE.match(tail):
            period = "month"
        found.append(Money(low, high, _currency(cur), period, m.group().strip()))
    return found


# --------------------------------------------------------------------------- people

_YEARS = r"(?:лет|років|роки|рокiв|год\w*|years?|yrs|y\.?o\.?|lat|ani|р\.|л\.)"
_TO = r"(?:-|–|—|до|to|do|până la|pana la)"
_AGE_RANGE_RE = re.compile(
    rf"(?:(?:від|от|from|od|de la|z)\s+)?\b(\d{{2}})\s?{_TO}\s?(\d{{2}})\s?{_YEARS}"
    rf"|(?:age[ds]?|возраст\w*|вік|віком|wiek\w*|vârsta|varsta|vîrsta)[:\s]+"
    rf"(?:(?:від|от|from|od|de la)\s+)?(\d{{2}})\s?{_TO}\s?(\d{{2}})"
    rf"|(?P<from>від|от|from|od|de la|powyżej|peste)\s+(\d{{2}})\s?{_YEARS}"
    rf"|(?P<to>до|up to|do|până la|pana la|poniżej|under)\s+(\d{{2}})\s?{_YEARS}"
    rf"|\b(\d{{2}})\s?\+(?!\d)"
)
_FEMALE = (
    r"девушк\w*|девочк\w*|дівчат\w*|дівчин\w*|женщин\w*|жінк\w*|жінок|kobiet\w*|dziewczyn\w*|"
    r"pań\b|panie\b|women|woman|girls?\b|ladies|female|femei|fete\b"
)
_MALE = (
    r"мужчин\w*|чоловік\w*|хлопц\w*|парн(?:и|ей)\b|mężczy\w*|panów|men\b|male\b|"
    r"bărbaț\w*|barbati"
)
_GENDER_RE = re.compile(rf"(?<!\w)(?:(?P<female>{_FEMALE})|(?P<male>{_MALE}))")


_AGE_HINT_RE = re.compile(
    r"\d\d\s?(?:"
    + _trie_regex(
        ["лет", "рок", "рік", "год", "year", "yrs", "y.o", "yo", "lat", "ani", "р.", "л.", "+"]
    )
    + ")|(?<!\\w)"
    + _trie_regex(["age", "возраст", "вік", "віком", "wiek", "vârst", "varst", "vîrst"])
)


def _ages(norm: str) -> list[AgeRange]:
    out: list[AgeRange] = []
    if _AGE_HINT_RE.search(norm) is None:
        return out
    for m in _AGE_RANGE_RE.finditer(norm):
        g = m.groups()
        low: int | None
        high: int | None
        if g[0]:
            low, high = int(g[0]), int(g[1])
        elif g[2]:
            low, high = int(g[2]), int(g[3])
        elif m.group("from"):
            low, high = int(g[5]), None
        elif m.group("to"):
            low, high = None, int(g[7])
        else:
            low, high = int(g[8]), None
            if low not in (16, 18, 21):
                continue  # "25+" is more often a quantity than an age
        if any(v is not None and not 14 <= v <= 80 for v in (low, high)):
            continue
        if low is not None and high is not None and low > high:
            continue
        out.append(AgeRange(low, high, m.group().strip()))
    return out


# --------------------------------------------------------------------------- places


@functools.lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, Place], re.Pattern[str]]:
    """Places by stem and one compiled pattern of all stems (built once per process)."""
    raw = resources.files("opennrm.monitoring").joinpath("data/gazetteer.json").read_text("utf-8")
    by_stem: dict[str, Place] = {}
    for item in json.loads(raw)["places"]:
        place = Place(item["id"], item["kind"], item["label"], item["country"])
        for stem in item["stems"]:
            end = _WORD_END if stem.endswith("$") else ""  # "$" in the data file
            by_stem[normalize(stem.rstrip("$")) + end] = place
    pattern = re.compile(r"(?<!\w)(" + _trie_regex(by_stem) + r")")
    return by_stem, pattern


def _places(norm: str) -> list[Place]:
    by_stem, pattern = gazetteer()
    return [by_stem.get(m[1]) or by_stem[m[1] + _WORD_END] for m in pattern.finditer(norm)]


# --------------------------------------------------------------------------- extract


@functools.lru_cache(maxsize=64)
def _cyrillic_last(regions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(regions, key=lambda r: r in _CYRILLIC_REGIONS))


def extract(
    text: str,
    *,
    regions: Iterable[str] = DEFAULT_REGIONS,
    normalized: str | None = None,
    contacts_only: bool = False,
) -> Extraction:
    """Everything this module finds in ``text`` (each list de-duplicated, in text order).

    ``contacts_only=True`` finds only the contacts (phones verified and unverified,
    e-mails, URLs, domains, Telegram, WhatsApp, Viber, Instagram) – exactly as without it –
    and leaves money, ages, genders and places empty: what the pipeline keeps of a post
    (the money, age and place patterns are the expensive part).

    Phone numbers that no region in ``regions`` validates are tried again with the
    countries the text names ("... in India, call 9891943823"); those still invalid are kept
    in ``phone_candidates`` with a confidence (and in ``unverified_phones`` from
    :data:`UNVERIFIED_MIN_CONFIDENCE`). Service short codes a message asks to text or call
    ("Send STOP to 62468", "надішліть ТАК на 5533") are unverified candidates too
    (:func:`~opennrm.monitoring._contacts.find_short_codes`).
    """
    norm = normalize(text) if normalized is None and not contacts_only else normalized
    region_tuple = (
        DEFAULT_REGIONS if regions is DEFAULT_REGIONS else tuple(r.upper() for r in regions)
    )
    if _CYRILLIC_RE.search(text) is None:
        # a national number valid in two regions (UA and RO 07x mobiles): in text without
        # Cyrillic, the Cyrillic-writing countries go last
        region_tuple = _cyrillic_last(region_tuple)

    lower = text.lower()
    prepared = prepare_digits(text, lower)
    web = []
    if might_have_web(prepared, lower if prepared is text else None):
        prepared = repair_spacing(prepared)
        web = find_web(prepared)
    urls = [w.url for w in web if not w.bare]
    domains = [w.host for w in web]

    telegram: list[str] = []
    instagram: list[str] = []
    whatsapp: list[str] = []
    viber: list[str] = []
    emails = find_emails(prepared)
    masked = [w.span for w in web]
    if "@" in prepared:
        masked.extend(
            m.span()
            for m in _AT_TOKEN_RE.finditer(prepared)
            # "@9717470558" is a number, not a name: a handle never starts with a digit
            if _AT_NUMBER_RE.fullmatch(m.group()) is None
        )
    if "@" in text:
        for m in _AT_RE.finditer(text):
            handle = "@" + m.group(1).lower()
            if _INSTA_CTX_RE.search(text, max(0, m.start() - 30), m.start()):
                instagram.append(handle)
            else:
                telegram.append(handle)
    if "me/" in text or "tg:" in text:
        telegram.extend(
            ("@" + h.lower()) if not h.startswith(("+", "joinchat")) else "t.me/" + h
            for h in _TG_LINK_RE.findall(text)
        )
        telegram.extend("@" + h.lower() for h in _TG_RESOLVE_RE.findall(text))
    if "insta" in lower:
        instagram.extend("@" + h.lower().rstrip(".") for h in _INSTA_LINK_RE.findall(text))
    if "wa" in text or "whatsapp" in lower:
        for number, api_number, group in _WA_RE.findall(text):
            if number or api_number:
                whatsapp.append("+" + (number or api_number))
            else:
                whatsapp.append("chat.whatsapp.com/" + group)
    if "viber" in lower:
        viber.extend(
            "+" + v if v.isdigit() else v.replace("%2B", "+") for v in _VIBER_RE.findall(text)
        )

    candidates = find_phones(prepared, region_tuple, masked=masked)
    if any(c.e164 is None for c in candidates):
        # try again with the countries the text names
        named = tuple(p.country for p in _places(norm if norm is not None else normalize(text)))
        if any(r not in region_tuple for r in named):
            candidates = find_phones(prepared, region_tuple, masked=masked, extra_regions=named)
    if _SHORT_CODE_HINT_RE.search(prepared) is not None:
        known = {c.digits for c in candidates}
        candidates += [
            c for c in find_short_codes(prepared, masked=masked) if c.digits not in known
        ]
    phones = [c.e164 for c in candidates if c.e164 is not None]
    phones.extend(w for w in whatsapp if w.startswith("+") and _parse_phone(w[1:], True, ()))
    unverified = [
        c.digits for c in candidates if c.e164 is None and c.confidence >= UNVERIFIED_MIN_CONFIDENCE
    ]
    contacts = {
        "phones": _unique(phones) if phones else (),
        "unverified_phones": _unique(unverified) if unverified else (),
        "phone_candidates": tuple(dict.fromkeys(candidates)) if candidates else (),
        "emails": _unique(emails) if emails else (),
        "urls": _unique(urls) if urls else (),
        "domains": _unique(d for d in domains if d not in _MESSENGER_DOMAINS) if domains else (),
        "telegram": _unique(telegram) if telegram else (),
        "whatsapp": _unique(whatsapp) if whatsapp else (),
        "viber": _unique(viber) if viber else (),
        "instagram": _unique(instagram) if instagram else (),
    }
    if contacts_only or norm is None:
        return Extraction(**contacts)  # type: ignore[arg-type]
    has_digit = _DIGIT_RE.search(norm) is not None
    money = _money(norm) if has_digit else []
    ages = _ages(norm) if has_digit else []
    genders = ["female" if m.group("female") else "male" for m in _GENDER_RE.finditer(norm)]
    return Extraction(
        **contacts,  # type: ignore[arg-type]
        money=tuple(dict.fromkeys(money)),
        ages=tuple(dict.fromkeys(ages)),
        genders=_unique(sorted(genders)),
        places=tuple(dict.fromkeys(_places(norm))),
    )
