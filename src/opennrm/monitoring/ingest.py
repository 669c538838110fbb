"""Streaming ingest of online posts from exports and archives.

``iter_posts(path)`` yields :class:`~opennrm.monitoring.Post` objects one at a time
(constant memory, except where a single record must be held) from:

- ``telegram``: Telegram Desktop chat export ``result.json`` (read incrementally);
  its HTML export (``messages.html``, ``messages2.html``, …) is recognised by its markup,
  given as ``html`` (or ``telegram``) or guessed, and read one post per message;
- ``csv``: a header row and a text column (``text_column=``, else the first of
  text/message/content/body/post, or the same in Ukrainian or Russian: текст,
  повідомлення, сообщение, допис, пост); optional channel/author/date/url columns by name
  (English, Ukrainian or Russian);
- ``jsonl``: one JSON object per line (our own ``posts.jsonl`` reads back losslessly);
- ``html``: a saved web page (visible text only, one post per file), or a page of a
  Telegram HTML export (one post per message);
- ``rss``: RSS 2.0 / RSS 1.0 / Atom feeds (no DTDs or entities accepted);
- ``warc``: web archives (``.warc``/``.warc.gz``), HTML responses become posts.

A malformed, undecodable or oversized record is reported in the :class:`IngestReport`
(location ``file:line`` and reason) and skipped; nothing else is lost. A post whose id
(content hash) is in ``seen`` is counted as a duplicate and not yielded, so passing the
ids of an earlier run (:func:`load_checkpoint`) makes re-ingesting add nothing.
Encoding: see :func:`detect_encoding`; ``encoding=`` overrides it.
"""

from __future__ import annotations

import collections
import csv
import errno
import functools
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, MutableSet
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from opennrm.monitoring._ingest_base import (
    MAX_TEXT_CHARS,
    PROBLEM_CODES,
    SNIFF_BYTES,
    IngestReport,
    Problem,
    RecordError,
    check_text,
    detect_encoding,
    lenient_time,
    open_text,
    parse_time,
    read_lines,
    undecodable,
    unstorable_check,
)
from opennrm.monitoring._ingest_feed import iter_feed
from opennrm.monitoring._ingest_html import html_to_document
from opennrm.monitoring._ingest_telegram import iter_telegram
from opennrm.monitoring._ingest_telegram_html import is_telegram_html, iter_telegram_html
from opennrm.monitoring._post import Post

__all__ = [
    "FORMATS",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_TEXT_CHARS",
    "PROBLEM_CODES",
    "TEXT_COLUMNS",
    "CsvLines",
    "IngestError",
    "IngestReport",
    "Problem",
    "allow_huge_csv_fields",
    "append_checkpoint",
    "binary_kind",
    "check_start",
    "detect_encoding",
    "detect_format",
    "iter_posts",
    "load_checkpoint",
    "open_text",
    "quote_ran_on",
    "sniff_dialect",
    "undecodable",
]

FORMATS = ("telegram", "csv", "jsonl", "html", "rss", "warc")
# each also in Ukrainian and Russian: a table an officer saved from Excel names its columns
# in the officer's language ("Дата;Текст;Канал")
TEXT_COLUMNS = (
    "text", "message", "content", "body", "post",
    "текст", "повідомлення", "сообщение", "допис", "пост",
)  # fmt: skip
_CHANNEL_COLUMNS = (
    "channel", "chat", "group", "site", "source_name", "канал", "чат", "група", "группа",
)  # fmt: skip
_AUTHOR_COLUMNS = (
    "author", "from", "user", "username", "sender",
    "автор", "відправник", "отправитель", "користувач", "пользователь",
)  # fmt: skip
_TIME_COLUMNS = (
    "posted_at", "date", "time", "timestamp", "created_at", "datetime",
    "дата", "дата і час", "дата и время", "час", "время",
)  # fmt: skip
_URL_COLUMNS = ("url", "link", "href", "посилання", "ссылка")

_EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv", ".html": "html",
    ".htm": "html", ".xhtml": "html", ".rss": "rss", ".atom": "rss", ".xml": "rss",
    ".warc": "warc", ".arc": "warc",
}  # fmt: skip


_Raw = io.BufferedReader

