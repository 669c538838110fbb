from __future__ import annotations

import contextlib
import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opennrm.privacy import (
    BudgetExceeded,
    PrivacyLedger,
    dp_count,
    dp_histogram,
    error_bound,
    expected_abs_error,
    laplace_epsilon,
    mean_relative_error,
    opendp_noise,
)


def test_ledger_refuses_overspend_and_records_nothing() -> None:
    ledger = PrivacyLedger(epsilon_budget=1.0)
    ledger.charge("table 1", 0.5)
    ledger.charge("table 2", 0.5)
    with pytest.raises(BudgetExceeded) as err:
        ledger.charge("table 3", 0.01)
    assert err.value.remaining == pytest.approx(0.0)
    assert [e.label for e in ledger.entries] == ["table 1", "table 2"]
    assert ledger.spent_epsilon == pytest.approx(1.0)


def test_histogram_charges_the_ledger_before_drawing_noise() -> None:
    ledger = PrivacyLedger(epsilon_budget=0.5)
    drawn: list[float] = []

    def noise(counts: list[int], scale: float) -> list[int]:
        drawn.append(scale)
        return list(counts)

    dp_histogram([1, 2], epsilon=0.5, ledger=ledger, noise=noise)
    with pytest.raises(BudgetExceeded):
        dp_histogram([1, 2], epsilon=0.5, ledger=ledger, noise=noise)
    assert drawn == [2.0]  # the refused release drew no noise


@given(spends=st.lists(st.floats(0.01, 1.0), max_size=30), budget=st.floats(0.1, 5.0))
def test_ledger_never_exceeds_its_budget(spends: list[float], budget: float) -> None:
    ledger = PrivacyLedger(epsilon_budget=budget)
    for eps in spends:
        with contextlib.suppress(BudgetExceeded):
            ledger.charge("x", eps)
    assert ledger.spent_epsilon <= budget + 1e-9


def test_injected_noise_and_post_processing() -> None:
    release = dp_histogram(
        [10, 0, 5],
        epsilon=2.0,
        labels=["a", "b", "c"],
        noise=lambda counts, scale: [c - 3 for c in counts],
    )
    assert release.values == (7, 0, 2)  # never negative
    assert release.scale == 0.5
    assert release.epsilon == 2.0 and release.delta == 0.0
    assert "epsilon 2" in release.method()


def test_scale_matches_opendp_privacy_map() -> None:
    for eps in (0.5, 1.0, 2.0):
        release = dp_count(5, epsilon=eps, noise=lambda c, s: list(c))
        assert laplace_epsilon(sensitivity=1, scale=release.scale) == pytest.approx(eps)


def test_stated_error_matches_opendp_noise_statistically() -> None:
    # fixed sample size; the bounds are many standard errors wide, so the test fails
    # only when the stated error is wrong, not by chance
    scale = 2.0
    samples = [v - 100 for v in opendp_noise([100] * 4000, scale)]
    mean_abs = statistics.fmean(abs(v) for v in samples)
    assert mean_abs == pytest.approx(expected_abs_error(scale), rel=0.1)
    bound = error_bound(scale)
    inside = sum(abs(v) <= bound for v in samples) / len(samples)
    assert 0.93 <= inside <= 0.99
    assert abs(statistics.fmean(samples)) < 0.3


def test_error_bound_formula() -> None:
    q = math.exp(-1 / 3.0)
    k = error_bound(3.0)
    assert 2 * q ** (k + 1) / (1 + q) <= 0.05 < 2 * q**k / (1 + q)


def test_relative_error_shrinks_with_epsilon() -> None:
    rng = random.Random(1)
    true = [rng.randint(50, 500) for _ in range(40)]
    errors = [
        mean_relative_error(true, dp_histogram(true, epsilon=eps).values) for eps in (0.1, 10.0)
    ]
    assert errors[1] < errors[0]


def test_bad_epsilon() -> None:
    with pytest.raises(ValueError):
        dp_count(3, epsilon=0)
    with pytest.raises(ValueError):
        PrivacyLedger(epsilon_budget=1).charge("x", float("nan"))
