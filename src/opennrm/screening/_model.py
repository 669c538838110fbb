"""Value types of the screening library: answers, strengths, outcomes and catalogue items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal, cast

Lang = Literal["en", "uk", "ru"]
LANGS: Final[tuple[Lang, ...]] = ("en", "uk", "ru")


def as_lang(value: str, *, field: str = "lang") -> Lang:
    """Return ``value`` as a supported language code or raise ``ValueError``."""
    for lang in LANGS:
        if value == lang:
            return lang
    raise ValueError(f"{field}: unsupported language {value!r}; use one of {', '.join(LANGS)}")


class Answer(StrEnum):
    """What the screener recorded for one indicator.

    ``UNKNOWN`` covers "does not know", "refused to answer" and "could not ask": it is *not*
    a "no". An indicator that is absent from the answers is treated like ``UNKNOWN`` but is
    reported separately as "not asked".
    """

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Strength(StrEnum):
    """Delphi grading of an indicator within one set."""

    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"

    @property
    def rank(self) -> int:
        """0 for strong, 1 for medium, 2 for weak (sort key: strongest first)."""
        return _STRENGTH_RANK[self]


_STRENGTH_RANK: Final[dict[Strength, int]] = {
    Strength.STRONG: 0,
    Strength.MEDIUM: 1,
    Strength.WEAK: 2,
}


class Outcome(StrEnum):
    """Screening outcome, ordered by how much action it calls for.

    ``NO_INDICATORS < INCOMPLETE < POSSIBLE_VICTIM < PRESUMED_VICTIM``; comparisons use this
    order, not the alphabetical order of the values.
    """

    NO_INDICATORS = "no_indicators"
    INCOMPLETE = "incomplete"
    POSSIBLE_VICTIM = "possible_victim"
    PRESUMED_VICTIM = "presumed_victim"

    @property
    def rank(self) -> int:
        return _OUTCOME_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return self.rank >= other.rank


_OUTCOME_RANK: Final[dict[Outcome, int]] = {
    Outcome.NO_INDICATORS: 0,
    Outcome.INCOMPLETE: 1,
    Outcome.POSSIBLE_VICTIM: 2,
    Outcome.PRESUMED_VICTIM: 3,
}


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """One text in every supported language."""

    en: str
    uk: str
    ru: str

    def get(self, lang: Lang) -> str:
        return cast(str, getattr(self, lang))

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "uk": self.uk, "ru": self.ru}

    @classmethod
    def from_mapping(cls, data: Mapping[str, str]) -> LocalizedText:
        return cls(en=data["en"], uk=data["uk"], ru=data["ru"])


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a catalogue item comes from: a key into ``Catalogue.sources`` plus notes."""

    ref: str
    also: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Indicator:
    """One answerable indicator. The same indicator may belong to several sets with a
    different strength in each (see ``strengths``)."""

    id: str
    family: str
    dimension: str
    strengths: Mapping[str, Strength]
    verification: Mapping[str, str]
    label: LocalizedText
    description: LocalizedText
    questions: tuple[LocalizedText, ...]
    source: SourceRef

    def strength_in(self, set_id: str) -> Strength | None:
        return self.strengths.get(set_id)


@dataclass(frozen=True, slots=True)
class Dimension:
    id: str
    element: str
    label: LocalizedText


@dataclass(frozen=True, slots=True)
class Element:
    id: str
    label: LocalizedText


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    id: str
    child: bool
    label: LocalizedText
    indicator_ids: tuple[str, ...]
    verification_status: str
    verification_note: str


@dataclass(frozen=True, slots=True)
class ForcedLabourIndicator:
    """One of the 11 ILO indicators of forced labour (2012): a derived lens, never asked."""

    id: str
    label: LocalizedText
    maps_to: tuple[str, ...]
    source: SourceRef


@dataclass(frozen=True, slots=True)
class DimensionClause:
    """One way a dimension becomes positive, e.g. "1 strong + 1 medium or weak"."""

    id: str
    strong: int
    medium: int
    weak: int
    medium_or_weak: int
    label: LocalizedText

    def satisfied(self, strong: int, medium: int, weak: int) -> bool:
        return (
            strong >= self.strong
            and medium >= self.medium
            and weak >= self.weak
            and medium + weak >= self.medium_or_weak
        )


@dataclass(frozen=True, slots=True)
class RuleClause:
    """A combination of elements that makes the person a presumed victim."""

    id: str
    all_of: tuple[str, ...]
    label: LocalizedText
