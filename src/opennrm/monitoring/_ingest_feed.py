"""RSS 2.0 / RSS 1.0 / Atom feeds, streamed with expat and refusing any DTD.

Feeds need no document type declaration, so the parser rejects ``<!DOCTYPE``, entity
declarations and external entities outright (no billion-laughs, no XXE, nothing is
fetched). A syntax error ends the file; items already read are kept.
"""

from __future__ import annotations

import pyexpat
from collections.abc import Iterator
from datetime import datetime, tzinfo
from email.utils import parsedate_to_datetime
from typing import BinaryIO

from opennrm.monitoring._ingest_base import IngestReport, RecordError, check_text, parse_time
from opennrm.monitoring._ingest_html import html_to_text
from opennrm.monitoring._post import Post

_ITEM = frozenset({"item", "entry"})
_BODY = ("encoded", "content", "description", "summary")
_TIME = ("pubDate", "published", "updated", "date", "issued", "modified")
_CHUNK = 1 << 16


class _Refused(Exception):
    pass


def _refuse(*_args: object) -> None:
    raise _Refused("DTDs and entity declarations are refused in feeds")


def _feed_time(value: str | None, default_tz: tzinfo) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)  # RFC 822 (RSS pubDate)
    except (TypeError, ValueError, IndexError):
        return parse_time(value, default_tz)  # ISO 8601 (Atom, dc:date)
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=default_tz)


def iter_feed(
    raw: BinaryIO, *, label: str, report: IngestReport, max_chars: int, default_tz: tzinfo
) -> Iterator[Post]:
    parser = pyexpat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[str] = []
    feed_title: list[str] = []
    item: dict[str, list[str]] | None = None
    item_line = 0
    item_size = 0
    ready: list[Post] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal item, item_line, item_size
        local = name.rsplit(" ", 1)[-1]
        stack.append(local)
        if local in _ITEM and item is None:
            item = {}
            item_line = parser.CurrentLineNumber
            item_size = 0
        elif (
            item is not None
            and local == "link"
            and "href" in attrs
            and attrs.get("rel", "alternate") == "alternate"
        ):
            item.setdefault("link", []).append(attrs["href"])

    def data(text: str) -> None:
        nonlocal item_size
        if not stack:
            return
        local = stack[-1]
        if item is None:
            if local == "title" and len(stack) >= 2 and stack[-2] in ("channel", "feed"):
                feed_title.append(text)
            return
        item_size += len(text)
        if item_size <= max_chars + 1:
            key = "author" if local in ("name", "creator") else local
            item.setdefault(key, []).append(text)

    def end(name: str) -> None:
        nonlocal item
        local = stack.pop() if stack else ""
        if local in _ITEM and item is not None:
            fields = {k: "".join(v).strip() for k, v in item.items()}
            item = None
            report.read += 1
            where = f"{label}:{item_line}"
            try:
                ready.append(
                    _item_post(fields, feed_title, where, item_size, max_chars, default_tz)
                )
            except RecordError as exc:
                report.record_error(where, exc)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        while True:
            chunk = raw.read(_CHUNK)
            parser.Parse(chunk, not chunk)
            yield from ready
            ready.clear()
            if not chunk:
                return
    except (pyexpat.ExpatError, _Refused) as exc:
        yield from ready
        report.read += 1
        report.problem(
            f"{label}:{parser.CurrentLineNumber}", f"feed not readable: {exc}", "feed.unreadable"
        )


def _item_post(
    fields: dict[str, str], feed_title: list[str], where: str, size: int, max_chars: int,
    default_tz: tzinfo,
) -> Post:  # fmt: skip
    if size > max_chars:
        raise RecordError(
            f"oversized record: more than {max_chars} characters",
            "record.oversized",
            limit=max_chars,
        )
    body = next((fields[k] for k in _BODY if fields.get(k)), "")
    if "<" in body:
        body = html_to_text(body)
    title = fields.get("title", "")
    text = f"{title}\n{body}".strip() if body != title else title
    if not text:
        raise RecordError("item has no title or text", "feed.item_empty")
    check_text(text, "xml", max_chars)
    when = next((fields[k] for k in _TIME if fields.get(k)), None)
    posted_at = _feed_time(when, default_tz)
    return Post.create(
        "rss",
        text,
        channel="".join(feed_title).strip() or None,
        author=fields.get("author") or None,
        posted_at=posted_at,
        url=fields.get("link") or None,
        record=where,
    )
