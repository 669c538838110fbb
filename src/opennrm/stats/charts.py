"""Server-rendered SVG bar charts: geometry computed here, numbers written
locale-independently for SVG attributes and formatted for the reader in the labels."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format

from opennrm.stats.tables import ProtectedTable

WIDTH = 320  # viewBox units; the SVG scales to its container
ROW = 34  # label line + bar
BAR = 14


def _num(x: float) -> str:
    """A number for an SVG attribute: always a dot, never a thousands separator."""
    return f"{x:.1f}"


@dataclass(frozen=True)
class Bar:
    label_lines: list[tuple[str, str]]  # (text, y): long labels take two lines
    value_text: str
    hidden: bool
    bar_y: str
    bar_width: str
    value_x: str
    value_y: str


LINE_CHARS = 44  # fits 320 units at font size 11, Cyrillic included


def _wrap(label: str) -> list[str]:
    if len(label) <= LINE_CHARS:
        return [label]
    cut = label.rfind(" ", 0, LINE_CHARS)
    cut = cut if cut > 0 else LINE_CHARS
    rest = label[cut:].strip()
    if len(rest) > LINE_CHARS:
        rest = rest[: LINE_CHARS - 1] + "…"
    return [label[:cut].strip(), rest]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    method: str
    height: str
    bars: list[Bar]
    empty: bool


def format_count(value: int | None, threshold: int | None) -> str:
    if value is None:
        return f"<{threshold}" if threshold else "—"
    return number_format(value, force_grouping=True)


def bar_chart(table: ProtectedTable, *, by_column: bool = False, title: str = "") -> Chart:
    """Bars of a one-column table, or of a two-way table's row (or column) totals."""
    series = table.series(by_column=by_column)
    known = [v for _l, v in series if v is not None]
    top = max(known, default=0) or 1
    usable = WIDTH - 60
    bars = []
    y = 0.0
    for label, value in series:
        lines = _wrap(label)
        width = 0.0 if value is None else usable * value / top
        label_lines = [(text, _num(y + 12 + 13 * n)) for n, text in enumerate(lines)]
        y += 13 * (len(lines) - 1)
        bars.append(
            Bar(
                label_lines=label_lines,
                value_text=format_count(value, table.threshold),
                hidden=value is None,
                bar_y=_num(y + 16),
                bar_width=_num(max(width, 1.0) if value else 0.0),
                value_x=_num(width + 4),
                value_y=_num(y + 27),
            )
        )
        y += ROW
    return Chart(
        key=table.spec_key + ("-by-column" if by_column else ""),
        title=title or table.title,
        method=table.method,
        height=_num(y + 4),
        bars=bars,
        empty=not known or table.total == 0,
    )
