from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.privacy import (
    WITHHELD,
    KTooLarge,
    QuasiIdentifier,
    anonymise,
    ctdc_age_band,
    is_k_anonymous,
    minor_or_adult,
    year_of,
)

QIS = [
    QuasiIdentifier("age", (("CTDC age band", ctdc_age_band), ("minor or adult", minor_or_adult))),
    QuasiIdentifier("date", (("year", year_of),)),
    QuasiIdentifier("region", (("country", lambda v: "UA"),)),
    QuasiIdentifier("gender"),
]


def people(n: int, seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "age": rng.randint(10, 60),
            "date": date(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)),
            "region": rng.choice(["Kyiv", "Lviv", "Odesa", "Volyn"]),
            "gender": rng.choice(["female", "male"]),
            "exploitation": rng.choice(["labour", "sexual", "criminality"]),
        }
        for _ in range(n)
    ]


def test_age_bands() -> None:
    assert [ctdc_age_band(a) for a in (0, 8, 9, 17, 18, 29, 30, 47, 48, 90)] == [
        "0--8", "0--8", "9--17", "9--17", "18--20", "27--29", "30--38", "39--47", "48+", "48+",
    ]  # fmt: skip
    assert minor_or_adult(15) == "minor" and minor_or_adult("21--23") == "adult"
    assert year_of(date(2025, 3, 1)) == "2025" and year_of("2024-02") == "2024"
    assert ctdc_age_band(None) is None


def test_generalisation_then_suppression() -> None:
    data = people(600)
    out = anonymise(data, QIS, k=11, sensitive="exploitation", l_diversity=2)
    names = [q.name for q in QIS]
    assert is_k_anonymous(out.records, names, 11, sensitive="exploitation", l_diversity=2)
    levels = {g.field: g.description for g in out.report.generalisations}
    assert levels["date"] == "year"  # exact dates never survive k = 11 on 600 people
    assert out.report.records_in == 600
    assert out.report.records_out == len(out.records)
    assert out.report.smallest_class >= 11
    assert out.report.suppressed_share <= 0.05
    for r in out.records:
        assert r["date"] in ("2024", "2025")
        assert r["exploitation"] in ("labour", "sexual", "criminality")


def test_generalisation_saves_records() -> None:
    data = people(400)
    names = [q.name for q in QIS]
    only_suppression = anonymise(data, QIS, k=11, generalise=False)
    generalised = anonymise(data, QIS, k=11)
    assert is_k_anonymous(only_suppression.records, names, 11)
    assert only_suppression.report.suppressed_share > 0.9  # exact ages and dates
    assert generalised.report.suppressed < only_suppression.report.suppressed
    assert all(g.level == 0 for g in only_suppression.report.generalisations)


def test_k_larger_than_the_data() -> None:
    with pytest.raises(KTooLarge):
        anonymise(people(5), QIS, k=11)


def test_withheld_marker_is_never_produced_by_generalisation() -> None:
    out = anonymise(people(300), QIS, k=11)
    assert all(WITHHELD not in r.values() for r in out.records)


@settings(max_examples=25)
@given(
    n=st.integers(11, 200),
    k=st.integers(2, 11),
    l_div=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_output_is_always_k_anonymous_and_l_diverse(n: int, k: int, l_div: int, seed: int) -> None:
    out = anonymise(people(n, seed), QIS, k=k, sensitive="exploitation", l_diversity=l_div)
    names = [q.name for q in QIS]
    assert is_k_anonymous(out.records, names, k, sensitive="exploitation", l_diversity=l_div)
    assert len(out.records) == out.report.records_out <= n
