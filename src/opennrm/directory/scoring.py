"""How well a service fits a person: pure rules, no Django (import-linter keeps it so).

The caller turns a service and a person into plain facts (``Offer``, ``Need``); ``match``
returns a score, whether the person can be referred there now, and notes (codes with
parameters) that the caller turns into translated sentences. Keeping the rules here lets
property tests check them over many generated services and people.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

ACTIVE = "active"
ANY_GENDER = "any"

#: points per kind of fit; a service's score is the sum of what applies
WEIGHT_NEED = 4.0
WEIGHT_LANGUAGE = 3.0
WEIGHT_REGION = 2.0
WEIGHT_NATIONWIDE = 1.0
WEIGHT_TARGETED = 0.5
#: free places add up to this much (a handful of places is as good as many)
WEIGHT_CAPACITY = 1.0
CAPACITY_SATURATION = 5
#: free places older than this many days are flagged for a phone call before referring
CAPACITY_STALE_DAYS = 7


@dataclass(frozen=True)
class Note:
    """A reason or a problem: a code with the values its sentence needs."""

    code: str
    params: tuple[tuple[str, str | int], ...] = ()

    def param(self, name: str) -> str | int:
        return dict(self.params)[name]


@dataclass(frozen=True)
class Offer:
    """What a service offers and whom it accepts (all codes lower-case, regions case-folded)."""

    service_type: str
    status: str = ACTIVE
    languages: frozenset[str] = frozenset()
    genders: str = ANY_GENDER
    age_min: int | None = None
    age_max: int | None = None
    nationalities: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()  # served regions and the regions of its locations
    nationwide: bool = False
    capacity_total: int | None = None
    capacity_available: int | None = None
    #: whole days since the provider last updated the free places (None: not known)
    capacity_age_days: int | None = None


@dataclass(frozen=True)
class Need:
    """What is known of the person: ``None``/empty means not known (never held against them)."""

    needs: frozenset[str] = frozenset()
    language: str | None = None
    gender: str | None = None
    age: int | None = None
    region: str | None = None
    nationality: str | None = None


@dataclass(frozen=True)
class Match:
    score: float
    referable: bool
    reasons: tuple[Note, ...] = field(default=())
    problems: tuple[Note, ...] = field(default=())


def _norm(value: str | None) -> str:
    return (value or "").strip().casefold()


def problems(
    offer: Offer, *, gender: str | None, age: int | None, nationality: str | None
) -> list[Note]:
    """Why this person cannot be referred to this service now (empty: they can)."""
    found: list[Note] = []
    if offer.status != ACTIVE:
        found.append(Note("inactive", (("status", offer.status),)))
    if offer.capacity_available is not None and offer.capacity_available <= 0:
        found.append(Note("full"))
    person_gender = _norm(gender)
    if (
        offer.genders != ANY_GENDER
        and person_gender in ("female", "male")
        and person_gender != offer.genders
    ):
        found.append(Note("women_only" if offer.genders == "female" else "men_only"))
    if age is not None:
        too_young = offer.age_min is not None and age < offer.age_min
        too_old = offer.age_max is not None and age > offer.age_max
        if too_young or too_old:
            if offer.age_min is not None and offer.age_max is not None:
                found.append(Note("ages", (("min", offer.age_min), ("max", offer.age_max))))
            elif offer.age_min is not None:
                found.append(Note("age_from", (("min", offer.age_min),)))
            else:
                found.append(Note("age_to", (("max", offer.age_max or 0),)))
    accepted = {_norm(n) for n in offer.nationalities}
    if accepted and _norm(nationality) and _norm(nationality) not in accepted:
        found.append(Note("nationality", (("accepted", ", ".join(sorted(offer.nationalities))),)))
    return found


def match(offer: Offer, need: Need) -> Match:
    """Score one service for one person, with the reasons for the score and the problems."""
    reasons: list[Note] = []
    score = 0.0
    if offer.service_type in need.needs:
        score += WEIGHT_NEED
        reasons.append(Note("need", (("type", offer.service_type),)))
    language = _norm(need.language)
    if language:
        if language in {_norm(code) for code in offer.languages}:
            score += WEIGHT_LANGUAGE
            reasons.append(Note("speaks", (("language", language),)))
        else:
            reasons.append(Note("not_speaks", (("language", language),)))
    region = _norm(need.region)
    if region and region in offer.regions:
        score += WEIGHT_REGION
        reasons.append(Note("in_region", (("region", need.region or ""),)))
    elif offer.nationwide:
        score += WEIGHT_NATIONWIDE
        reasons.append(Note("nationwide"))
    elif region:
        reasons.append(Note("other_region"))
    person_gender = _norm(need.gender)
    if offer.genders != ANY_GENDER and person_gender == offer.genders:
        score += WEIGHT_TARGETED
        reasons.append(Note("for_women" if offer.genders == "female" else "for_men"))
    if need.age is not None and need.age < 18 and offer.age_max is not None and offer.age_max < 18:
        score += WEIGHT_TARGETED
        reasons.append(Note("for_children"))
    if offer.capacity_available is not None and offer.capacity_available > 0:
        score += (
            WEIGHT_CAPACITY
            * min(offer.capacity_available, CAPACITY_SATURATION)
            / CAPACITY_SATURATION
        )
        reasons.append(Note("places_free", (("count", offer.capacity_available),)))
        age = offer.capacity_age_days
        if age is not None and age > CAPACITY_STALE_DAYS:
            reasons.append(Note("places_stale", (("days", age),)))
    found = problems(offer, gender=need.gender, age=need.age, nationality=need.nationality)
    return Match(score=score, referable=not found, reasons=tuple(reasons), problems=tuple(found))


T = TypeVar("T")


def ranked(items: Iterable[tuple[T, Match, str]]) -> list[tuple[T, Match]]:
    """Services the person can be referred to first, best score first; the others after,
    also by score; ties broken by name so the order is stable."""
    rows: Sequence[tuple[T, Match, str]] = list(items)
    ordered = sorted(rows, key=lambda row: (not row[1].referable, -row[1].score, row[2]))
    return [(item, m) for item, m, _name in ordered]
