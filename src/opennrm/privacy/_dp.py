"""Differential privacy: noisy counts and histograms through OpenDP, and a budget ledger.

Each release adds discrete Laplace noise (OpenDP ``make_laplace`` on integer vectors)
calibrated to the L1 sensitivity of the query: a person is counted once in a
histogram, so adding or removing one person changes the vector by at most 1.
Results are post-processed (negative counts set to zero), which costs no privacy.
The noise source is injectable so that tests can replace it; the default is OpenDP.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

#: adds noise of the given scale to every count: (counts, scale) -> noisy counts
NoiseSource = Callable[[Sequence[int], float], list[int]]


class BudgetExceeded(Exception):
    """The release would spend more privacy budget than the ledger has left."""

    def __init__(self, requested: float, remaining: float) -> None:
        super().__init__(f"requested epsilon {requested:g}, only {remaining:g} left")
        self.requested = requested
        self.remaining = remaining


def opendp_noise(counts: Sequence[int], scale: float) -> list[int]:
    """Discrete Laplace noise from OpenDP's vetted samplers."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=float(scale))
    return [int(v) for v in measurement([int(c) for c in counts])]


def laplace_epsilon(*, sensitivity: int, scale: float) -> float:
    """The epsilon OpenDP's privacy map gives for the discrete Laplace mechanism."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=float(scale))
    return float(measurement.map(sensitivity))  # type: ignore[no-untyped-call]


def expected_abs_error(scale: float) -> float:
    """E|Z| of discrete Laplace noise with this scale: 2q / (1 - q²), q = exp(-1/scale)."""
    q = math.exp(-1.0 / scale)
    return 2 * q / (1 - q * q)


def error_bound(scale: float, confidence: float = 0.95) -> int:
    """The smallest k with P(|Z| <= k) >= confidence for discrete Laplace noise.

    P(|Z| > k) = 2 q^(k+1) / (1 + q)."""
    q = math.exp(-1.0 / scale)
    k = math.log((1 - confidence) * (1 + q) / 2) / math.log(q) - 1
    return max(0, math.ceil(k))


@dataclass(frozen=True)
class LedgerEntry:
    label: str
    epsilon: float
    delta: float
    at: datetime | None = None


@dataclass
class PrivacyLedger:
    """The privacy budget of one data set: spending is recorded and capped.

    Pure: the caller stores ``entries`` (the app keeps them in the database)."""

    epsilon_budget: float
    delta_budget: float = 0.0
    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def spent_epsilon(self) -> float:
        return sum(e.epsilon for e in self.entries)

    @property
    def spent_delta(self) -> float:
        return sum(e.delta for e in self.entries)

    @property
    def remaining_epsilon(self) -> float:
        return max(0.0, self.epsilon_budget - self.spent_epsilon)

    def can_spend(self, epsilon: float, delta: float = 0.0) -> bool:
        tolerance = 1e-12
        return (
            epsilon > 0
            and self.spent_epsilon + epsilon <= self.epsilon_budget + tolerance
            and self.spent_delta + delta <= self.delta_budget + tolerance
        )

    def charge(
        self, label: str, epsilon: float, delta: float = 0.0, at: datetime | None = None
    ) -> LedgerEntry:
        """Record a spend, or raise ``BudgetExceeded`` and record nothing."""
        if not math.isfinite(epsilon) or epsilon <= 0:
            raise ValueError("epsilon must be a positive number")
        if not self.can_spend(epsilon, delta):
            raise BudgetExceeded(epsilon, self.remaining_epsilon)
        entry = LedgerEntry(label=label, epsilon=epsilon, delta=delta, at=at)
        self.entries.append(entry)
        return entry


@dataclass(frozen=True)
class DPRelease:
    """Noisy counts with what a reader needs to judge them."""

    labels: tuple[str, ...]
    values: tuple[int, ...]
    epsilon: float
    delta: float
    scale: float
    expected_abs_error: float
    error_95: int

    @property
    def total(self) -> int:
        return sum(self.values)

    def method(self) -> str:
        return (
            f"Differential privacy (discrete Laplace, OpenDP): epsilon {self.epsilon:g}, "
            f"delta {self.delta:g}; each count is off by about {self.expected_abs_error:.1f} "
            f"on average and by at most {self.error_95} in 95 of 100 counts."
        )


def dp_histogram(
    counts: Sequence[int],
    *,
    epsilon: float,
    labels: Sequence[str] | None = None,
    ledger: PrivacyLedger | None = None,
    ledger_label: str = "histogram",
    noise: NoiseSource = opendp_noise,
    contributions: int = 1,
) -> DPRelease:
    """An epsilon-DP histogram over a fixed, data-independent set of categories.

    ``contributions``: how many counts one person can appear in (1 for a histogram,
    the number of tables for several tables released together). The ledger, when
    given, is charged before any noise is drawn; an overspend raises ``BudgetExceeded``.
    """
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ValueError("epsilon must be a positive number")
    if contributions < 1:
        raise ValueError("contributions must be at least 1")
    if ledger is not None:
        ledger.charge(ledger_label, epsilon)
    scale = contributions / epsilon
    noisy = noise(list(counts), scale)
    return DPRelease(
        labels=tuple(labels) if labels is not None else tuple(map(str, range(len(counts)))),
        values=tuple(max(0, int(v)) for v in noisy),
        epsilon=epsilon,
        delta=0.0,
        scale=scale,
        expected_abs_error=expected_abs_error(scale),
        error_95=error_bound(scale),
    )


def dp_count(
    count: int,
    *,
    epsilon: float,
    ledger: PrivacyLedger | None = None,
    ledger_label: str = "count",
    noise: NoiseSource = opendp_noise,
) -> DPRelease:
    """An epsilon-DP count (a histogram of one bin)."""
    return dp_histogram(
        [count],
        epsilon=epsilon,
        labels=["count"],
        ledger=ledger,
        ledger_label=ledger_label,
        noise=noise,
    )


def mean_relative_error(true: Sequence[int], noisy: Sequence[int]) -> float:
    """Mean |noisy - true| / max(true, 1) over the bins."""
    if not true:
        return 0.0
    return sum(abs(n - t) / max(t, 1) for t, n in zip(true, noisy, strict=True)) / len(true)