MAX_DECOMPRESSED_BYTES = 4 * 1024**3
"""The most bytes a compressed (gzip) WARC is unpacked to; past it the rest of the file is
skipped and reported (``warc.too_large_rest``), the posts before it kept. A few hundred KB
of gzip can unpack to gigabytes (a "zip bomb": zeros pack about 1000 to 1): memory stays
bounded (the archive is streamed) but the time to read it does not (about 1 GB a second
here). A crawl's HTML unpacks to 5-10 times its gzip size, so 4 GiB takes any archive of a
few hundred MB and costs a bomb a few seconds."""


class _TooMuchUnpacked(Exception):
    """A compressed archive unpacked past its limit (deliberately no ``OSError`` or
    ``ValueError``: the readers take those for one unreadable record and go on)."""


class IngestError(ValueError):
    """A whole file cannot be read (unknown format, missing column, unreadable).

    ``str()`` is an English sentence (it may name the file and its columns); ``code`` is a
    stable name for the kind of failure and ``params`` its JSON-safe values, which never
    hold the file's path, its name or anything read from it, so an application can say the
    reason in its reader's language and show it to others. Codes: ``ingest.format``
    (format), ``ingest.unreadable`` (errno), ``csv.header_unreadable``,
    ``csv.header_encoding`` (encoding), ``csv.no_text_column`` (wanted, columns: how many),
    ``ingest.binary`` (kind: the file's real format, e.g. ``PNG``, ``PDF``, ``ZIP``),
    ``ingest.binary_spreadsheet`` (kind: ``XLSX`` or ``ODS``), ``ingest.binary_data``
    (NUL bytes in a file that is not UTF-16 or UTF-32): see :func:`binary_kind`.
    """

    #: the names read from a CSV header that has no text column, for whoever holds the
    #: file (the page that took the upload shows them); never among ``params``, which are
    #: stored in the clear
    columns: tuple[str, ...] = ()

    def __init__(self, message: str, code: str = "ingest.error", **params: str | int) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


#: the first bytes of files people upload by mistake (a screenshot, a scan, a workbook),
#: with the format's name; a ZIP is looked into for what it packs (see :func:`binary_kind`)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF-", "PDF"),
    (b"RIFF", "RIFF (WebP, WAV, AVI)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Microsoft Office (DOC, XLS)"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "RAR"),
)
#: what an office file in a ZIP packs, seen in the names of its first entries
_ZIPPED: tuple[tuple[bytes, str, bool], ...] = (
    (b"xl/", "XLSX", True),
    (b"application/vnd.oasis.opendocument.spreadsheet", "ODS", True),
    (b"word/", "DOCX", False),
    (b"application/vnd.oasis.opendocument.text", "ODT", False),
    (b"ppt/", "PPTX", False),
)
_BINARY_SAMPLE = 8192


def binary_kind(head: bytes, encoding: str | None = None) -> tuple[str, str] | None:
    """Why the first bytes of a file say it is not text, as ``(code, kind)``, or ``None``.

    A known signature names the format: ``("ingest.binary", "PNG")``; a spreadsheet in a
    ZIP (XLSX, ODS) is ``("ingest.binary_spreadsheet", "XLSX")`` (it can be saved as CSV).
    Without one, NUL bytes in a file that is not UTF-16 or UTF-32 (by its BOM, by
    ``encoding`` or by :func:`detect_encoding`) are ``("ingest.binary_data", "")``.
    A gzip file is binary here: only a WARC may be compressed, and its reader is not asked.
    """
    head = head[:_BINARY_SAMPLE]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        for marker, kind, spreadsheet in _ZIPPED:
            if marker in head:
                return ("ingest.binary_spreadsheet" if spreadsheet else "ingest.binary"), kind
        return "ingest.binary", "ZIP"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return "ingest.binary", kind
    if b"\x00" in head:
        enc = (encoding or detect_encoding(head)).lower().replace("_", "-")
        if not enc.startswith(("utf-16", "utf16", "utf-32", "utf32")):
            return "ingest.binary_data", ""
    return None


def _refuse_binary(head: bytes, encoding: str | None) -> None:
    found = binary_kind(head, encoding)
    if found is None:
        return
    code, kind = found
    if code == "ingest.binary_spreadsheet":
        message = f"the file is a spreadsheet ({kind}), not CSV: save it as CSV and import that"
    elif code == "ingest.binary":
        message = f"the file is not text but {kind} (an image, a PDF or another binary file)"
    else:
        message = "the file is not text: it holds binary data (NUL bytes)"
    raise IngestError(message, code, **({"kind": kind} if kind else {}))


