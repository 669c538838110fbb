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
    label: str
    value_text: str
    hidden: bool
    label_y: str
    bar_y: str
    bar_width: str
    value_x: str
    value_y: str


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


def bar_chart(table: ProtectedTable) -> Chart:
    series = table.series()
    known = [v for _l, v in series if v is not None]
    top = max(known, default=0) or 1
    usable = WIDTH - 60
    bars = []
    for i, (label, value) in enumerate(series):
        y = i * ROW
        width = 0.0 if value is None else usable * value / top
        bars.append(
            Bar(
                label=label,
                value_text=format_count(value, table.threshold),
                hidden=value is None,
                label_y=_num(y + 12),
                bar_y=_num(y + 16),
                bar_width=_num(max(width, 1.0) if value else 0.0),
                value_x=_num(width + 4),
                value_y=_num(y + 27),
            )
        )
    return Chart(
        key=table.spec_key,
        title=table.title,
        method=table.method,
        height=_num(len(series) * ROW + 4),
        bars=bars,
        empty=not known or table.total == 0,
    )
