"""Visible text of an HTML page with the standard library's ``html.parser``.

Scraped HTML is hostile: nothing is executed or fetched; ``script``, ``style``,
``template``, ``noscript``, ``svg``, ``iframe``, ``object`` and ``head`` content (except
``<title>``) are dropped; character references are decoded once; no markup survives.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "template", "noscript", "svg", "math", "iframe", "object"})
_BLOCK = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "table", "section", "article",
        "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
        "dd", "dt", "figcaption", "main", "nav", "aside", "form", "title",
    }
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr", "param"}
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_NEWLINES = re.compile(r"\s*\n\s*")


@dataclasses.dataclass(frozen=True, slots=True)
class HtmlDocument:
    text: str
    title: str | None
    url: str | None
    published: datetime | None


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip_depth = 0
        self._in_head = False
        self._in_title = False
        self.url: str | None = None
        self.published: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if tag == "head":
            self._in_head = True
        elif tag == "title":
            self._in_title = True
        elif tag in ("meta", "link", "time"):
            a = {k: v for k, v in attrs if v is not None}
            prop = a.get("property") or a.get("name") or a.get("itemprop") or ""
            if tag == "link" and a.get("rel", "").lower() == "canonical":
                self.url = self.url or a.get("href")
            elif tag == "meta" and prop in ("og:url",):
                self.url = self.url or a.get("content")
            elif tag == "meta" and prop in ("article:published_time", "datePublished", "date"):
                self.published = self.published or a.get("content")
            elif tag == "time" and "datetime" in a:
                self.published = self.published or a["datetime"]
        if tag in _BLOCK and not self._skip_depth:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return  # <svg/> has no content to skip
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        if tag in _BLOCK and not self._skip_depth:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title_parts.append(data)
        elif not self._in_head:
            self.parts.append(data)


def _clean(text: str) -> str:
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def html_to_document(markup: str) -> HtmlDocument:
    """Visible text, title, canonical URL and publication time of an HTML page."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    title = _clean("".join(parser.title_parts)) or None
    return HtmlDocument(
        text=_clean("".join(parser.parts)),
        title=title,
        url=parser.url,
        published=_parse_time(parser.published),
    )


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment or page (block elements become new lines)."""
    return html_to_document(markup).text