def _unreadable(path: str | os.PathLike[str], exc: OSError) -> IngestError:
    return IngestError(
        f"cannot read {path}: {exc.strerror or exc}",
        "ingest.unreadable",
        errno=errno.errorcode.get(exc.errno or 0, ""),
    )


def detect_format(
    path: str | os.PathLike[str], *, opener: Callable[[], io.BufferedReader] | None = None
) -> str:
    """Guess the format from the file name, then from the first bytes (read through
    ``opener`` when given, else from ``path``)."""
    p = Path(path)
    name = p.name.lower()
    for suffix in (".warc.gz", ".arc.gz"):
        if name.endswith(suffix):
            return "warc"
    fmt = _EXTENSIONS.get(p.suffix.lower())
    if fmt is not None:
        return fmt
    with opener() if opener is not None else p.open("rb") as fh:
        head = fh.read(8193)
    whole = len(head) <= 8192  # the whole file is in the sample
    head = head[:8192]
    if head.startswith(b"\x1f\x8b") or head.startswith(b"WARC/"):
        return "warc"
    enc = detect_encoding(head)
    text = head.decode(enc, errors="replace").lstrip("\ufeff \t\r\n").lower()
    if text.startswith("{"):
        return _sniff_json(head.decode(enc, errors="replace").lstrip("\ufeff \t\r\n"), whole)
    if text.startswith("<?xml") or text.startswith(("<rss", "<feed", "<rdf")):
        return "html" if "<html" in text[:500] else "rss"
    if text.startswith("<"):
        return "html"
    if name == "result.json" or p.suffix.lower() == ".json":
        return "telegram"
    return "csv"


_MESSAGES_KEY = re.compile(r'"messages"\s*:\s*\[')


def _sniff_json(text: str, small: bool) -> str:
    """JSON Lines or a Telegram export (pretty-printed or minified on one line)?

    A complete first line that parses as an object with a ``messages`` list is a
    (minified) Telegram export; one that parses as any other object is JSON Lines. A first
    line longer than the sample is a Telegram export when a ``"messages": [`` key appears
    at its top level (before any nested object), JSON Lines otherwise.
    """
    first, newline, _rest = text.partition("\n")
    whole = bool(newline) or small
    if whole:
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict):
            return "telegram" if isinstance(obj.get("messages"), list) else "jsonl"
        if first.rstrip().endswith("}") and not _MESSAGES_KEY.search(first):
            return "jsonl"  # a broken first record: the reader reports it
        return "telegram"
    match = _MESSAGES_KEY.search(first)
    if match is not None and "{" not in first[1 : match.start()]:
        return "telegram"
    return "jsonl" if first.rstrip().endswith("}") or match is None else "telegram"


def load_checkpoint(path: str | os.PathLike[str]) -> set[str]:
    """Post ids recorded by earlier runs (one per line); a missing file is an empty set."""
    p = Path(path)
    if not p.exists():
        return set()
    with p.open(encoding="ascii", errors="replace") as fh:
        return {line.strip() for line in fh if len(line.strip()) == 32}


def append_checkpoint(path: str | os.PathLike[str], ids: Iterable[str]) -> None:
    """Append post ids to a checkpoint file."""
    with Path(path).open("a", encoding="ascii") as fh:
        fh.writelines(f"{i}\n" for i in ids)


