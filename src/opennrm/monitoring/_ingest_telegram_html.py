"""Telegram Desktop chat export in HTML (``messages.html``, ``messages2.html``, …), read
as a stream with the standard library's ``html.parser``.

Telegram Desktop's default export writes a chat as pages of HTML: the chat's name in
``div.page_header .text``, then ``div.history`` holding one ``div.message`` per message
(``id="message123"``). Each message with text becomes one :class:`Post`, as the JSON
export (``result.json``, :mod:`._ingest_telegram`) gives:

- text: the message's ``.text`` (``<br>`` becomes a new line, links and formatting keep
  their text, character references are decoded once; no markup survives);
- author: its ``.from_name``; a "joined" message (class ``joined``: the same sender again)
  has none and continues the last author seen;
- time: the ``title`` of its ``.date`` ("01.11.2026 10:15:00 UTC+02:00", read in UTC; an
  older export writes no zone: then the import's ``default_tz``); an unreadable date loses
  only the date (``date.unknown``), never the message;
- channel: the chat's name from the page header; record: ``messages.html#message123``;
  url: none (the export holds no link to the message).

A forwarded message (``.forwarded.body``, with the original sender's own ``.from_name``)
becomes a post with the forwarded text, its author the one who forwarded it (the original
sender is not kept). Service messages (``message service``: "X joined the group") and
messages with only media (a photo without a caption, a sticker, a poll) are counted as
records without text (``ignored``), as the JSON reader counts them; the day separators
Telegram puts between days (``id="message-1"``, negative) are layout, not messages, and
are not counted. Memory is bounded by the largest message.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from html.parser import HTMLParser

from opennrm.monitoring._ingest_base import (
    IngestReport,
    RecordError,
    check_text,
    lenient_time,
)
from opennrm.monitoring._post import Post

_CHUNK = 1 << 16
_HISTORY = re.compile(r"""<div\s+class\s*=\s*["']history["']""", re.IGNORECASE)
_MESSAGE = re.compile(
    r"""<div\s+(?:class\s*=\s*["']message\s[^"']*["']\s+id\s*=\s*["']message-?\d+["']"""
    r"""|id\s*=\s*["']message-?\d+["']\s+class\s*=\s*["']message\s[^"']*["'])""",
    re.IGNORECASE,
)  # Telegram writes the class first; a page saved again by a browser may not
_ZONED = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) UTC([+-])(\d{1,2}):?(\d{2})"
)
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr", "param"}
)  # fmt: skip
_TEXT_BLOCKS = frozenset({"p", "div", "pre", "blockquote", "li"})
_NAME_CHARS = 1000  # the most of a chat's or a sender's name kept (hostile markup)
_RAW_NEWLINE = re.compile(r"[ \t]*\r?\n[ \t]*")
_AROUND_NEWLINE = re.compile(r"[ \t]*\n[ \t]*")


def is_telegram_html(head: str) -> bool:
    """Whether the first characters of an HTML file are a Telegram Desktop export page
    (a ``div.history`` and a ``div.message`` with a ``message<N>`` id)."""
    return _HISTORY.search(head) is not None and _MESSAGE.search(head) is not None


def message_time(
    title: str | None, default_tz: tzinfo, report: IngestReport | None, where: str
) -> datetime | None:
    """A ``.date`` title -> aware time (in UTC when the title names its zone)."""
    if title is None:
        return None
    value = title.strip()
    zoned = _ZONED.fullmatch(value)
    if zoned is None:
        return lenient_time(value, default_tz, report, where)
    day, month, year, hour, minute, second, sign, zh, zm = zoned.groups()
    try:
        offset = timedelta(hours=int(zh), minutes=int(zm)) * (-1 if sign == "-" else 1)
        zone = timezone(offset)
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        if report is None:
            raise RecordError(f"bad time {value[:40]!r}", "time.bad", value=value[:40]) from None
        report.date_unknown(where, f"bad time {value[:40]!r}", value=value[:40])
        return None


class _Message:
    __slots__ = ("author", "chars", "date", "ident", "joined", "parts", "service")

    def __init__(self, ident: str, classes: set[str]) -> None:
        self.ident = ident
        self.service = "service" in classes
        self.joined = "joined" in classes
        self.parts: list[str] = []
        self.chars = 0
        self.author: list[str] | None = None  # None: no .from_name read yet
        self.date: str | None = None


class _Frame:
    __slots__ = ("roles", "tag")

    def __init__(self, tag: str, roles: frozenset[str]) -> None:
        self.tag = tag
        self.roles = roles


_NO_ROLES: frozenset[str] = frozenset()


