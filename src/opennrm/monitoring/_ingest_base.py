"""Shared pieces of the ingest readers: report, encoding rule, limits."""

from __future__ import annotations

import codecs
import dataclasses
import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo

MAX_TEXT_CHARS = 1_000_000
"""Records whose text is longer than this (about 1 MB) are rejected as oversized."""

MAX_PROBLEMS_KEPT = 1_000
"""The report keeps the first problems; the count of skipped records is always exact."""

SNIFF_BYTES = 64 * 1024
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem of an ingest run, for a page to say in its reader's language.

    ``code`` is stable (``"json.invalid"``, ``"csv.width"``, … ; see :data:`PROBLEM_CODES`)
    and ``params`` holds its values (a field name, counts); ``text`` says the same in plain
    English (what ``IngestReport.problems`` lists, for notebooks and the command line).
    """

    where: str
    code: str
    params: Mapping[str, str | int]
    text: str


PROBLEM_CODES = (
    "record.invalid",  # anything else (text: the reason)
    "record.oversized",  # chars, limit / bytes
    "record.undecodable",  # encoding
    "record.surrogate",  # field, codepoint
    "record.no_text",  # fields
    "record.text_not_string",  # field
    "record.field_not_scalar",  # field
    "record.not_object",
    "time.bad",  # value
    "date.unknown",  # value: post kept, date unknown
    "json.invalid",  # line, column (of the record)
    "json.too_deep",
    "csv.malformed",
    "csv.width",  # fields, header
    "csv.open_quote",  # a quote opened on the line never closes: the lines after it read again
    "feed.unreadable",
    "feed.item_empty",
    "telegram.truncated",
    "telegram.too_deep",
    "telegram.too_deep_rest",
    "telegram.oversized_rest",
    "telegram.invalid_json_rest",
    "telegram.text_entity",
    "telegram.text_type",  # type
    "warc.unreadable_rest",
    "warc.no_uri",
    "warc.response_unreadable",
    "warc.too_large_rest",  # mb: the limit on the unpacked size (a "zip bomb")
)
"""Every reason code an ingest problem can carry (a page keeps a sentence for each)."""


@dataclasses.dataclass
class IngestReport:
    """Counts for one ingest run (mutable: readers update it while streaming).

    ``read``: records seen; ``ok``: posts yielded; ``skipped``: malformed, undecodable or
    oversized records (each listed in ``problems`` up to :data:`MAX_PROBLEMS_KEPT`);
    ``duplicates``: records whose content hash was already seen (this run or checkpoint);
    ``ignored``: records with no text to monitor (Telegram service messages, empty rows).
    """

    read: int = 0
    ok: int = 0
    skipped: int = 0
    duplicates: int = 0
    ignored: int = 0
    # posts kept although their date could not be read (posted_at is None: date unknown)
    dates_unknown: int = 0
    # (where, reason in English); ``details`` holds the same problems with their codes
    problems: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    encodings: dict[str, str] = dataclasses.field(default_factory=dict)
    details: list[Problem] = dataclasses.field(default_factory=list)

    def problem(
        self, location: str, reason: str, code: str = "record.invalid", **params: str | int
    ) -> None:
        """Record one skipped record (``reason`` in English; ``code`` and ``params`` for
        a translated sentence, see :class:`Problem`)."""
        self.skipped += 1
        self._keep(location, reason, code, params)

    def record_error(self, location: str, error: RecordError) -> None:
        """Record one record skipped for ``error``."""
        self.problem(location, str(error), error.code, **error.params)

    def date_unknown(self, location: str, reason: str, **params: str | int) -> None:
        """Record a post kept without its unreadable date."""
        self.dates_unknown += 1
        self._keep(location, f"{reason}; post kept, date unknown", "date.unknown", params)

    def _keep(self, location: str, text: str, code: str, params: Mapping[str, str | int]) -> None:
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append((location, text))
            self.details.append(Problem(location, code, dict(params), text))

    def merge(self, other: IngestReport) -> None:
        """Add another report's counts to this one."""
        self.read += other.read
        self.ok += other.ok
        self.skipped += other.skipped
        self.duplicates += other.duplicates
        self.ignored += other.ignored
        self.dates_unknown += other.dates_unknown
        room = MAX_PROBLEMS_KEPT - len(self.problems)
        self.problems.extend(other.problems[: max(room, 0)])
        self.details.extend(other.details[: max(room, 0)])
        self.encodings.update(other.encodings)