def iter_posts(
    path: str | os.PathLike[str],
    format: str | None = "auto",
    *,
    report: IngestReport | None = None,
    seen: MutableSet[str] | None = None,
    text_column: str | None = None,
    encoding: str | None = None,
    max_chars: int = MAX_TEXT_CHARS,
    default_tz: tzinfo = UTC,
    opener: Callable[[], io.BufferedReader] | None = None,
    max_decompressed_bytes: int | None = MAX_DECOMPRESSED_BYTES,
    name: str | None = None,
) -> Iterator[Post]:
    """Yield the posts of one file, skipping (and reporting) bad records and duplicates.

    ``report`` is updated as the generator runs (create one to read the counts).
    ``seen`` is a set of post ids; new ids are added to it (pass the same set to several
    calls to deduplicate across files, or :func:`load_checkpoint` to resume).
    ``default_tz`` is given to times that have no offset (Telegram's ``date`` field).
    ``max_decompressed_bytes``: a compressed WARC is read until it has unpacked to this
    many bytes, then the rest is skipped and reported (``None``: no limit; see
    :data:`MAX_DECOMPRESSED_BYTES`).
    ``opener``: called (once, or twice to guess the format) for a fresh binary stream of
    the file's bytes, read instead of opening ``path`` (a file encrypted at rest, read
    decrypted as a stream: see ``opennrm.crypto.files.open_decrypted``); the stream need
    not seek. ``name``: the file's name in problem locations (``name:line``) and for
    guessing the format from its extension (default: ``path``'s name).
    """
    report = report if report is not None else IngestReport()
    seen = seen if seen is not None else set()

    def open_path() -> io.BufferedReader:
        return open(path, "rb")  # closed by the caller

    open_raw = opener if opener is not None else open_path
    label = Path(name).name if name else Path(path).name
    try:
        fmt = detect_format(label, opener=open_raw) if format in (None, "auto") else format
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    _known(fmt)
    try:
        raw: io.BufferedReader = open_raw()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    try:
        if fmt != "warc":  # a text format: a picture or a workbook renamed .csv is said so
            peek = getattr(raw, "peek", None)
            if peek is not None:
                _refuse_binary(peek(_BINARY_SAMPLE), encoding)
        reader = _READERS[fmt]
        if fmt == "warc":
            reader = functools.partial(_warc, max_decompressed=max_decompressed_bytes)
        posts = reader(raw, label, report, text_column, encoding, max_chars, default_tz)
        for post in posts:
            try:
                for name in ("source", "channel", "author", "url", "record"):
                    value = getattr(post, name)
                    if value:
                        unstorable_check(value, name)
            except RecordError as exc:
                report.record_error(post.record or label, exc)
                continue
            if post.id in seen:
                report.duplicates += 1
                continue
            seen.add(post.id)
            report.ok += 1
            yield post
    finally:
        raw.close()


def _known(fmt: str) -> None:
    if fmt not in FORMATS:
        raise IngestError(
            f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}",
            "ingest.format",
            format=str(fmt)[:32],
        )


def check_start(
    head: bytes,
    name: str,
    format: str | None = "auto",
    *,
    text_column: str | None = None,
    encoding: str | None = None,
) -> None:
    """Raise the :class:`IngestError` that :func:`iter_posts` would raise on a file that
    begins with ``head`` before it reads its first record, or nothing: an unknown format,
    a binary file (a picture or a workbook renamed .csv), a CSV header that cannot be read
    or names no text column (then the error's ``columns`` are the header's names).

    ``head`` is the file's first :data:`SNIFF_BYTES` bytes (all of it when shorter): the
    same bytes :func:`iter_posts` decides by, so the two agree. Only what a file's start
    tells is checked: its records are not, and a compressed WARC is not unpacked. A caller
    that takes uploads refuses such a file at once instead of queueing it to fail later.
    """
    head = head[:SNIFF_BYTES]

    def opener() -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(head), buffer_size=SNIFF_BYTES)

    label = Path(name).name
    fmt = detect_format(label, opener=opener) if format in (None, "auto") else format
    _known(fmt)
    if fmt == "warc":
        return
    raw = opener()
    _refuse_binary(raw.peek(_BINARY_SAMPLE), encoding)
    # the header is checked before the first record is read; one that runs past the bytes
    # checked (no line break in them) is left to the worker, which reads it whole
    if fmt == "csv" and (len(head) < SNIFF_BYTES or b"\n" in head or b"\r" in head):
        report = IngestReport()
        reader = _csv(raw, label, report, text_column, encoding, MAX_TEXT_CHARS, UTC)
        next(reader, None)
        reader.close()


# --------------------------------------------------------------------------- readers


def _telegram_html_export(raw: _Raw, encoding: str | None) -> bool:
    """Whether the file starts as a page of Telegram Desktop's HTML export (its first
    bytes, peeked: the stream is not consumed)."""
    peek = getattr(raw, "peek", None)
    if peek is None:  # a stream that cannot look ahead is read as the format given
        return False
    head = peek(SNIFF_BYTES)[:SNIFF_BYTES]
    enc = encoding or detect_encoding(head)
    try:
        text = head.decode(enc, errors="replace")
    except LookupError:
        return False
    return is_telegram_html(text)


