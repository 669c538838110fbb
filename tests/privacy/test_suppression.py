"""Small-cell suppression, attacked by linear programming.

The attacker here is written independently of the library: it sees only the published
table (hidden counts as unknowns, non-negative) and the additivity of rows, columns
and the grand total, and computes each hidden count's feasible interval."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from opennrm.privacy import SuppressedTable, feasible_intervals, suppress, suppress_series


def attack(table: SuppressedTable) -> dict[tuple[str, int, int], tuple[float, float]]:
    r, c = len(table.row_labels), len(table.col_labels)
    names: list[tuple[str, int, int]] = []
    published: list[int | None] = []
    for i in range(r):
        for j in range(c):
            names.append(("cell", i, j))
            published.append(table.cells[i][j])
    for i in range(r):
        names.append(("row", i, -1))
        published.append(table.row_totals[i])
    for j in range(c):
        names.append(("col", -1, j))
        published.append(table.col_totals[j])
    names.append(("total", -1, -1))
    published.append(table.total)
    at = {name: k for k, name in enumerate(names)}
    equations = []
    for i in range(r):
        row = [0.0] * len(names)
        for j in range(c):
            row[at[("cell", i, j)]] = 1.0
        row[at[("row", i, -1)]] = -1.0
        equations.append(row)
    for j in range(c):
        row = [0.0] * len(names)
        for i in range(r):
            row[at[("cell", i, j)]] = 1.0
        row[at[("col", -1, j)]] = -1.0
        equations.append(row)
    row = [0.0] * len(names)
    for j in range(c):
        row[at[("col", -1, j)]] = 1.0
    row[at[("total", -1, -1)]] = -1.0
    equations.append(row)
    a_eq = np.array(equations)
    b_eq = np.zeros(len(equations))
    bounds = [(0, None) if v is None else (v, v) for v in published]
    out = {}
    for k, v in enumerate(published):
        if v is not None:
            continue
        goal = np.zeros(len(names))
        goal[k] = 1.0
        low = linprog(goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0
        hi = float("inf") if high.status == 3 else -high.fun
        out[names[k]] = (low.fun, hi)
    return out


def published_values_are_true(table: SuppressedTable, values: list[list[int]]) -> None:
    grid = np.array(values)
    for i, row in enumerate(table.cells):
        for j, v in enumerate(row):
            assert v is None or v == grid[i, j]
    for i, v in enumerate(table.row_totals):
        assert v is None or v == grid[i].sum()
    for j, v in enumerate(table.col_totals):
        assert v is None or v == grid[:, j].sum()
    assert table.total is None or table.total == grid.sum()


def test_single_small_cell_gets_a_complement_and_is_not_recoverable() -> None:
    values = [[20, 3, 15], [12, 18, 30], [25, 22, 40]]
    table = suppress(values, threshold=5)
    assert table.cells[0][1] is None
    assert ("cell", 0, 1) in table.primary
    assert table.secondary, "a lone hidden cell is recoverable from its row total"
    for lo, hi in attack(table).values():
        assert hi - lo >= 5
    published_values_are_true(table, values)


def test_without_complements_the_attacker_would_win() -> None:
    # the attack is real: hiding only the small cell leaves it exactly recoverable
    values = [[20, 3, 15], [12, 18, 30]]
    naive = SuppressedTable(
        row_labels=("a", "b"),
        col_labels=("x", "y", "z"),
        cells=((20, None, 15), (12, 18, 30)),
        row_totals=(38, 60),
        col_totals=(32, 21, 45),
        total=98,
        threshold=5,
        protection=5,
        primary=frozenset({("cell", 0, 1)}),
    )
    assert attack(naive)[("cell", 0, 1)] == pytest.approx((3, 3))
    assert values[0][1] == 3


def test_small_totals_are_suppressed_too() -> None:
    table = suppress([[1, 1], [30, 40]], threshold=5)
    assert table.row_totals[0] is None
    for lo, hi in attack(table).values():
        assert hi - lo >= 5


def test_zeros_are_published_and_large_tables_untouched() -> None:
    table = suppress([[0, 10], [20, 30]], threshold=5)
    assert table.cells == ((0, 10), (20, 30))
    assert not table.suppressed


def test_tiny_table_is_hidden_entirely() -> None:
    table = suppress([[2]], threshold=5)
    assert table.total is None and table.cells == ((None,),)


def test_series() -> None:
    table = suppress_series([40, 2, 17, 30], labels=["a", "b", "c", "d"], threshold=5)
    assert table.cells[0][1] is None
    assert sum(v is None for v in table.cells[0]) >= 2
    for lo, hi in attack(table).values():
        assert hi - lo >= 5


def test_library_audit_agrees_with_the_attacker() -> None:
    table = suppress([[9, 2, 14, 1], [7, 30, 3, 22], [11, 16, 25, 8]], threshold=5)
    mine, theirs = feasible_intervals(table), attack(table)
    assert set(mine) == set(theirs)
    for p, (lo, hi) in theirs.items():
        assert mine[p][0] == pytest.approx(lo)
        assert mine[p][1] == pytest.approx(hi)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        suppress([[1, -1]])
    with pytest.raises(ValueError):
        suppress([[1]], threshold=0)
    with pytest.raises(ValueError):
        suppress([])


tables = st.integers(1, 4).flatmap(
    lambda r: st.integers(1, 4).flatmap(
        lambda c: st.lists(
            st.lists(st.integers(0, 25), min_size=c, max_size=c), min_size=r, max_size=r
        )
    )
)


@settings(max_examples=60)
@given(values=tables, threshold=st.integers(2, 11))
def test_no_hidden_count_can_be_narrowed_below_the_protection_level(
    values: list[list[int]], threshold: int
) -> None:
    table = suppress(values, threshold=threshold)
    published_values_are_true(table, values)
    grid = np.array(values)
    # every small non-zero count is hidden
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if 0 < v < threshold:
                assert table.cells[i][j] is None
    for i in range(grid.shape[0]):
        if 0 < grid[i].sum() < threshold:
            assert table.row_totals[i] is None
    for p, (lo, hi) in attack(table).items():
        assert hi - lo >= threshold, (p, lo, hi)
