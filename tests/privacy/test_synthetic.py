from __future__ import annotations

import random

import pytest

from opennrm.privacy import synthesise, utility_report

DOMAINS = {
    "gender": ["female", "male", "unknown"],
    "age": ["minor", "adult", "unknown"],
    "exploitation": ["labour", "sexual", "criminality", "other"],
    "year": ["2024", "2025"],
}


def population(n: int, seed: int = 5) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        gender = rng.choices(["female", "male"], [0.4, 0.6])[0]
        # a strong dependence: sexual exploitation mostly women, labour mostly men
        if gender == "female":
            kind = rng.choices(["labour", "sexual", "criminality", "other"], [2, 6, 1, 1])[0]
        else:
            kind = rng.choices(["labour", "sexual", "criminality", "other"], [6, 1, 3, 1])[0]
        out.append(
            {
                "gender": gender,
                "age": rng.choices(["minor", "adult"], [0.2, 0.8])[0],
                "exploitation": kind,
                "year": rng.choice(["2024", "2025"]),
            }
        )
    return out


def exact(counts: list[int], scale: float) -> list[int]:
    return list(counts)


def test_without_noise_the_synthetic_data_keeps_the_marginals() -> None:
    true = population(3000)
    data = synthesise(true, DOMAINS, epsilon=1.0, rows=3000, rng=random.Random(1), noise=exact)
    assert len(data.records) == 3000
    assert data.marginals == 4 + 3 + 2
    assert data.scale == pytest.approx(9.0)
    report = {m.width: m for m in utility_report(true, data.records, list(DOMAINS))}
    assert report[1].mean_total_variation < 0.03
    assert report[2].mean_total_variation < 0.05
    # the dependence survives
    women = [r for r in data.records if r["gender"] == "female"]
    assert sum(r["exploitation"] == "sexual" for r in women) / len(women) > 0.45


def test_with_opendp_noise_and_stated_epsilon() -> None:
    true = population(5000)
    data = synthesise(true, DOMAINS, epsilon=1.0, rows=5000, rng=random.Random(2))
    assert data.epsilon == 1.0 and data.delta == 0.0
    assert "epsilon 1" in data.method()
    report = utility_report(true, data.records, list(DOMAINS))
    assert [m.width for m in report] == [1, 2, 3]
    assert report[0].mean_total_variation < 0.05
    assert all(r["gender"] in DOMAINS["gender"] for r in data.records)


def test_values_outside_the_domain_go_to_its_last_value() -> None:
    data = synthesise(
        [{"gender": "x"}] * 50,
        {"gender": ["female", "unknown"]},
        epsilon=1.0,
        rows=10,
        rng=random.Random(0),
        noise=exact,
    )
    assert {r["gender"] for r in data.records} == {"unknown"}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        synthesise([], DOMAINS, epsilon=0, rows=1, rng=random.Random(0))