def _telegram(
    raw: _Raw, label: str, report: IngestReport, _col: str | None, encoding: str | None,
    max_chars: int, default_tz: tzinfo,
) -> Iterator[Post]:  # fmt: skip
    if _telegram_html_export(raw, encoding):
        yield from _telegram_html(raw, label, report, _col, encoding, max_chars, default_tz)
        return
    stream, enc = open_text(raw, encoding)
    report.encodings[label] = enc
    yield from iter_telegram(
        stream, label=label, encoding=enc, report=report, max_chars=max_chars,
        default_tz=default_tz,
    )  # fmt: skip


def _telegram_html(
    raw: _Raw, label: str, report: IngestReport, _col: str | None, encoding: str | None,
    max_chars: int, default_tz: tzinfo,
) -> Iterator[Post]:  # fmt: skip
    stream, enc = open_text(raw, encoding)
    report.encodings[label] = enc
    yield from iter_telegram_html(
        stream, label=label, encoding=enc, report=report, max_chars=max_chars,
        default_tz=default_tz,
    )  # fmt: skip


def _jsonl(
    raw: _Raw, label: str, report: IngestReport, text_key: str | None,
    encoding: str | None, max_chars: int, default_tz: tzinfo,
) -> Iterator[Post]:  # fmt: skip
    stream, enc = open_text(raw, encoding)
    report.encodings[label] = enc
    for lineno, line in read_lines(stream, 4 * max_chars):
        where = f"{label}:{lineno}"
        if line is None:
            report.read += 1
            report.problem(
                where,
                f"oversized record: line longer than {4 * max_chars}",
                "record.oversized",
                limit=4 * max_chars,
            )
            continue
        if not line.strip():
            continue
        report.read += 1
        try:
            if undecodable(line):
                raise RecordError(
                    f"undecodable bytes for encoding {enc}", "record.undecodable", encoding=enc
                )
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(
                    f"invalid JSON: {exc.msg}", "json.invalid", column=exc.colno
                ) from exc
            except RecursionError as exc:
                raise RecordError("JSON nested too deeply", "json.too_deep") from exc
            if not isinstance(obj, dict):
                raise RecordError("line is not a JSON object", "record.not_object")
            post = _record_to_post(
                obj, "jsonl", where, text_key, enc, max_chars, default_tz, report
            )
        except RecordError as exc:
            report.record_error(where, exc)
            continue
        if post is None:
            report.ignored += 1
            continue
        yield post


def _pick(keys: Iterable[str], wanted: tuple[str, ...]) -> str | None:
    lower = {k.lower().strip(): k for k in keys}
    return next((lower[w] for w in wanted if w in lower), None)


def _record_to_post(
    obj: dict[str, object], source: str, where: str, text_key: str | None, enc: str,
    max_chars: int, default_tz: tzinfo, report: IngestReport | None = None,
) -> Post | None:  # fmt: skip
    key = text_key or _pick(obj, TEXT_COLUMNS)
    if key is None or key not in obj:
        fields = text_key or "/".join(TEXT_COLUMNS)
        raise RecordError(f"no text field ({fields})", "record.no_text", fields=fields)
    text = obj[key]
    if text is None:
        return None
    if not isinstance(text, str):
        raise RecordError(
            f"text field {key!r} is not a string", "record.text_not_string", field=key
        )
    check_text(text, enc, max_chars)
    if not text.strip():
        return None

    def field(names: tuple[str, ...]) -> str | None:
        k = _pick(obj, names)
        value = obj.get(k) if k is not None else None
        if value is None or value == "":
            return None
        if isinstance(value, dict | list):
            raise RecordError(
                f"field {k!r} is not a scalar", "record.field_not_scalar", field=str(k)
            )
        return str(value)

    origin = obj.get("source")
    time_key = _pick(obj, _TIME_COLUMNS)
    return Post.create(
        str(origin) if isinstance(origin, str) and origin else source,
        text,
        channel=field(_CHANNEL_COLUMNS),
        author=field(_AUTHOR_COLUMNS),
        posted_at=lenient_time(obj.get(time_key) if time_key else None, default_tz, report, where),
        url=field(_URL_COLUMNS),
        record=field(("record",)) or where,
    )


_FIELD_LIMIT_SET = False


def allow_huge_csv_fields() -> None:
    """Lift the csv module's 128 KiB field limit (records are bounded by ``max_chars``)."""
    global _FIELD_LIMIT_SET
    if not _FIELD_LIMIT_SET:
        limit = sys.maxsize
        while True:
            try:
                csv.field_size_limit(limit)
                break
            except OverflowError:
                limit //= 10
        _FIELD_LIMIT_SET = True


