"""Small-cell suppression of contingency tables with complementary suppression.

A table is an ``r × c`` grid of non-negative counts published with its row totals,
column totals and grand total. Primary suppression hides every count (cell or
total) from 1 to ``threshold - 1``. Complementary suppression then hides further
counts until an attacker who knows every published number, and that counts are
non-negative, cannot narrow any hidden count to an interval shorter than the
protection level. The attacker is simulated by linear programming (the same
attack the tests make independently); suppression stops only when every hidden
count passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]

# A position in the published table: ("cell", i, j), ("row", i, -1),
# ("col", -1, j) or ("total", -1, -1).
Position = tuple[str, int, int]


@dataclass(frozen=True)
class SuppressedTable:
    """A table ready to publish: ``None`` where a count is hidden."""

    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    col_totals: tuple[int | None, ...]
    total: int | None
    threshold: int
    protection: int
    primary: frozenset[Position] = field(default_factory=frozenset)
    secondary: frozenset[Position] = field(default_factory=frozenset)

    @property
    def suppressed(self) -> frozenset[Position]:
        return self.primary | self.secondary

    def method(self) -> str:
        """A plain-English statement of the protection (apps translate their own)."""
        return (
            f"Counts from 1 to {self.threshold - 1} suppressed, with complementary "
            f"suppression so that no hidden count can be narrowed to fewer than "
            f"{self.protection} values from the totals."
        )


class _Model:
    """The attacker's linear model of a table with its margins."""

    def __init__(self, values: np.ndarray) -> None:
        self.r, self.c = values.shape
        self.positions: list[Position] = [
            ("cell", i, j) for i in range(self.r) for j in range(self.c)
        ]
        self.positions += [("row", i, -1) for i in range(self.r)]
        self.positions += [("col", -1, j) for j in range(self.c)]
        self.positions.append(("total", -1, -1))
        self.index = {p: k for k, p in enumerate(self.positions)}
        self.value = {p: int(self._value_of(values, p)) for p in self.positions}
        n = len(self.positions)
        rows: list[np.ndarray] = []
        for i in range(self.r):
            eq = np.zeros(n)
            for j in range(self.c):
                eq[self.index[("cell", i, j)]] = 1
            eq[self.index[("row", i, -1)]] = -1
            rows.append(eq)
        for j in range(self.c):
            eq = np.zeros(n)
            for i in range(self.r):
                eq[self.index[("cell", i, j)]] = 1
            eq[self.index[("col", -1, j)]] = -1
            rows.append(eq)
        eq = np.zeros(n)
        for i in range(self.r):
            eq[self.index[("row", i, -1)]] = 1
        eq[self.index[("total", -1, -1)]] = -1
        rows.append(eq)
        self.a_eq = np.array(rows)
        self.b_eq = np.zeros(len(rows))

    @staticmethod
    def _value_of(values: np.ndarray, p: Position) -> int:
        kind, i, j = p
        if kind == "cell":
            return int(values[i, j])
        if kind == "row":
            return int(values[i].sum())
        if kind == "col":
            return int(values[:, j].sum())
        return int(values.sum())

    def neighbours(self, p: Position) -> list[Position]:
        """Positions sharing an additivity equation with ``p``."""
        kind, i, j = p
        if kind == "cell":
            out: list[Position] = [("cell", i, k) for k in range(self.c) if k != j]
            out += [("cell", k, j) for k in range(self.r) if k != i]
            return [*out, ("row", i, -1), ("col", -1, j)]
        if kind == "row":
            return [("cell", i, k) for k in range(self.c)] + [
                *(("row", k, -1) for k in range(self.r) if k != i),
                ("total", -1, -1),
            ]
        if kind == "col":
            return [("cell", k, j) for k in range(self.r)] + [
                *(("col", -1, k) for k in range(self.c) if k != j),
                ("total", -1, -1),
            ]
        return [("row", k, -1) for k in range(self.r)] + [("col", -1, k) for k in range(self.c)]

    def intervals(self, hidden: set[Position]) -> dict[Position, tuple[float, float]]:
        """The feasible interval of every hidden count, given everything published."""
        bounds = [
            (0.0, None) if p in hidden else (float(self.value[p]), float(self.value[p]))
            for p in self.positions
        ]
        out: dict[Position, tuple[float, float]] = {}
        n = len(self.positions)
        for p in hidden:
            objective = np.zeros(n)
            objective[self.index[p]] = 1
            low = linprog(objective, A_eq=self.a_eq, b_eq=self.b_eq, bounds=bounds, method="highs")
            high = linprog(
                -objective, A_eq=self.a_eq, b_eq=self.b_eq, bounds=bounds, method="highs"
            )
            lo = float(low.fun) if low.status == 0 else 0.0
            hi = (
                float("inf")
                if high.status == 3
                else (-float(high.fun) if high.status == 0 else 0.0)
            )
            out[p] = (lo, hi)
        return out


