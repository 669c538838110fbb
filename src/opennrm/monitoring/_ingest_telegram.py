"""Telegram Desktop chat export (``result.json``), read incrementally.

The file is never loaded whole: the reader scans for each ``"messages": [`` array
(single-chat exports have one; "export all chats" has one per chat), then decodes one
message object at a time with :meth:`json.JSONDecoder.raw_decode` from a bounded buffer.
Memory is bounded by the largest single message. The chat's ``"name"`` (the last one
before its ``messages`` array) becomes the post's channel. A message that is valid JSON
but not a usable message is reported and skipped; a syntax error in the file ends that
file (there is no safe way to find the next message), reported with its line.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import tzinfo

from opennrm.monitoring._ingest_base import IngestReport, RecordError, check_text, lenient_time
from opennrm.monitoring._post import Post

_MESSAGES_RE = re.compile(r'"messages"\s*:\s*\[')
_NAME_RE = re.compile(r'"name"\s*:\s*("(?:[^"\\]|\\.)*")')
_SKIP_RE = re.compile(r"[\s,]*")
_CHUNK = 1 << 16


def _value_end(buf: str, pos: int) -> int | None:
    """End of the JSON array or object starting at ``pos`` (None: not complete in ``buf``).

    Only used for a message too deeply nested for the decoder: brackets are counted
    outside strings, without building anything.
    """
    depth = 0
    in_string = False
    i = pos
    n = len(buf)
    while i < n:
        ch = buf[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def message_text(value: object) -> str:
    """Telegram ``text``: a string, or a list of strings and ``{"type", "text"}`` entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts: list[str] = []
        for item in value:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
            else:
                raise RecordError("text entity without text", "telegram.text_entity")
        return "".join(parts)
    kind = type(value).__name__
    raise RecordError(f"text is {kind}, not string or list", "telegram.text_type", type=kind)


def message_to_post(
    obj: object, *, channel: str | None, record: str, encoding: str, max_chars: int,
    default_tz: tzinfo, report: IngestReport | None = None,
) -> Post | None:  # fmt: skip
    """One message object -> Post; ``None`` for service/empty messages."""
    if not isinstance(obj, dict):
        raise RecordError("message is not an object", "record.not_object")
    if obj.get("type", "message") != "message":
        return None
    text = message_text(obj.get("text", ""))
    check_text(text, encoding, max_chars)
    if not text.strip():
        return None
    when = obj.get("date_unixtime") or obj.get("date")
    author = obj.get("from") or obj.get("actor")
    return Post.create(
        "telegram",
        text,
        channel=channel,
        author=str(author) if author is not None else None,
        posted_at=lenient_time(when, default_tz, report, record),
        record=record,
    )


def iter_telegram(
    stream: io.TextIOWrapper,
    *,
    label: str,
    encoding: str,
    report: IngestReport,
    max_chars: int,
    default_tz: tzinfo,
) -> Iterator[Post]:
    decoder = json.JSONDecoder()
    max_buffer = 4 * max_chars + (1 << 20)
    buf = ""
    pos = 0
    eof = False
    line_at = 1  # line number of buf[counted]
    counted = 0
    channel: str | None = None
    in_array = False

    def line_of(index: int) -> int:
        nonlocal line_at, counted
        line_at += buf.count("\n", counted, index)
        counted = index
        return line_at

    def fill() -> bool:
        nonlocal buf, pos, counted, eof
        if eof:
            return False
        if pos > _CHUNK:
            line_of(pos)
            buf = buf[pos:]
            counted -= pos
            pos = 0
        chunk = stream.read(_CHUNK)
        if not chunk:
            eof = True
            return False
        buf += chunk
        return True

    fill()
    while True:
        if not in_array:
            m = _MESSAGES_RE.search(buf, pos)
            if m is None:
                for name in _NAME_RE.finditer(buf, max(pos, len(buf) - 8192)):
                    channel = json.loads(name.group(1))
                keep = max(pos, len(buf) - 8192)  # a key may straddle two chunks
                pos = keep
                if not fill():
                    return
                continue
            for name in _NAME_RE.finditer(buf, pos, m.start()):
                channel = json.loads(name.group(1))
            pos = m.end()
            in_array = True
            continue
        skip = _SKIP_RE.match(buf, pos)
        pos = skip.end() if skip else pos
        if pos >= len(buf):
            if not fill():
                report.problem(
                    f"{label}:{line_of(len(buf))}",
                    "file ends inside messages",
                    "telegram.truncated",
                )
                return
            continue
        if buf[pos] == "]":
            pos += 1
            in_array = False
            continue
        try:
            obj, end = decoder.raw_decode(buf, pos)
        except RecursionError:
            skip_to = _value_end(buf, pos)
            if skip_to is None:
                if len(buf) - pos <= max_buffer and fill():
                    continue
                report.read += 1
                report.problem(
                    f"{label}:{line_of(pos)}",
                    "message nested too deeply; rest skipped",
                    "telegram.too_deep_rest",
                )
                return
            report.read += 1
            report.problem(
                f"{label}:{line_of(pos)}", "message nested too deeply", "telegram.too_deep"
            )
            pos = skip_to
            continue
        except json.JSONDecodeError as exc:
            if len(buf) - pos > max_buffer:
                report.read += 1
                report.problem(
                    f"{label}:{line_of(pos)}",
                    "oversized message; rest of file skipped",
                    "telegram.oversized_rest",
                )
                return
            if fill():
                continue
            report.read += 1
            report.problem(
                f"{label}:{line_of(pos)}",
                f"invalid JSON ({exc.msg}); rest skipped",
                "telegram.invalid_json_rest",
            )
            return
        report.read += 1
        where = f"{label}:{line_of(pos)}"
        pos = end
        try:
            post = message_to_post(
                obj, channel=channel, record=where, encoding=encoding, max_chars=max_chars,
                default_tz=default_tz, report=report,
            )  # fmt: skip
        except RecordError as exc:
            report.record_error(where, exc)
            continue
        if post is None:
            report.ignored += 1
            continue
        yield post