def sniff_dialect(sample: str) -> type[csv.Dialect]:
    """Standard (Excel) CSV with the delimiter its header line uses most: , ; tab or |.

    ``csv.Sniffer`` guesses quoting wrongly on real data, so only the delimiter is
    chosen, from the header line. A one-column file (none of them in the header) gets a
    delimiter that never occurs in text (U+001F): unquoted commas in its rows stay text.
    """
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return _DIALECTS[best if counts[best] else "\x1f"]


_DIALECTS: dict[str, type[csv.Dialect]] = {
    d: type(f"_Dialect{ord(d)}", (csv.excel,), {"delimiter": d}) for d in ",;\t|\x1f"
}


class CsvLines:
    """The lines the csv reader takes, numbered, with the raw lines of the record being
    read kept (up to ``limit`` characters) so that a record a stray quote ran on over the
    following lines can be read again from its second line (:meth:`replay`)."""

    def __init__(self, lines: Iterator[str], limit: int) -> None:
        self._lines = lines
        self._back: collections.deque[str] = collections.deque()
        self.limit = limit
        self.number = 0  # lines handed to the reader (the last one's number)
        self.taken: list[str] | None = []  # None: the record was too long to keep
        self._size = 0

    def __iter__(self) -> CsvLines:
        return self

    def __next__(self) -> str:
        line = self._back.popleft() if self._back else next(self._lines)
        self.number += 1
        if self.taken is not None:
            self._size += len(line)
            if self._size <= self.limit:
                self.taken.append(line)
            else:
                self.taken = None
        return line

    def mark(self) -> None:
        """A new record starts with the next line."""
        self.taken, self._size = [], 0

    def replay(self, lines: list[str]) -> None:
        """Hand ``lines`` to the reader again, before the rest."""
        self._back.extendleft(reversed(lines))
        self.number -= len(lines)


def _strict(dialect: type[csv.Dialect]) -> type[csv.Dialect]:
    if dialect not in _STRICT:
        _STRICT[dialect] = type(f"{dialect.__name__}Strict", (dialect,), {"strict": True})
    return _STRICT[dialect]


_STRICT: dict[type[csv.Dialect], type[csv.Dialect]] = {}


def _quoting_fault(lines: list[str], dialect: type[csv.Dialect]) -> bool:
    """Whether the lines of one record, read strictly, break the quoting rules: a quote
    still open at the end of the file, or text right after a closing quote. Quotes
    inside an unquoted field ('5" screen') are text and break no rule."""
    try:
        for _ in csv.reader(iter(lines), _strict(dialect)):
            pass
    except csv.Error:
        return True
    return False


def quote_ran_on(
    src: CsvLines, dialect: type[csv.Dialect], width: int, fields: int
) -> list[str] | None:
    """The lines after the first of a record (just read, ``fields`` wide) that a quote
    opened in its first line ran on over them: those lines are to be read again. That is
    a record that breaks the quoting rules (its quote never closes, or closes where
    another field began: text right after it), whatever its width, or a well-formed one
    of the wrong width whose next line is a record of its own (the header's width on its
    own). ``None`` otherwise (a record of one line, or text that really goes on over
    several lines). A multi-line record whose closing quote is followed by more text
    (a quoted text over two lines, then ' (note)') is broken too: its lines are
    reported, not glued together."""
    taken = src.taken
    quote = dialect.quotechar or '"'
    if taken is None or len(taken) < 2 or quote not in taken[0]:
        return None
    if _quoting_fault(taken, dialect):
        return taken[1:]
    if fields == width:
        return None
    try:
        alone = next(csv.reader([taken[1]], dialect), [])
    except csv.Error:
        return None
    return taken[1:] if len(alone) == width else None


