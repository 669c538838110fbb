"""The :class:`Post` record shared by every stage of the monitoring pipeline."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["Post", "post_id"]

_SEP = "\x1f"  # ASCII unit separator: cannot occur in a field after ingest cleaning


def post_id(
    source: str,
    text: str,
    channel: str | None = None,
    author: str | None = None,
    posted_at: datetime | None = None,
) -> str:
    """Stable content hash of a post: 32 hex digits of BLAKE2b-128.

    It covers what makes two posts "the same message": where it was published
    (source, channel), who posted it, when, and the text. It deliberately does
    *not* cover the URL or the ``record`` provenance, so ingesting the same
    export twice, or from a renamed file, yields the same ids (idempotent ingest),
    while the same lure reposted in two channels stays two posts (that is what
    clustering needs to see).
    """
    parts = (
        source,
        channel or "",
        author or "",
        posted_at.isoformat() if posted_at is not None else "",
        text,
    )
    data = _SEP.join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Post:
    """One online post (message, ad, web page). The original text is kept verbatim.

    ``source``: kind of origin ("telegram", "csv", "jsonl", "html", "rss", "warc", ...).
    ``channel``: chat, group, feed or site the post was published in.
    ``posted_at``: timezone-aware publication time, when known.
    ``record``: provenance, ``"file:line"`` or ``"file:#record"``.
    ``id``: content hash (:func:`post_id`); use :meth:`create` to fill it.
    """

    source: str
    text: str
    channel: str | None = None
    author: str | None = None
    posted_at: datetime | None = None
    url: str | None = None
    record: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if self.posted_at is not None and self.posted_at.utcoffset() is None:
            raise ValueError("Post.posted_at must be timezone-aware")
        if not self.id:
            object.__setattr__(
                self,
                "id",
                post_id(self.source, self.text, self.channel, self.author, self.posted_at),
            )

    @classmethod
    def create(
        cls,
        source: str,
        text: str,
        *,
        channel: str | None = None,
        author: str | None = None,
        posted_at: datetime | None = None,
        url: str | None = None,
        record: str | None = None,
    ) -> Post:
        """Build a post with its content-hash ``id``."""
        return cls(
            source=source,
            text=text,
            channel=channel,
            author=author,
            posted_at=posted_at,
            url=url,
            record=record,
            id=post_id(source, text, channel, author, posted_at),
        )

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready mapping (``posted_at`` as ISO 8601)."""
        return {
            "id": self.id,
            "source": self.source,
            "channel": self.channel,
            "author": self.author,
            "posted_at": self.posted_at.isoformat() if self.posted_at is not None else None,
            "url": self.url,
            "record": self.record,
            "text": self.text,
        }

    def to_json(self) -> str:
        """One JSON Lines line (no trailing newline)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Post:
        """Inverse of :meth:`to_dict`; ``id`` is recomputed when absent."""
        text = data.get("text")
        if not isinstance(text, str):
            raise ValueError("post has no text")
        source = data.get("source") or "unknown"
        raw_time = data.get("posted_at")
        posted_at = datetime.fromisoformat(raw_time) if isinstance(raw_time, str) else None
        if posted_at is not None and posted_at.utcoffset() is None:
            raise ValueError("posted_at has no time zone")

        def opt(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            source=str(source),
            text=text,
            channel=opt("channel"),
            author=opt("author"),
            posted_at=posted_at,
            url=opt("url"),
            record=opt("record"),
            id=str(data.get("id") or ""),
        )