def suppress(
    values: Sequence[Sequence[int]],
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    threshold: int = 5,
    protection: int | None = None,
) -> SuppressedTable:
    """Suppress small counts of a table and enough others that none can be recovered.

    ``threshold``: counts from 1 to ``threshold - 1`` are hidden (zeros are published).
    ``protection``: the shortest interval an attacker may be left with for a hidden
    count (default: ``threshold``).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    grid = np.array(values, dtype=np.int64)
    if grid.ndim != 2 or grid.size == 0:
        raise ValueError("a table needs at least one row and one column")
    if (grid < 0).any():
        raise ValueError("counts cannot be negative")
    level = threshold if protection is None else protection
    model = _Model(grid)
    primary = {p for p in model.positions if 0 < model.value[p] < threshold}
    hidden = set(primary)
    while hidden:
        weak = [p for p, (lo, hi) in sorted(model.intervals(hidden).items()) if hi - lo < level]
        if not weak:
            break
        # one complement per under-protected count per round (a complement added for
        # one often protects its neighbours too), then attack again
        added: set[Position] = set()
        for p in weak:
            if added & set(model.neighbours(p)):
                continue
            choice = _complement_for(model, p, hidden, level)
            hidden.add(choice)
            added.add(choice)
    secondary = hidden - primary
    r, c = grid.shape

    def shown(p: Position) -> int | None:
        return None if p in hidden else model.value[p]

    return SuppressedTable(
        row_labels=tuple(row_labels) if row_labels is not None else tuple(map(str, range(r))),
        col_labels=tuple(col_labels) if col_labels is not None else tuple(map(str, range(c))),
        cells=tuple(tuple(shown(("cell", i, j)) for j in range(c)) for i in range(r)),
        row_totals=tuple(shown(("row", i, -1)) for i in range(r)),
        col_totals=tuple(shown(("col", -1, j)) for j in range(c)),
        total=shown(("total", -1, -1)),
        threshold=threshold,
        protection=level,
        primary=frozenset(primary),
        secondary=frozenset(secondary),
    )


def _complement_for(model: _Model, weak: Position, hidden: set[Position], level: int) -> Position:
    """The next count to hide for an under-protected one: an unsuppressed neighbour,
    inner cells before totals, the smallest count that gives enough room, else the
    largest; when no neighbour is left, any published count (the table fills up and
    an all-hidden table protects everything)."""
    candidates = [p for p in model.neighbours(weak) if p not in hidden]
    if not candidates:
        candidates = [p for p in model.positions if p not in hidden]

    def key(p: Position) -> tuple[int, int, int]:
        v = model.value[p]
        enough = v >= level
        return (p[0] != "cell", 0 if enough else 1, v if enough else -v)

    return min(candidates, key=key)


def feasible_intervals(table: SuppressedTable) -> dict[Position, tuple[float, float]]:
    """Re-run the attack on a published table (for reports: how wide each hidden range is).

    Only the published numbers are used; hidden values are unknowns."""
    r, c = len(table.row_labels), len(table.col_labels)
    model = _Model(np.zeros((r, c), dtype=np.int64))
    for p in model.positions:
        kind, i, j = p
        if kind == "cell":
            v = table.cells[i][j]
        elif kind == "row":
            v = table.row_totals[i]
        elif kind == "col":
            v = table.col_totals[j]
        else:
            v = table.total
        model.value[p] = 0 if v is None else v
    return model.intervals(set(table.suppressed))


def suppress_series(
    counts: Sequence[int],
    *,
    labels: Sequence[str] | None = None,
    threshold: int = 5,
    protection: int | None = None,
) -> SuppressedTable:
    """A one-dimensional table (a histogram with its total) as a one-row table."""
    return suppress(
        [list(counts)],
        row_labels=["all"],
        col_labels=labels,
        threshold=threshold,
        protection=protection,
    )
