"""The rule engine: Delphi dimension rule, adult/child combination rule, outcome and trace."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ._catalogue import Catalogue
from ._errors import FieldError, ScreeningInputError
from ._model import LANGS, Answer, Lang, LocalizedText, Outcome, RuleClause, Strength

MAX_AGE: Final = 130
_PAYLOAD_KEYS: Final = frozenset({"set", "age", "answers"})


@dataclass(frozen=True, slots=True)
class AnsweredIndicator:
    """An indicator answered "yes", with its strength in the screened set."""

    indicator_id: str
    strength: Strength

    def to_dict(self) -> dict[str, str]:
        return {"indicator_id": self.indicator_id, "strength": str(self.strength)}


@dataclass(frozen=True, slots=True)
class DimensionFinding:
    """The trace for one dimension: is it established, by which clause, from which answers."""

    dimension: str
    element: str
    established: bool
    clause: str | None
    present: tuple[AnsweredIndicator, ...]
    absent: tuple[str, ...]
    unknown: tuple[str, ...]
    not_asked: tuple[str, ...]
    reachable: bool

    @property
    def open(self) -> tuple[str, ...]:
        """Indicators whose answer could still change: unknown or not asked."""
        return self.unknown + self.not_asked

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "element": self.element,
            "established": self.established,
            "clause": self.clause,
            "present": [p.to_dict() for p in self.present],
            "absent": list(self.absent),
            "unknown": list(self.unknown),
            "not_asked": list(self.not_asked),
            "reachable": self.reachable,
        }


@dataclass(frozen=True, slots=True)
class ElementFinding:
    """One element of the definition (recruitment, exploitation, means at destination)."""

    element: str
    established: bool
    dimensions: tuple[str, ...]
    reachable: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "element": self.element,
            "established": self.established,
            "dimensions": list(self.dimensions),
            "reachable": self.reachable,
        }


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The outcome of one screening with its full trace. Deterministic for equal input."""

    catalogue_version: str
    set_id: str
    age: int | None
    child: bool
    outcome: Outcome
    rule: str
    rule_clause: str | None
    reasons: tuple[str, ...]
    dimensions: tuple[DimensionFinding, ...]
    elements: tuple[ElementFinding, ...]
    forced_criminality: bool
    forced_criminality_indicators: tuple[str, ...]
    forced_labour_indicators: tuple[str, ...]
    open_dimensions: tuple[str, ...]
    next_questions: tuple[str, ...]
    next_action: LocalizedText
    answer_counts: Mapping[str, int]
    _catalogue: Catalogue = field(repr=False, compare=False)

    @property
    def refer(self) -> bool:
        """True when the screener should refer now (``PRESUMED_VICTIM``)."""
        return self.outcome is Outcome.PRESUMED_VICTIM

    def explanation(self, lang: Lang = "en") -> tuple[str, ...]:
        """Plain-language lines naming each dimension, whether it is established, which
        clause fired and by which answers; then each element and the rule."""
        cat = self._catalogue
        msg = cat.messages["explanation"]
        strength_names = cat.messages["strength"]

        def fmt(key: str, **kw: str) -> str:
            return str(msg[key][lang]).format(**kw)

        def answers(items: tuple[AnsweredIndicator, ...]) -> str:
            return "; ".join(
                fmt(
                    "answer",
                    label=cat.indicator(p.indicator_id).label.get(lang),
                    strength=strength_names[p.strength.value][lang],
                )
                for p in items
            )

        clause_labels = {c.id: c.label.get(lang) for c in cat.dimension_clauses}
        lines: list[str] = []
        for d in self.dimensions:
            name = cat.dimension(d.dimension).label.get(lang)
            if d.established:
                assert d.clause is not None  # noqa: S101 - invariant of DimensionFinding
                line = fmt(
                    "dimension_established",
                    dimension=name,
                    clause=clause_labels[d.clause],
                    answers=answers(d.present),
                )
            else:
                key = "dimension_partial" if d.present else "dimension_none"
                line = fmt(key, dimension=name, answers=answers(d.present))
                if d.open:
                    line += fmt("open_questions", count=str(len(d.open)))
                if not d.reachable:
                    line += fmt("unreachable")
            lines.append(line)
        for e in self.elements:
            ename = cat.element(e.element).label.get(lang)
            if e.established:
                dims = ", ".join(cat.dimension(x).label.get(lang) for x in e.dimensions)
                lines.append(fmt("element_established", element=ename, dimensions=dims))
            else:
                lines.append(fmt("element_not_established", element=ename))
        rules = cat.child_rule if self.child else cat.adult_rule
        if self.rule_clause is not None:
            label = next(r.label for r in rules if r.id == self.rule_clause)
            lines.append(fmt("rule_met", rule=label.get(lang)))
        else:
            for r in rules:
                lines.append(fmt("rule_not_met", rule=r.label.get(lang)))
        for reason in self.reasons:
            lines.append(str(cat.messages["reason"][reason][lang]))
        return tuple(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict with stable keys (the shape the CLI prints)."""
        return {
            "catalogue_version": self.catalogue_version,
            "set": self.set_id,
            "age": self.age,
            "child": self.child,
            "outcome": str(self.outcome),
            "refer": self.refer,
            "rule": self.rule,
            "rule_clause": self.rule_clause,
            "reasons": list(self.reasons),
            "forced_criminality": self.forced_criminality,
            "forced_criminality_indicators": list(self.forced_criminality_indicators),
            "forced_labour_indicators": list(self.forced_labour_indicators),
            "open_dimensions": list(self.open_dimensions),
            "next_questions": list(self.next_questions),
            "next_action": self.next_action.to_dict(),
            "answer_counts": dict(self.answer_counts),
            "dimensions": [d.to_dict() for d in self.dimensions],
            "elements": [e.to_dict() for e in self.elements],
            "explanation": {lang: list(self.explanation(lang)) for lang in LANGS},
        }


# --------------------------------------------------------------------------- validation


def _norm(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


# Input is never echoed back in error messages (it may hold free text about the person);
# only strings shaped like catalogue ids are, since those name the offending field.
_ID_RE: Final = re.compile(r"[a-z0-9_]{1,60}(\.[a-z0-9_]{1,80})?\Z")


_KIND_TEXT: Final = {
    "null": "null",
    "boolean": "true/false",
    "number": "a number",
    "text": "other text",
    "object": "an object",
    "list": "a list",
    "other": "an unsupported value",
}


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "object"
    return "list" if isinstance(value, list | tuple) else "other"


def _validate(
    catalogue: Catalogue, set_id: object, age: object, answers: object
) -> tuple[str, int | None, dict[str, Answer]]:
    errors: list[FieldError] = []
    sid: str | None = None
    if not isinstance(set_id, str):
        choices = ", ".join(catalogue.set_ids)
        errors.append(
            FieldError("set", f"must be one of {choices}", "set.type", {"choices": choices})
        )
    else:
        candidate = _norm(set_id)
        if candidate in catalogue.set_ids:
            sid = candidate
        else:
            shown = candidate if _ID_RE.match(candidate) else ""
            choices = ", ".join(catalogue.set_ids)
            errors.append(
                FieldError(
                    "set",
                    f"unknown set{f' {shown!r}' if shown else ''}; use one of {choices}",
                    "set.unknown",
                    {"set": shown, "choices": choices},
                )
            )

    age_: int | None = None
    if age is not None:
        if isinstance(age, bool) or not isinstance(age, int):
            errors.append(
                FieldError("age", "must be a whole number of years, or null if unknown", "age.type")
            )
        elif not 0 <= age <= MAX_AGE:
            errors.append(
                FieldError("age", f"must be between 0 and {MAX_AGE}", "age.range", {"max": MAX_AGE})
            )
        else:
            age_ = age
    if sid is not None and age_ is not None:
        child_set = catalogue.indicator_set(sid).child
        if child_set and age_ >= 18:
            errors.append(
                FieldError(
                    "age",
                    f"is 18 or over, but set {sid} is for persons under 18",
                    "age.adult_in_child_set",
                    {"set": sid},
                )
            )
        elif not child_set and age_ < 18:
            errors.append(
                FieldError(
                    "age",
                    f"is under 18: use a child set (child_labour or child_sexual), not {sid}",
                    "age.child_in_adult_set",
                    {"set": sid},
                )
            )

    normalized: dict[str, Answer] = {}
    if not isinstance(answers, Mapping):
        errors.append(
            FieldError(
                "answers",
                "must be an object mapping indicator ids to yes, no or unknown",
                "answers.type",
            )
        )
    else:
        members = catalogue.set_index(sid).strengths if sid is not None else None
        for position, (raw_key, raw_value) in enumerate(answers.items(), start=1):
            if not isinstance(raw_key, str):
                errors.append(
                    FieldError(
                        f"answers[#{position}]", "indicator ids must be strings", "answers.key_type"
                    )
                )
                continue
            key = _norm(raw_key)
            if not _ID_RE.match(key):
                close = difflib.get_close_matches(key, [i.id for i in catalogue.indicators], n=1)
                errors.append(
                    FieldError(
                        f"answers[#{position}]",
                        "is not an indicator id (only a-z, 0-9, '_' and '.')"
                        + (f"; did you mean {close[0]}?" if close else ""),
                        "answers.key_format",
                        {"suggestion": close[0] if close else ""},
                    )
                )
                continue
            fname = f"answers.{key}"
            if not catalogue.has_indicator(key):
                if any(f.id == key for f in catalogue.forced_labour_indicators):
                    msg = (
                        "is a derived ILO forced-labour indicator; answer the indicators it maps to"
                    )
                    errors.append(FieldError(fname, msg, "answers.derived"))
                else:
                    close = difflib.get_close_matches(
                        key, [i.id for i in catalogue.indicators], n=1
                    )
                    msg = "unknown indicator id" + (f"; did you mean {close[0]}?" if close else "")
                    suggestion = {"suggestion": close[0] if close else ""}
                    errors.append(FieldError(fname, msg, "answers.unknown", suggestion))
                continue
            if members is not None and key not in members:
                owner = ", ".join(sorted(catalogue.indicator(key).strengths))
                errors.append(
                    FieldError(
                        fname,
                        f"is not part of set {sid} (it belongs to {owner})",
                        "answers.other_set",
                        {"set": str(sid), "sets": owner},
                    )
                )
                continue
            if key in normalized:
                errors.append(FieldError(fname, "answered twice", "answers.twice"))
                continue
            value: Answer | None = None
            if isinstance(raw_value, Answer):
                value = raw_value
            elif isinstance(raw_value, str):
                try:
                    value = Answer(_norm(raw_value).casefold())
                except ValueError:
                    value = None
            if value is None:
                kind = _json_kind(raw_value)
                errors.append(
                    FieldError(
                        fname,
                        f"invalid answer ({_KIND_TEXT[kind]}); use yes, no or unknown",
                        "answers.value",
                        {"kind": kind},
                    )
                )
                continue
            normalized[key] = value
    if errors:
        raise ScreeningInputError(errors)
    assert sid is not None  # noqa: S101 - no errors implies a valid set
    return sid, age_, normalized


# --------------------------------------------------------------------------- evaluation


def _clause(catalogue: Catalogue, s: int, m: int, w: int) -> str | None:
    for c in catalogue.dimension_clauses:
        if c.satisfied(s, m, w):
            return c.id
    return None


def _counts(
    ids: list[str] | tuple[str, ...], strengths: Mapping[str, Strength]
) -> tuple[int, int, int]:
    s = m = w = 0
    for i in ids:
        st = strengths[i]
        if st is Strength.STRONG:
            s += 1
        elif st is Strength.MEDIUM:
            m += 1
        else:
            w += 1
    return s, m, w


def _fired(rules: tuple[RuleClause, ...], established: set[str]) -> str | None:
    for r in rules:
        if all(e in established for e in r.all_of):
            return r.id
    return None


def evaluate(
    catalogue: Catalogue,
    *,
    set_id: str,
    age: int | None,
    answers: Mapping[str, Answer | str],
) -> ScreeningResult:
    """Screen one person. Raises ``ScreeningInputError`` listing every invalid field.

    Outcomes (see the package docstring for the full definition):

    * ``PRESUMED_VICTIM`` — the Delphi rule is met by "yes" answers: refer now.
    * ``POSSIBLE_VICTIM`` — rule not met, but a dimension is established, or a strong
      indicator is present, or forced criminality is flagged, or some indicator is present
      and the open (unknown/not asked) questions could still complete the rule.
    * ``INCOMPLETE`` — nothing present yet, but the open questions could still complete it.
    * ``NO_INDICATORS`` — none of the above.
    """
    sid, age_, given = _validate(catalogue, set_id, age, answers)
    iset = catalogue.indicator_set(sid)
    index = catalogue.set_index(sid)
    strengths = index.strengths
    child = iset.child
    rules = catalogue.child_rule if child else catalogue.adult_rule

    findings: list[DimensionFinding] = []
    yes_all: list[str] = []
    established_dims: set[str] = set()
    reachable_dims: set[str] = set()
    for dim in catalogue.dimensions:
        present: list[str] = []
        absent: list[str] = []
        unknown: list[str] = []
        not_asked: list[str] = []
        for iid in index.by_dimension[dim.id]:
            a = given.get(iid)
            if a is Answer.YES:
                present.append(iid)
            elif a is Answer.NO:
                absent.append(iid)
            elif a is Answer.UNKNOWN:
                unknown.append(iid)
            else:
                not_asked.append(iid)
        s, m, w = _counts(present, strengths)
        clause = _clause(catalogue, s, m, w)
        os_, om, ow = _counts(unknown + not_asked, strengths)
        reachable = clause is not None or _clause(catalogue, s + os_, m + om, w + ow) is not None
        yes_all.extend(present)
        if clause is not None:
            established_dims.add(dim.id)
        if reachable:
            reachable_dims.add(dim.id)
        present.sort(key=lambda i: strengths[i].rank)
        findings.append(
            DimensionFinding(
                dimension=dim.id,
                element=dim.element,
                established=clause is not None,
                clause=clause,
                present=tuple(AnsweredIndicator(i, strengths[i]) for i in present),
                absent=tuple(absent),
                unknown=tuple(unknown),
                not_asked=tuple(not_asked),
                reachable=reachable,
            )
        )

    elements = tuple(
        ElementFinding(
            element=e.id,
            established=any(
                d.id in established_dims for d in catalogue.dimensions if d.element == e.id
            ),
            dimensions=tuple(
                d.id for d in catalogue.dimensions if d.element == e.id and d.id in established_dims
            ),
            reachable=any(
                d.id in reachable_dims for d in catalogue.dimensions if d.element == e.id
            ),
        )
        for e in catalogue.elements
    )
    established_elements = {e.element for e in elements if e.established}
    reachable_elements = {e.element for e in elements if e.reachable}
    fired = _fired(rules, established_elements)
    rule_reachable = _fired(rules, reachable_elements) is not None

    yes_set = set(yes_all)
    fc = tuple(
        i for i in index.strengths if i in yes_set and i in catalogue.forced_criminality_triggers
    )
    fl = tuple(
        f.id for f in catalogue.forced_labour_indicators if any(m in yes_set for m in f.maps_to)
    )
    any_strong = any(strengths[i] is Strength.STRONG for i in yes_all)

    reasons: list[str] = []
    if fired is not None:
        outcome = Outcome.PRESUMED_VICTIM
        reasons.append("rule_met")
    else:
        if established_dims:
            reasons.append("dimension_established")
        if any_strong:
            reasons.append("strong_indicator")
        if fc:
            reasons.append("forced_criminality")
        if yes_all and rule_reachable:
            reasons.append("indicators_present_rule_reachable")
        if reasons:
            outcome = Outcome.POSSIBLE_VICTIM
        elif rule_reachable:
            outcome = Outcome.INCOMPLETE
            reasons.append("rule_reachable_nothing_present")
        else:
            outcome = Outcome.NO_INDICATORS
            reasons.append("rule_unreachable")

    open_dims: tuple[str, ...] = ()
    ranked: tuple[str, ...] = ()
    if outcome in (Outcome.POSSIBLE_VICTIM, Outcome.INCOMPLETE) and rule_reachable:
        open_dims, ranked = _open_questions(
            catalogue, rules, findings, strengths, established_dims, reachable_elements
        )

    action_key = outcome.value
    if outcome is Outcome.POSSIBLE_VICTIM and not ranked:
        action_key = "possible_victim_nothing_open"
    parts = [catalogue.message("next_action", action_key)]
    if child and outcome >= Outcome.POSSIBLE_VICTIM:
        parts.append(catalogue.message("child_note"))
    if fc:
        parts.append(catalogue.message("forced_criminality_note"))
    next_action = LocalizedText(
        en=" ".join(p.en for p in parts),
        uk=" ".join(p.uk for p in parts),
        ru=" ".join(p.ru for p in parts),
    )
    counts = {a.value: 0 for a in Answer}
    for a in given.values():
        counts[a.value] += 1
    counts["not_asked"] = len(strengths) - len(given)

    return ScreeningResult(
        catalogue_version=catalogue.version,
        set_id=sid,
        age=age_,
        child=child,
        outcome=outcome,
        rule="child" if child else "adult",
        rule_clause=fired,
        reasons=tuple(reasons),
        dimensions=tuple(findings),
        elements=elements,
        forced_criminality=bool(fc),
        forced_criminality_indicators=fc,
        forced_labour_indicators=fl,
        open_dimensions=open_dims,
        next_questions=ranked,
        next_action=next_action,
        answer_counts=counts,
        _catalogue=catalogue,
    )


_INF: Final = 10_000


def _need(catalogue: Catalogue, present: tuple[int, int, int], open_: tuple[int, int, int]) -> int:
    """Fewest further "yes" answers that would establish a dimension (``_INF`` if none would).

    Greedy strongest-first is optimal: for every clause, a strong answer does at least what a
    medium one does, and a medium at least what a weak one does."""
    s, m, w = present
    os_, om, ow = open_
    k = 0
    while _clause(catalogue, s, m, w) is None:
        if os_:
            s, os_ = s + 1, os_ - 1
        elif om:
            m, om = m + 1, om - 1
        elif ow:
            w, ow = w + 1, ow - 1
        else:
            return _INF
        k += 1
    return k


def _rule_cost(rules: tuple[RuleClause, ...], element_need: Mapping[str, int]) -> int:
    return min(sum(element_need[e] for e in r.all_of) for r in rules)


def _open_questions(
    catalogue: Catalogue,
    rules: tuple[RuleClause, ...],
    findings: list[DimensionFinding],
    strengths: Mapping[str, Strength],
    established_dims: set[str],
    reachable_elements: set[str],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Open dimensions (not established, still reachable, in an element that a still-reachable
    rule clause needs) and their open indicators, most decisive first.

    An open indicator is scored by how many *further* "yes" answers the rule would still need
    if this one were "yes" (0: this answer alone would complete the rule); ties go to an answer
    that would establish its dimension, then to the stronger indicator, then to interview
    order."""
    established_elements = {
        e.id
        for e in catalogue.elements
        if any(d.id in established_dims for d in catalogue.dimensions if d.element == e.id)
    }
    needed: set[str] = set()
    for r in rules:
        if all(e in reachable_elements for e in r.all_of):
            needed.update(e for e in r.all_of if e not in established_elements)
    order = {iid: n for n, iid in enumerate(strengths)}

    def split(ids: tuple[str, ...]) -> tuple[int, int, int]:
        return _counts(ids, strengths)

    dim_need: dict[str, int] = {}
    for d in findings:
        dim_need[d.dimension] = _need(
            catalogue, split(tuple(p.indicator_id for p in d.present)), split(d.open)
        )

    def element_need(overrides: Mapping[str, int]) -> dict[str, int]:
        return {
            e.id: min(
                overrides.get(d.id, dim_need[d.id])
                for d in catalogue.dimensions
                if d.element == e.id
            )
            for e in catalogue.elements
        }

    open_dims: list[str] = []
    scored: list[tuple[int, bool, int, int, str]] = []
    for d in findings:
        if d.established or not d.reachable or d.element not in needed:
            continue
        open_dims.append(d.dimension)
        s, m, w = split(tuple(p.indicator_id for p in d.present))
        os_, om, ow = split(d.open)
        # same dimension + strength => same score
        cost_by_strength: dict[Strength, tuple[int, bool]] = {}
        for iid in d.open:
            st = strengths[iid]
            score = cost_by_strength.get(st)
            if score is None:
                is_s, is_m, is_w = (
                    st is Strength.STRONG,
                    st is Strength.MEDIUM,
                    st is Strength.WEAK,
                )
                after = _need(
                    catalogue,
                    (s + is_s, m + is_m, w + is_w),
                    (os_ - is_s, om - is_m, ow - is_w),
                )
                score = cost_by_strength[st] = (
                    _rule_cost(rules, element_need({d.dimension: after})),
                    after != 0,
                )
            scored.append((score[0], score[1], st.rank, order[iid], iid))
    scored.sort()
    return tuple(open_dims), tuple(x[-1] for x in scored)


def evaluate_payload(catalogue: Catalogue, payload: object) -> ScreeningResult:
    """Validate the JSON shape ``{"set": ..., "age": ..., "answers": {...}}`` and evaluate it."""
    if not isinstance(payload, Mapping):
        raise ScreeningInputError(
            [
                FieldError(
                    "payload",
                    "must be a JSON object with keys set, age and answers",
                    "payload.type",
                )
            ]
        )
    errors = [
        FieldError(f"payload.{k}", "unexpected key", "payload.unexpected")
        for k in payload
        if k not in _PAYLOAD_KEYS
    ]
    errors += [
        FieldError(
            k,
            "is required" + (" (use null if unknown)" if k == "age" else ""),
            "payload.required",
            {"field": k},
        )
        for k in sorted(_PAYLOAD_KEYS)
        if k not in payload
    ]
    if errors:
        raise ScreeningInputError(errors)
    return evaluate(
        catalogue,
        set_id=payload["set"],
        age=payload["age"],
        answers=payload["answers"],
    )