class RecordError(ValueError):
    """A record is malformed; the reader reports it and goes on.

    ``str(error)`` says why in English; ``code`` and ``params`` say it as data (see
    :class:`Problem`)."""

    def __init__(self, message: str, code: str = "record.invalid", **params: str | int) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def detect_encoding(head: bytes) -> str:
    """The encoding rule, applied to the first bytes of a file.

    1. A byte-order mark wins: UTF-8-BOM -> ``utf-8-sig``; UTF-32 and UTF-16 BOMs.
    2. No BOM but every other byte is 0x00 or 0x04 (Latin or Cyrillic in UTF-16)
       -> UTF-16 LE or BE.
    3. Valid UTF-8 (a multibyte character cut at the end of the sample is allowed)
       -> ``utf-8``.
    4. Otherwise ``cp1251`` (the usual legacy encoding of Ukrainian/Russian text).
    Records that then do not decode are reported and skipped, never guessed.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        # BOM-less UTF-16: one byte column is almost all high bytes 0x00 (Latin) or
        # 0x04 (Cyrillic), control characters that real 8-bit text does not contain
        even = sum(sample[0::2].count(b) for b in (0, 4))
        odd = sum(sample[1::2].count(b) for b in (0, 4))
        half = len(sample) // 2
        if odd > 0.4 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.4 * half and odd < 0.05 * half:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def open_text(raw: io.BufferedReader, encoding: str | None) -> tuple[io.TextIOWrapper, str]:
    """Wrap a binary stream as text; undecodable bytes become lone surrogates."""
    head = raw.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    if len(head) < SNIFF_BYTES // 2:  # peek returns at most one buffer; fine for the rule
        head = raw.peek(SNIFF_BYTES)
    enc = encoding or detect_encoding(head)
    stream = io.TextIOWrapper(raw, encoding=enc, errors="surrogateescape", newline="")
    return stream, enc


def undecodable(text: str) -> bool:
    """True when ``text`` holds bytes that did not decode (see :func:`open_text`)."""
    return _UNDECODABLE.search(text) is not None


def check_text(text: str, encoding: str, max_chars: int) -> None:
    """Raise :class:`RecordError` for undecodable or oversized text."""
    if len(text) > max_chars:
        raise RecordError(
            f"oversized record: {len(text)} characters > {max_chars}",
            "record.oversized",
            chars=len(text),
            limit=max_chars,
        )
    if undecodable(text):
        raise RecordError(
            f"undecodable bytes for encoding {encoding}", "record.undecodable", encoding=encoding
        )
    unstorable_check(text, "text")


def unstorable_check(value: str, name: str) -> None:
    """Raise :class:`RecordError` for an unpaired UTF-16 surrogate (a JSON ``"\\ud800"``).

    Such text cannot be encoded as UTF-8, so writing it anywhere (a file, a database)
    would fail later, far from the record. (NUL characters are valid text; a store that
    cannot hold them replaces them itself.)
    """
    found = _SURROGATE.search(value)
    if found is not None:
        point = f"U+{ord(found.group()):04X}"
        raise RecordError(
            f"{name} contains an unpaired surrogate {point}",
            "record.surrogate",
            field=name,
            codepoint=point,
        )


# a day first with dots, as Ukrainian, Russian, Polish and German tables write dates
# ("25.11.2026", "25.11.2026 08:00", "25.11.2026, 08:00:15"); with dots it is never
# month first, unlike "11/25/2026"
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_time(value: object, default_tz: tzinfo = UTC) -> datetime | None:
    """ISO 8601 text, a day-first dotted date ("25.11.2026 08:00") or a Unix timestamp ->
    aware datetime (naive times get ``default_tz``)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"bad time {value!r}", "time.bad", value=str(value))
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise RecordError(
                f"bad timestamp {value!r}", "time.bad", value=str(value)[:40]
            ) from exc
    if not isinstance(value, str):
        raise RecordError(f"bad time {value!r}", "time.bad", value=str(value)[:40])
    try:
        dotted = _DOTTED_DATE.fullmatch(value.strip())
        if dotted is not None:
            day, month, year, hour, minute, second = (int(g or 0) for g in dotted.groups())
            parsed = datetime(year, month, day, hour, minute, second, tzinfo=default_tz)
        else:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"bad time {value[:40]!r}", "time.bad", value=value[:40]) from exc
    aware = parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=default_tz)
    try:
        aware.astimezone(UTC)  # year 1 at +14:00 is before year 1 in UTC
    except (OverflowError, ValueError) as exc:
        raise RecordError(
            f"time out of range {value[:40]!r}", "time.bad", value=value[:40]
        ) from exc
    return aware


def lenient_time(
    value: object, default_tz: tzinfo, report: IngestReport | None, where: str
) -> datetime | None:
    """:func:`parse_time`, but an unreadable date loses only the date, not the post."""
    try:
        return parse_time(value, default_tz)
    except RecordError as exc:
        if report is None:
            raise
        report.date_unknown(where, str(exc), **exc.params)
        return None


def read_lines(stream: io.TextIOWrapper, max_chars: int) -> Iterator[tuple[int, str | None]]:
    """(line number, line) pairs; an over-long line yields ``None`` and is not kept in memory."""
    lineno = 0
    while True:
        line = stream.readline(max_chars + 2)
        if not line:
            return
        lineno += 1
        if len(line) > max_chars + 1 and not line.endswith("\n"):
            while True:  # drain the rest of the over-long line in bounded chunks
                rest = stream.readline(1 << 20)
                if not rest or rest.endswith("\n"):
                    break
            yield lineno, None
            continue
        yield lineno, line