class _ExportParser(HTMLParser):
    """Collects the messages of a page; finished ones wait in ``done`` for the reader."""

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit  # characters of text kept per message (past it: oversized)
        self.stack: list[_Frame] = []
        self.depth: dict[str, int] = {}
        self.header: list[str] | None = None  # the chat's name, while read
        self.channel: str | None = None
        self.message: _Message | None = None
        self.done: list[_Message] = []

    def _in(self, role: str) -> bool:
        return self.depth.get(role, 0) > 0

    def _roles(self, tag: str, attrs: list[tuple[str, str | None]]) -> frozenset[str]:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        roles: set[str] = set()
        if tag == "div" and "page_header" in classes:
            roles.add("page_header")
        header = self._in("page_header") and "text" in classes
        if header and self.channel is None and self.header is None:
            self.header = []
            roles.add("header_text")
        ident = a.get("id", "")
        if _is_message(tag, classes, ident):
            roles.add("message")
            if not ident.startswith("message-"):  # day separators are not messages
                self.message = _Message(ident, classes)
            return frozenset(roles)
        msg = self.message
        if msg is None:
            return frozenset(roles)
        if "forwarded" in classes:
            roles.add("forwarded")
        if "text" in classes and not self._in("text"):
            roles.add("text")
            if msg.parts:
                msg.parts.append("\n")
        elif self._in("text") and tag in _TEXT_BLOCKS:
            roles.add("text_block")
            msg.parts.append("\n")
        if not self._in("forwarded") and "forwarded" not in classes:
            if "from_name" in classes and msg.author is None:
                msg.author = []
                roles.add("from_name")
            elif self._in("from_name") and "details" in classes:
                roles.add("aside")  # " via @bot" after the name
            if "date" in classes and "title" in a and msg.date is None:
                msg.date = a["title"]
        return frozenset(roles)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            if self.message is not None and self._in("text"):
                self._add(self.message, "\n")
            return
        if self._in("message") and tag == "div":
            a = {k: v or "" for k, v in attrs}
            if _is_message(tag, set(a.get("class", "").split()), a.get("id", "")):
                # a message left open (broken markup) ends where the next one begins
                while self._in("message"):
                    self._pop()
        roles = self._roles(tag, attrs)
        if tag in _VOID:
            return
        self.stack.append(_Frame(tag, roles))
        for role in roles:
            self.depth[role] = self.depth.get(role, 0) + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not any(frame.tag == tag for frame in self.stack):
            return  # a stray end tag
        while self.stack:
            if self._pop().tag == tag:
                return

    def _pop(self) -> _Frame:
        frame = self.stack.pop()
        for role in frame.roles:
            self.depth[role] -= 1
        if "header_text" in frame.roles and self.header is not None:
            self.channel = _clean("".join(self.header))[:_NAME_CHARS] or None
            self.header = None
        if "text_block" in frame.roles and self.message is not None:
            self.message.parts.append("\n")
        if "message" in frame.roles:
            self._finish()
        return frame

    def handle_data(self, data: str) -> None:
        if self.header is not None and self._in("header_text"):
            _bounded(self.header, data)
            return
        msg = self.message
        if msg is None:
            return
        if self._in("text"):
            self._add(msg, _RAW_NEWLINE.sub(" ", data))
        elif self._in("from_name") and not self._in("aside") and msg.author is not None:
            _bounded(msg.author, data)

    def _add(self, msg: _Message, text: str) -> None:
        msg.chars += len(text)
        if msg.chars <= self.limit + 1:
            msg.parts.append(text)

    def _finish(self) -> None:
        if self.message is not None:
            self.done.append(self.message)
            self.message = None

    def close(self) -> None:
        super().close()
        self._finish()


def _bounded(parts: list[str], data: str) -> None:
    if sum(map(len, parts)) < _NAME_CHARS:
        parts.append(data)


def _is_message(tag: str, classes: set[str], ident: str) -> bool:
    number = ident[len("message") :].removeprefix("-")
    return (
        tag == "div"
        and "message" in classes
        and ident.startswith("message")
        and (number.isascii() and number.isdigit())
    )


def _clean(text: str) -> str:
    return " ".join(text.split())


def iter_telegram_html(
    stream: io.TextIOBase,
    *,
    label: str,
    encoding: str,
    report: IngestReport,
    max_chars: int,
    default_tz: tzinfo,
) -> Iterator[Post]:
    """The posts of one page of a Telegram Desktop HTML export (see the module's text)."""
    parser = _ExportParser(max_chars)
    last_author: str | None = None
    eof = False
    while not eof:
        chunk = stream.read(_CHUNK)
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
            eof = True
        done, parser.done = parser.done, []
        for msg in done:
            report.read += 1
            where = f"{label}#{msg.ident}"
            author = _clean("".join(msg.author)) if msg.author is not None else None
            if msg.service:
                report.ignored += 1
                continue
            if author:
                last_author = author
            elif msg.joined or msg.author is None:
                author = last_author
            text = _AROUND_NEWLINE.sub("\n", "".join(msg.parts)).strip()
            try:
                if msg.chars > max_chars:  # only the first characters were kept
                    raise RecordError(
                        f"oversized record: {msg.chars} characters > {max_chars}",
                        "record.oversized",
                        chars=msg.chars,
                        limit=max_chars,
                    )
                check_text(text, encoding, max_chars)
            except RecordError as exc:
                report.record_error(where, exc)
                continue
            if not text:
                report.ignored += 1  # only media: a photo without caption, a sticker
                continue
            yield Post.create(
                "telegram",
                text,
                channel=parser.channel,
                author=author or None,
                posted_at=message_time(msg.date, default_tz, report, where),
                record=where,
            )