def _csv(
    raw: _Raw, label: str, report: IngestReport, text_column: str | None,
    encoding: str | None, max_chars: int, default_tz: tzinfo,
) -> Iterator[Post]:  # fmt: skip
    allow_huge_csv_fields()
    stream, enc = open_text(raw, encoding)
    report.encodings[label] = enc
    sample = stream.read(16384)
    dialect = sniff_dialect(sample)
    rest = io.StringIO(sample)
    src = CsvLines(_chain_text(rest, stream), 4 * max_chars)
    reader = csv.reader(src, dialect)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise IngestError(
            f"{label}: unreadable CSV header: {exc}", "csv.header_unreadable"
        ) from exc
    header = [h.lstrip("\ufeff").strip() for h in header]
    if any(undecodable(h) for h in header):
        raise IngestError(
            f"{label}: header does not decode as {enc}; pass an encoding",
            "csv.header_encoding",
            encoding=enc,
        )
    col = text_column if text_column is not None else _pick(header, TEXT_COLUMNS)
    if col is not None and col not in header:  # "Текст" typed for a column named "текст"
        col = _pick(header, (col.lower().strip(),)) or col
    if col is None or col not in header:
        wanted = text_column or "/".join(TEXT_COLUMNS)
        error = IngestError(
            f"{label}: no text column {wanted!r}; columns are: {', '.join(header)}",
            "csv.no_text_column",
            wanted=wanted[:100],
            columns=len(header),
        )
        error.columns = tuple(header)
        raise error
    width = len(header)
    start = src.number + 1
    while True:
        src.mark()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.read += 1
            report.problem(f"{label}:{start}", f"malformed CSV: {exc}", "csv.malformed")
            start = src.number + 1
            continue
        where = f"{label}:{start}"
        start = src.number + 1
        if not row:
            continue
        report.read += 1
        if (rest_lines := quote_ran_on(src, dialect, width, len(row))) is not None:
            # a stray quote: it costs its own line, not every line up to the next quote
            # (or the end of the file)
            report.problem(
                where,
                "a quote opened on this line does not close where its text ends",
                "csv.open_quote",
            )
            src.replay(rest_lines)
            start = src.number + 1
            continue
        if len(row) != width:
            report.problem(
                where,
                f"{len(row)} fields, header has {width}",
                "csv.width",
                fields=len(row),
                header=width,
            )
            continue
        try:
            post = _record_to_post(
                dict(zip(header, row, strict=True)), "csv", where, col, enc, max_chars,
                default_tz, report,
            )  # fmt: skip
        except RecordError as exc:
            report.record_error(where, exc)
            continue
        if post is None:
            report.ignored += 1
            continue
        yield post


def _chain_text(first: io.StringIO, stream: io.TextIOWrapper) -> Iterator[str]:
    # the sniffed sample may end mid-line: stitch it to the rest of the stream
    tail = ""
    for line in first:
        if line.endswith(("\n", "\r")):
            yield tail + line
            tail = ""
        else:
            tail += line
    first_rest = stream.readline()
    if tail or first_rest:
        yield tail + first_rest
    yield from stream


def _decode_page(data: bytes, declared: str | None) -> tuple[str, str]:
    enc = declared or detect_encoding(data[:65536])
    if enc == "cp1251" and declared is None:
        head = data[:4096].lower()
        for marker in (b"charset=", b'charset="', b"charset='"):
            i = head.find(marker)
            if i >= 0:
                name = head[i + len(marker) : i + len(marker) + 20]
                name = name.split(b'"')[0].split(b"'")[0].split(b";")[0].split(b">")[0]
                candidate = name.strip().decode("ascii", "replace")
                try:
                    "".encode(candidate)
                except LookupError:
                    break
                enc = candidate
                break
    return data.decode(enc, errors="surrogateescape"), enc


def _page_post(
    data: bytes, declared: str | None, source: str, where: str, url: str | None,
    max_chars: int, crawl_time: str | None, default_tz: tzinfo,
) -> Post | None:  # fmt: skip
    if len(data) > 4 * max_chars:
        raise RecordError(
            f"oversized record: {len(data)} bytes of HTML", "record.oversized", chars=len(data)
        )
    markup, enc = _decode_page(data, declared)
    if undecodable(markup):
        raise RecordError(
            f"undecodable bytes for encoding {enc}", "record.undecodable", encoding=enc
        )
    doc = html_to_document(markup)
    text = doc.text
    check_text(text, enc, max_chars)
    if not text:
        return None
    page_url = url or doc.url
    host = urlsplit(page_url).hostname if page_url else None
    posted_at = doc.published or parse_time(crawl_time, default_tz)
    return Post.create(source, text, channel=host, posted_at=posted_at, url=page_url, record=where)


def _html(
    raw: _Raw, label: str, report: IngestReport, _col: str | None, encoding: str | None,
    max_chars: int, default_tz: tzinfo,
) -> Iterator[Post]:  # fmt: skip
    if _telegram_html_export(raw, encoding):
        yield from _telegram_html(raw, label, report, _col, encoding, max_chars, default_tz)
        return
    data = raw.read(4 * max_chars + 1)
    report.read += 1
    try:
        post = _page_post(data, encoding, "html", label, None, max_chars, None, default_tz)
    except RecordError as exc:
        report.record_error(label, exc)
        return
    if post is None:
        report.ignored += 1
        return
    yield post


