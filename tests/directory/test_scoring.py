"""The ranking rules (pure): properties over generated services and people."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opennrm.directory import scoring
from opennrm.directory.scoring import Need, Offer

TYPES = ["shelter", "medical", "legal_aid", "child_protection"]
REGIONS = ["kyiv", "lviv", "odesa"]
LANGS = ["uk", "ru", "en", "pl"]

offers = st.builds(
    Offer,
    service_type=st.sampled_from(TYPES),
    status=st.sampled_from(["active", "inactive", "temporarily closed"]),
    languages=st.frozensets(st.sampled_from(LANGS)),
    genders=st.sampled_from(["any", "female", "male"]),
    age_min=st.one_of(st.none(), st.integers(0, 30)),
    age_max=st.one_of(st.none(), st.integers(14, 90)),
    nationalities=st.frozensets(st.sampled_from(["UA", "MD", "refugee"]), max_size=2),
    regions=st.frozensets(st.sampled_from(REGIONS)),
    nationwide=st.booleans(),
    capacity_total=st.one_of(st.none(), st.integers(0, 30)),
    capacity_available=st.one_of(st.none(), st.integers(0, 30)),
)
needs = st.builds(
    Need,
    needs=st.frozensets(st.sampled_from(TYPES)),
    language=st.one_of(st.none(), st.sampled_from(LANGS)),
    gender=st.sampled_from([None, "", "female", "male"]),
    age=st.one_of(st.none(), st.integers(0, 90)),
    region=st.one_of(st.none(), st.sampled_from(["Kyiv", "Lviv", "Odesa"])),
    nationality=st.one_of(st.none(), st.sampled_from(["UA", "MD", "PL"])),
)


@given(st.lists(offers, min_size=1, max_size=12), needs)
def test_no_service_that_cannot_take_the_person_ranks_above_one_that_can(items, need):
    rows = [(i, scoring.match(o, need), f"s{i}") for i, o in enumerate(items)]
    ranked = scoring.ranked(rows)
    flags = [m.referable for _i, m in ranked]
    assert flags == sorted(flags, reverse=True)  # all True before any False
    for group in (True, False):
        scores = [m.score for _i, m in ranked if m.referable is group]
        assert scores == sorted(scores, reverse=True)


@given(offers, needs)
def test_referable_exactly_when_there_is_no_problem(offer, need):
    m = scoring.match(offer, need)
    assert m.referable == (m.problems == ())
    assert m.score >= 0


@given(offers, needs)
def test_a_full_or_inactive_service_is_never_referable(offer, need):
    m = scoring.match(offer, need)
    if offer.capacity_available == 0 or offer.status != "active":
        assert not m.referable


@given(offers, needs)
def test_speaking_the_language_never_lowers_the_score(offer, need):
    if need.language is None:
        return
    without = scoring.match(Offer(**{**offer.__dict__, "languages": frozenset()}), need)
    with_ = scoring.match(
        Offer(**{**offer.__dict__, "languages": offer.languages | {need.language}}), need
    )
    assert with_.score > without.score


@given(offers, st.sampled_from([None, ""]))
def test_unknown_facts_are_never_held_against_the_person(offer, unknown):
    found = scoring.problems(offer, gender=unknown, age=None, nationality=unknown)
    assert {n.code for n in found} <= {"full", "inactive"}


def test_examples():
    women = Offer("shelter", genders="female", age_min=18, age_max=60, capacity_available=3)
    assert [n.code for n in scoring.problems(women, gender="male", age=70, nationality=None)] == [
        "women_only",
        "ages",
    ]
    assert scoring.problems(women, gender="female", age=30, nationality="UA") == []
    child = Offer("child_protection", age_max=17)
    assert scoring.problems(child, gender=None, age=15, nationality=None) == []
    assert [n.code for n in scoring.problems(child, gender=None, age=19, nationality=None)] == [
        "age_to"
    ]
    picky = Offer("legal_aid", nationalities=frozenset({"UA"}))
    assert [n.code for n in scoring.problems(picky, gender=None, age=None, nationality="md")] == [
        "nationality"
    ]
    assert scoring.problems(picky, gender=None, age=None, nationality="ua") == []
