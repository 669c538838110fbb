"""Differentially private synthetic microdata from noisy marginals.

The approach of Microsoft's Synthetic Data Showcase "DP marginals" synthesiser, which
CTDC uses, simplified: over categorical attributes in a fixed order, release noisy
counts of every 1-way marginal and of the 2- … k-way marginals of consecutive
attributes (one epsilon for all, split evenly, each person counted once in each
marginal, so the L1 sensitivity is the number of marginals). Records are then drawn
attribute by attribute, each from the noisy marginal of itself and the (up to k-1)
attributes drawn just before it, falling back to shorter marginals where a noisy
combination was filtered out. Everything after the noise is post-processing, so the
synthetic data set is epsilon-DP as a whole. A utility report compares every 1-, 2-
and 3-way marginal of the synthetic records with the true ones.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opennrm.privacy._dp import NoiseSource, expected_abs_error, opendp_noise

Combo = tuple[str, ...]


@dataclass(frozen=True)
class MarginalError:
    width: int
    marginals: int
    mean_abs_error: float  # in records, synthetic scaled to the true size
    mean_total_variation: float  # 0 (same shape) .. 1 (disjoint)


@dataclass(frozen=True)
class SyntheticData:
    records: list[dict[str, Any]]
    epsilon: float
    delta: float
    marginal_width: int
    marginals: int
    scale: float
    expected_abs_error: float

    def method(self) -> str:
        return (
            f"Differentially private synthetic records (noisy 1- to {self.marginal_width}-way "
            f"marginals, OpenDP discrete Laplace): epsilon {self.epsilon:g}, delta "
            f"{self.delta:g}, {self.marginals} marginals, noise scale {self.scale:.1f}."
        )


def _combos(attributes: Sequence[str], width: int) -> list[Combo]:
    out: list[Combo] = [(a,) for a in attributes]
    for w in range(2, width + 1):
        out += [tuple(attributes[i : i + w]) for i in range(len(attributes) - w + 1)]
    return out


def synthesise(
    records: Sequence[Mapping[str, Any]],
    domains: Mapping[str, Sequence[Any]],
    *,
    epsilon: float,
    rows: int,
    width: int = 3,
    rng: random.Random,
    noise: NoiseSource = opendp_noise,
    threshold_factor: float = 1.0,
) -> SyntheticData:
    """Draw ``rows`` synthetic records over the attributes of ``domains``.

    ``domains`` fixes every attribute's possible values in advance (they must not be
    read from the data, or their presence would leak); values outside it are mapped to
    the last value of the domain (use an "unknown"/"other" there). Noisy cells below
    ``threshold_factor`` × the noise scale are treated as zero (post-processing)."""
    if epsilon <= 0:
        raise ValueError("epsilon must be a positive number")
    if rows < 0:
        raise ValueError("rows cannot be negative")
    if width < 1:
        raise ValueError("width must be at least 1")
    attributes = list(domains)
    index = {a: {v: i for i, v in enumerate(domains[a])} for a in attributes}
    columns = {
        a: [index[a].get(r.get(a), len(domains[a]) - 1) for r in records] for a in attributes
    }
    combos = _combos(attributes, min(width, len(attributes)))
    scale = len(combos) / epsilon
    noisy: dict[Combo, dict[tuple[int, ...], int]] = {}
    for combo in combos:
        true = Counter(zip(*(columns[a] for a in combo), strict=True))
        cells = list(itertools.product(*(range(len(domains[a])) for a in combo)))
        values = noise([true.get(cell, 0) for cell in cells], scale)
        cut = threshold_factor * scale
        noisy[combo] = {cell: v for cell, v in zip(cells, values, strict=True) if v > cut}
    tables = _conditionals(noisy)
    synthetic = [
        _draw(attributes, domains, tables, min(width, len(attributes)), rng) for _ in range(rows)
    ]
    return SyntheticData(
        records=synthetic,
        epsilon=epsilon,
        delta=0.0,
        marginal_width=min(width, len(attributes)),
        marginals=len(combos),
        scale=scale,
        expected_abs_error=expected_abs_error(scale),
    )


Conditional = dict[tuple[int, ...], tuple[list[int], list[float]]]


def _conditionals(
    noisy: Mapping[Combo, Mapping[tuple[int, ...], int]],
) -> dict[Combo, Conditional]:
    """For each marginal: prefix (the earlier attributes' values) -> the last attribute's
    values and cumulative weights, so that each draw is a lookup and a bisection."""
    out: dict[Combo, Conditional] = {}
    for combo, cells in noisy.items():
        grouped: dict[tuple[int, ...], list[tuple[int, int]]] = {}
        for cell, v in cells.items():
            if v > 0:
                grouped.setdefault(cell[:-1], []).append((cell[-1], v))
        table: Conditional = {}
        for prefix, options in grouped.items():
            total = 0.0
            values, cumulative = [], []
            for value, weight in sorted(options):
                total += weight
                values.append(value)
                cumulative.append(total)
            table[prefix] = (values, cumulative)
        out[combo] = table
    return out


def _draw(
    attributes: Sequence[str],
    domains: Mapping[str, Sequence[Any]],
    tables: Mapping[Combo, Conditional],
    width: int,
    rng: random.Random,
) -> dict[str, Any]:
    drawn: list[int] = []
    for i, attribute in enumerate(attributes):
        choice: int | None = None
        for w in range(min(width, i + 1), 0, -1):
            combo = tuple(attributes[i - w + 1 : i + 1])
            found = tables[combo].get(tuple(drawn[i - w + 1 : i]))
            if found is not None:
                values, cumulative = found
                choice = rng.choices(values, cum_weights=cumulative)[0]
                break
        if choice is None:
            choice = rng.randrange(len(domains[attribute]))
        drawn.append(choice)
    return {a: domains[a][v] for a, v in zip(attributes, drawn, strict=True)}


def utility_report(
    true: Sequence[Mapping[str, Any]],
    synthetic: Sequence[Mapping[str, Any]],
    attributes: Sequence[str],
    *,
    widths: Sequence[int] = (1, 2, 3),
) -> list[MarginalError]:
    """Error of every w-way marginal of the synthetic records against the true ones."""
    out = []
    n_true, n_syn = len(true), len(synthetic)
    factor = n_true / n_syn if n_syn else 0.0
    true_cols = {a: [r.get(a) for r in true] for a in attributes}
    syn_cols = {a: [r.get(a) for r in synthetic] for a in attributes}
    for w in widths:
        if w > len(attributes):
            continue
        abs_errors: list[float] = []
        tvs: list[float] = []
        for combo in itertools.combinations(attributes, w):
            t = Counter(zip(*(true_cols[a] for a in combo), strict=True))
            s = Counter(zip(*(syn_cols[a] for a in combo), strict=True))
            cells = set(t) | set(s)
            diffs = [abs(t.get(c, 0) - s.get(c, 0) * factor) for c in cells]
            abs_errors.extend(diffs)
            tvs.append(sum(diffs) / (2 * n_true) if n_true else 0.0)
        out.append(
            MarginalError(
                width=w,
                marginals=len(tvs),
                mean_abs_error=sum(abs_errors) / len(abs_errors) if abs_errors else 0.0,
                mean_total_variation=sum(tvs) / len(tvs) if tvs else 0.0,
            )
        )
    return out
