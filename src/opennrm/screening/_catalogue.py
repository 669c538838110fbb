"""Loading and querying the versioned indicator catalogue (JSON data inside the package)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from ._errors import CatalogueError
from ._model import (
    LANGS,
    Dimension,
    DimensionClause,
    Element,
    ForcedLabourIndicator,
    Indicator,
    IndicatorSet,
    Lang,
    LocalizedText,
    RuleClause,
    SourceRef,
    Strength,
    as_lang,
)

LATEST_VERSION: Final = "2026.1"
_PACKAGE: Final = "opennrm.screening"


_REQUIRED_MESSAGES: Final[tuple[tuple[str, ...], ...]] = (
    ("interview_intro",),
    ("forced_criminality_note",),
    ("child_note",),
    *(
        (group, outcome)
        for group in ("outcome", "next_action")
        for outcome in ("presumed_victim", "possible_victim", "incomplete", "no_indicators")
    ),
    ("next_action", "possible_victim_nothing_open"),
    *(
        ("reason", r)
        for r in (
            "rule_met",
            "dimension_established",
            "strong_indicator",
            "forced_criminality",
            "indicators_present_rule_reachable",
            "rule_reachable_nothing_present",
            "rule_unreachable",
        )
    ),
    *(
        ("explanation", k)
        for k in (
            "dimension_established",
            "dimension_partial",
            "dimension_none",
            "open_questions",
            "unreachable",
            "element_established",
            "element_not_established",
            "rule_met",
            "rule_not_met",
            "answer",
        )
    ),
    *(("strength", st.value) for st in Strength),
)


def _version_dir(version: str) -> str:
    return "v" + version.replace(".", "_")


def available_versions() -> tuple[str, ...]:
    """Catalogue versions shipped with this package, oldest first."""
    root = resources.files(_PACKAGE).joinpath("catalogue")
    found = []
    for entry in root.iterdir():
        name = entry.name
        if entry.is_dir() and name.startswith("v") and entry.joinpath("catalogue.json").is_file():
            found.append(name[1:].replace("_", "."))
    return tuple(sorted(found, key=lambda v: tuple(int(p) for p in v.split("."))))


@dataclass(frozen=True, slots=True)
class GuideQuestion:
    """One question of the interview guide, in the screener's language and, optionally, the
    interviewee's language side by side."""

    indicator_id: str
    dimension: str
    strength: Strength
    label: str
    description: str
    questions: tuple[str, ...]
    interviewee_questions: tuple[str, ...] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator_id": self.indicator_id,
            "dimension": self.dimension,
            "strength": str(self.strength),
            "label": self.label,
            "description": self.description,
            "questions": list(self.questions),
            "interviewee_questions": (
                None if self.interviewee_questions is None else list(self.interviewee_questions)
            ),
        }


@dataclass(frozen=True, slots=True)
class GuideSection:
    """The questions of one dimension, in interview order."""

    dimension: str
    label: str
    interviewee_label: str | None
    questions: tuple[GuideQuestion, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "label": self.label,
            "interviewee_label": self.interviewee_label,
            "questions": [q.to_dict() for q in self.questions],
        }