def _rss(
    raw: _Raw, label: str, report: IngestReport, _col: str | None, _enc: str | None,
    max_chars: int, default_tz: tzinfo,
) -> Iterator[Post]:  # fmt: skip
    yield from iter_feed(
        raw, label=label, report=report, max_chars=max_chars, default_tz=default_tz
    )


def _count_unpacked(reader: Any, limit: int) -> None:
    """Make warcio's reader raise :class:`_TooMuchUnpacked` once its gzip members have
    unpacked to more than ``limit`` bytes (a plain WARC is not counted: it is as large as
    the file). warcio unpacks a block of at most 16 KB of gzip at a time (at most about
    16 MB out), so it stops within that of the limit."""
    unpack = reader._decompress
    unpacked = 0

    def counted(data: bytes) -> bytes:
        nonlocal unpacked
        gzipped = reader.decompressor is not None
        out: bytes = unpack(data)
        if gzipped and reader.decompressor is not None:
            unpacked += len(out)
            if unpacked > limit:
                raise _TooMuchUnpacked
        return out

    reader._decompress = counted


def _warc(
    raw: _Raw, label: str, report: IngestReport, _col: str | None, encoding: str | None,
    max_chars: int, default_tz: tzinfo, max_decompressed: int | None = MAX_DECOMPRESSED_BYTES,
) -> Iterator[Post]:  # fmt: skip
    from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]
    from warcio.exceptions import ArchiveLoadFailed  # type: ignore[import-untyped]

    number = 0
    megabytes = f"{(max_decompressed or 0) / 1_000_000:g}"

    def too_much(where: int) -> None:
        report.problem(
            f"{label}:#{where}",
            f"the archive unpacks to more than {megabytes} MB; rest skipped",
            "warc.too_large_rest",
            mb=megabytes,
        )

    archive = ArchiveIterator(raw)
    if max_decompressed is not None:
        _count_unpacked(archive.reader, max_decompressed)
    load_http_headers = archive.loader.load_http_headers

    def tolerant_headers(rec_type: str, uri: str | None, stream: object, length: int) -> object:
        # warcio fails the whole archive on a response without WARC-Target-URI
        return load_http_headers(rec_type, uri or "", stream, length)

    archive.loader.load_http_headers = tolerant_headers
    records = iter(archive)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except _TooMuchUnpacked:
            report.read += 1
            too_much(number + 1)
            return
        except (ArchiveLoadFailed, ValueError, OSError, EOFError) as exc:
            report.read += 1
            report.problem(
                f"{label}:#{number + 1}",
                f"WARC not readable: {exc}; rest skipped",
                "warc.unreadable_rest",
            )
            return
        number += 1
        if record.rec_type == "response" and not record.rec_headers.get_header("WARC-Target-URI"):
            report.read += 1
            report.problem(
                f"{label}:#{number}", "WARC response without WARC-Target-URI", "warc.no_uri"
            )
            continue
        if record.rec_type != "response" or record.http_headers is None:
            continue
        ctype = record.http_headers.get_header("Content-Type") or ""
        if "html" not in ctype.lower():
            continue
        report.read += 1
        where = f"{label}:#{number}"
        declared = encoding
        if declared is None and "charset=" in ctype.lower():
            declared = ctype.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'") or None
            try:
                "".encode(declared or "utf-8")
            except LookupError:
                declared = None
        try:
            data = record.content_stream().read(4 * max_chars + 1)
            post = _page_post(
                data, declared, "warc", where, record.rec_headers.get_header("WARC-Target-URI"),
                max_chars, record.rec_headers.get_header("WARC-Date"), default_tz,
            )  # fmt: skip
        except _TooMuchUnpacked:
            too_much(number)
            return
        except RecordError as exc:
            report.record_error(where, exc)
            continue
        except (ValueError, OSError, EOFError) as exc:
            report.problem(where, f"unreadable response: {exc}", "warc.response_unreadable")
            continue
        if post is None:
            report.ignored += 1
            continue
        yield post


_READERS = {
    "telegram": _telegram,
    "csv": _csv,
    "jsonl": _jsonl,
    "html": _html,
    "rss": _rss,
    "warc": _warc,
}