@dataclass(frozen=True, slots=True)
class _SetIndex:
    """Per-set lookup tables precomputed at load time (keeps ``evaluate`` fast)."""

    strengths: Mapping[str, Strength]
    by_dimension: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A loaded, validated catalogue version. Immutable; share it freely."""

    version: str
    title: LocalizedText
    sets: tuple[IndicatorSet, ...]
    dimensions: tuple[Dimension, ...]
    elements: tuple[Element, ...]
    indicators: tuple[Indicator, ...]
    forced_labour_indicators: tuple[ForcedLabourIndicator, ...]
    dimension_clauses: tuple[DimensionClause, ...]
    adult_rule: tuple[RuleClause, ...]
    child_rule: tuple[RuleClause, ...]
    forced_criminality_triggers: frozenset[str]
    sources: Mapping[str, Mapping[str, Any]]
    decisions: tuple[Mapping[str, Any], ...]
    verification: Mapping[str, Any]
    messages: Mapping[str, Any]
    _by_id: Mapping[str, Indicator] = field(repr=False, compare=False)
    _set_by_id: Mapping[str, IndicatorSet] = field(repr=False, compare=False)
    _set_index: Mapping[str, _SetIndex] = field(repr=False, compare=False)

    @property
    def set_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sets)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id; ``KeyError`` if there is none."""
        return self._by_id[indicator_id]

    def has_indicator(self, indicator_id: str) -> bool:
        return indicator_id in self._by_id

    def indicator_set(self, set_id: str) -> IndicatorSet:
        """The set with this id; ``KeyError`` if there is none."""
        return self._set_by_id[set_id]

    def dimension(self, dimension_id: str) -> Dimension:
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        raise KeyError(dimension_id)

    def element(self, element_id: str) -> Element:
        for e in self.elements:
            if e.id == element_id:
                return e
        raise KeyError(element_id)

    def indicators_for(self, set_id: str) -> tuple[Indicator, ...]:
        """The indicators of a set in interview order."""
        return tuple(self._by_id[i] for i in self.indicator_set(set_id).indicator_ids)

    def set_index(self, set_id: str) -> _SetIndex:
        return self._set_index[set_id]

    @property
    def interview_intro(self) -> LocalizedText:
        """What to tell the person and how to conduct the interview, for the screener."""
        return self.message("interview_intro")

    def message(self, *path: str) -> LocalizedText:
        node: Any = self.messages
        for key in path:
            node = node[key]
        return LocalizedText.from_mapping(node)

    def guide_question(
        self, indicator_id: str, set_id: str, lang: Lang, interviewee_lang: Lang | None = None
    ) -> GuideQuestion:
        ind = self._by_id[indicator_id]
        strength = self._set_index[set_id].strengths[indicator_id]
        return GuideQuestion(
            indicator_id=ind.id,
            dimension=ind.dimension,
            strength=strength,
            label=ind.label.get(lang),
            description=ind.description.get(lang),
            questions=tuple(q.get(lang) for q in ind.questions),
            interviewee_questions=(
                None
                if interviewee_lang is None
                else tuple(q.get(interviewee_lang) for q in ind.questions)
            ),
        )

    def questions(
        self, set_id: str, lang: str = "en", interviewee_lang: str | None = None
    ) -> tuple[GuideSection, ...]:
        """The interview guide for a set: sections per dimension, in the catalogue's order
        (recruitment first, then the situation now), each with its questions in ``lang`` and,
        if given, in ``interviewee_lang`` side by side."""
        lang_ = as_lang(lang)
        ilang = (
            None
            if interviewee_lang is None
            else as_lang(interviewee_lang, field="interviewee_lang")
        )
        index = self._set_index[set_id]
        sections = []
        for dim in self.dimensions:
            ids = index.by_dimension[dim.id]
            sections.append(
                GuideSection(
                    dimension=dim.id,
                    label=dim.label.get(lang_),
                    interviewee_label=None if ilang is None else dim.label.get(ilang),
                    questions=tuple(self.guide_question(i, set_id, lang_, ilang) for i in ids),
                )
            )
        return tuple(sections)


def load_catalogue(version: str | None = None) -> Catalogue:
    """Load a catalogue version shipped with the package (default: the latest).

    The result is cached: loading the same version twice returns the same object.
    """
    return _load(LATEST_VERSION if version is None else version)


@functools.lru_cache(maxsize=8)
def _load(version: str) -> Catalogue:
    if version not in available_versions():
        raise CatalogueError(
            f"unknown catalogue version {version!r}; available: {', '.join(available_versions())}"
        )
    base = resources.files(_PACKAGE).joinpath("catalogue").joinpath(_version_dir(version))
    try:
        meta = json.loads(base.joinpath("catalogue.json").read_text(encoding="utf-8"))
        items = json.loads(base.joinpath("indicators.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:  # pragma: no cover - packaging bug
        raise CatalogueError(f"catalogue {version}: cannot read data files: {exc}") from exc
    return _build(version, meta, items)


def _text(data: Mapping[str, Any], where: str) -> LocalizedText:
    missing = [lang for lang in LANGS if not str(data.get(lang, "")).strip()]
    if missing:
        raise CatalogueError(f"{where}: missing text for {', '.join(missing)}")
    return LocalizedText.from_mapping(data)


def _source(data: Mapping[str, Any], sources: Mapping[str, Any], where: str) -> SourceRef:
    refs = [data["ref"], *data.get("also", [])]
    unknown = [r for r in refs if r not in sources]
    if unknown:
        raise CatalogueError(f"{where}: unknown source {', '.join(unknown)}")
    return SourceRef(ref=data["ref"], also=tuple(data.get("also", [])), note=data.get("note", ""))


def _build(version: str, meta: Mapping[str, Any], items: Mapping[str, Any]) -> Catalogue:
    if meta.get("catalogue_version") != version or items.get("catalogue_version") != version:
        raise CatalogueError(f"catalogue {version}: version mismatch in data files")
    sources = meta["sources"]
    dimensions = tuple(
        Dimension(id=d["id"], element=d["element"], label=_text(d["label"], d["id"]))
        for d in meta["dimensions"]
    )
    dim_ids = [d.id for d in dimensions]
    elements = tuple(
        Element(id=e["id"], label=_text(e["label"], e["id"])) for e in meta["elements"]
    )
    element_ids = {e.id for e in elements}
    if any(d.element not in element_ids for d in dimensions):
        raise CatalogueError("a dimension names an unknown element")
    set_meta = meta["sets"]
    set_ids = [s["id"] for s in set_meta]

    indicators: list[Indicator] = []
    by_id: dict[str, Indicator] = {}
    for raw in items["indicators"]:
        iid = raw["id"]
        if iid in by_id:
            raise CatalogueError(f"duplicate indicator id {iid}")
        if raw["dimension"] not in dim_ids:
            raise CatalogueError(f"{iid}: unknown dimension {raw['dimension']}")
        if not iid.startswith(raw["dimension"] + ".") and raw["family"] == "delphi":
            raise CatalogueError(f"{iid}: Delphi ids must be qualified by their dimension")
        strengths = {}
        for set_id, st in raw["strengths"].items():
            if set_id not in set_ids:
                raise CatalogueError(f"{iid}: unknown set {set_id}")
            strengths[set_id] = Strength(st)
        if not strengths:
            raise CatalogueError(f"{iid}: belongs to no set")
        if set(raw["verification"]) != set(strengths):
            raise CatalogueError(f"{iid}: verification must name exactly the indicator's sets")
        questions = tuple(_text(q, f"{iid} question") for q in raw["questions"])
        if not questions:
            raise CatalogueError(f"{iid}: no question")
        ind = Indicator(
            id=iid,
            family=raw["family"],
            dimension=raw["dimension"],
            strengths=MappingProxyType(strengths),
            verification=MappingProxyType(dict(raw["verification"])),
            label=_text(raw["label"], f"{iid} label"),
            description=_text(raw["description"], f"{iid} description"),
            questions=questions,
            source=_source(raw["source"], sources, iid),
        )
        indicators.append(ind)
        by_id[iid] = ind

    sets = []
    set_index: dict[str, _SetIndex] = {}
    verification = meta["verification"]
    for s in set_meta:
        sid = s["id"]
        members = tuple(i.id for i in indicators if sid in i.strengths)
        sets.append(
            IndicatorSet(
                id=sid,
                child=bool(s["child"]),
                label=_text(s["label"], sid),
                indicator_ids=tuple(i for d in dim_ids for i in members if by_id[i].dimension == d),
                verification_status=verification["sets"][sid]["status"],
                verification_note=verification["sets"][sid]["note"],
            )
        )
        set_index[sid] = _SetIndex(
            strengths=MappingProxyType({i: by_id[i].strengths[sid] for i in members}),
            by_dimension=MappingProxyType(
                {d: tuple(i for i in members if by_id[i].dimension == d) for d in dim_ids}
            ),
        )

    rule = meta["rule"]
    clauses = tuple(
        DimensionClause(
            id=c["id"],
            strong=c["requires"].get("strong", 0),
            medium=c["requires"].get("medium", 0),
            weak=c["requires"].get("weak", 0),
            medium_or_weak=c["requires"].get("medium_or_weak", 0),
            label=_text(c["label"], c["id"]),
        )
        for c in rule["dimension_clauses"]
    )

    def rule_clauses(raw: Sequence[Mapping[str, Any]]) -> tuple[RuleClause, ...]:
        out = []
        for c in raw:
            if any(e not in element_ids for e in c["all_of"]):
                raise CatalogueError(f"rule clause {c['id']}: unknown element")
            out.append(
                RuleClause(id=c["id"], all_of=tuple(c["all_of"]), label=_text(c["label"], c["id"]))
            )
        return tuple(out)

    triggers = frozenset(meta["forced_criminality"]["trigger_indicators"])
    if not triggers <= by_id.keys():
        raise CatalogueError("forced_criminality names an unknown indicator")

    fl = []
    for raw in meta["ilo_forced_labour_indicators"]:
        if raw["id"] in by_id or not set(raw["maps_to"]) <= by_id.keys():
            raise CatalogueError(f"{raw['id']}: clashing id or unknown mapped indicator")
        fl.append(
            ForcedLabourIndicator(
                id=raw["id"],
                label=_text(raw["label"], raw["id"]),
                maps_to=tuple(raw["maps_to"]),
                source=_source(raw["source"], sources, raw["id"]),
            )
        )

    messages = meta["messages"]
    for path in _REQUIRED_MESSAGES:
        node: Any = messages
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                raise CatalogueError(f"messages.{'.'.join(path)} is missing")
            node = node[key]
        _text(node, "messages." + ".".join(path))

    return Catalogue(
        version=version,
        title=_text(meta["title"], "title"),
        sets=tuple(sets),
        dimensions=dimensions,
        elements=elements,
        indicators=tuple(indicators),
        forced_labour_indicators=tuple(fl),
        dimension_clauses=clauses,
        adult_rule=rule_clauses(rule["adult"]),
        child_rule=rule_clauses(rule["child"]),
        forced_criminality_triggers=triggers,
        sources=MappingProxyType(dict(sources)),
        decisions=tuple(meta["decisions"]),
        verification=MappingProxyType(dict(verification)),
        messages=MappingProxyType(dict(messages)),
        _by_id=MappingProxyType(by_id),
        _set_by_id=MappingProxyType({s.id: s for s in sets}),
        _set_index=MappingProxyType(set_index),
    )
