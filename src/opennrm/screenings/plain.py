"""The screening outcome and its "why" in short sentences a non-lawyer understands.

Built from the stored result (``ScreeningResult.to_dict()``), so old screenings read the same
way; the formal trace (clauses, rule) stays available beside it. Every sentence is a
translated string of this app; names of indicators and dimensions come from the catalogue in
the reader's language. Nothing here reads personal data beyond the answers' indicator ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opennrm.screening import Catalogue, load_catalogue


@dataclass(frozen=True)
class PlainDimension:
    """One dimension with a "yes": its name, what the person said yes to, and whether it is
    enough on its own (established)."""

    dimension: str
    name: str
    established: bool
    said_yes: tuple[str, ...]
    sentence: str


@dataclass(frozen=True)
class PlainExplanation:
    headline: str
    summary: str
    dimensions: tuple[PlainDimension, ...]
    rule: str
    notes: tuple[str, ...]

    @property
    def sentences(self) -> tuple[str, ...]:
        """Everything in reading order (used by checks and plain-text exports)."""
        return (
            self.headline,
            self.summary,
            *(d.sentence for d in self.dimensions),
            self.rule,
            *self.notes,
        )


def outcome_headline(outcome: str) -> str:
    return {
        "presumed_victim": _("Signs of trafficking: refer the person now."),
        "possible_victim": _("Some signs of trafficking: not enough yet to refer."),
        "incomplete": _("Too few answers to say anything yet."),
        "no_indicators": _("No signs of trafficking in the answers."),
    }.get(outcome, _("Too few answers to say anything yet."))


def outcome_name(outcome: str) -> str:
    """The outcome in two or three words (for "it could still be anything from … to …")."""
    return {
        "presumed_victim": _("signs of trafficking, refer"),
        "possible_victim": _("some signs, ask more"),
        "incomplete": _("too few answers"),
        "no_indicators": _("no signs"),
    }.get(outcome, _("too few answers"))


def element_name(element: str) -> str:
    """The parts of the definition, in words."""
    return {
        "recruitment": _("how the person was recruited or brought here"),
        "exploitation": _("exploitation (work, sex or services under abusive conditions)"),
        "destination_means": _("being controlled or unable to leave"),
    }.get(element, element)


def _join(items: list[str]) -> str:
    return "; ".join(items)


def explain(result: Mapping[str, Any], lang: str) -> PlainExplanation:
    """The plain explanation of a stored result, in ``lang``."""
    catalogue = load_catalogue(str(result.get("catalogue_version") or "")) if result else None
    with translation.override(lang):
        return _explain(result, lang, catalogue or load_catalogue())


def _explain(result: Mapping[str, Any], lang: str, catalogue: Catalogue) -> PlainExplanation:
    lang_ = lang if lang in ("en", "uk", "ru") else "en"
    outcome = str(result.get("outcome", "incomplete"))
    child = bool(result.get("child"))

    def label(iid: str) -> str:
        return catalogue.indicator(iid).label.get(lang_)  # type: ignore[arg-type]

    dims: list[PlainDimension] = []
    for d in result.get("dimensions", []):
        present = [p["indicator_id"] for p in d.get("present", [])]
        if not present:
            continue
        name = catalogue.dimension(d["dimension"]).label.get(lang_)  # type: ignore[arg-type]
        said = tuple(label(i) for i in present)
        strong = [label(p["indicator_id"]) for p in d["present"] if p["strength"] == "strong"]
        if d.get("established"):
            sentence = _("%(dimension)s: shown. The person said yes to: %(answers)s.") % {
                "dimension": name,
                "answers": _join(list(said)),
            }
        else:
            sentence = _(
                "%(dimension)s: one sign, not enough on its own. The person said yes to: "
                "%(answers)s."
            ) % {"dimension": name, "answers": _join(list(said))}
            if strong:
                sentence += " " + _("This is a strong sign.")
        dims.append(
            PlainDimension(d["dimension"], name, bool(d.get("established")), said, sentence)
        )

    elements = {e["element"]: e for e in result.get("elements", [])}
    rule_clause = result.get("rule_clause")
    rules = catalogue.child_rule if child else catalogue.adult_rule
    needed = list(rules[0].all_of)
    if child:
        rule_intro = _(
            "For a child, exploitation is enough to refer; no force or deception has to be shown."
        )
    else:
        rule_intro = _(
            "For an adult, three things together are signs of trafficking: %(parts)s."
        ) % {"parts": _join([element_name(e) for e in needed])}
    if rule_clause:
        fired = next((r for r in rules if r.id == rule_clause), rules[0])
        if child:
            shown = [element_name(e) for e in fired.all_of]
            rule = rule_intro + " " + _("Shown here: %(parts)s.") % {"parts": _join(shown)}
        else:
            rule = rule_intro + " " + _("All three are shown here.")
    else:
        missing = [element_name(e) for e in needed if not elements.get(e, {}).get("established")]
        if child:
            missing = [element_name("exploitation")]
        rule = rule_intro + " " + _("Not shown yet: %(parts)s.") % {"parts": _join(missing)}

    counts = result.get("answer_counts", {})
    yes = int(counts.get("yes", 0))
    summary = {
        "presumed_victim": _(
            "The answers show what the law calls trafficking. This is a reason to refer, not a "
            "final decision: the competent authority decides."
        ),
        "possible_victim": _(
            "Some answers are signs of trafficking, but they do not yet add up. Ask the "
            "questions below, or refer if you are worried."
        ),
        "incomplete": _(
            "Nothing points to trafficking yet, but many questions are still open. Keep asking."
        ),
        "no_indicators": _(
            "The person said no to the questions that matter. If something still worries you, "
            "ask again later or talk to a specialist."
        ),
    }.get(outcome, "")

    notes: list[str] = []
    fc = result.get("forced_criminality_indicators", [])
    if fc:
        notes.append(
            _("The person may have been forced to commit offences: %(answers)s.")
            % {"answers": _join([label(i) for i in fc])}
        )
    unknown = int(counts.get("unknown", 0))
    not_asked = int(counts.get("not_asked", 0))
    if unknown:
        notes.append(
            ngettext(
                "%(n)s question was answered “unknown” or refused.",
                "%(n)s questions were answered “unknown” or refused.",
                unknown,
            )
            % {"n": unknown}
        )
    if not_asked:
        if result.get("settled"):
            notes.append(
                ngettext(
                    "%(n)s question was not asked: no answer to it could change this outcome.",
                    "%(n)s questions were not asked: no answer to them could change this outcome.",
                    not_asked,
                )
                % {"n": not_asked}
            )
        else:
            notes.append(
                ngettext(
                    "%(n)s question was not asked.",
                    "%(n)s questions were not asked.",
                    not_asked,
                )
                % {"n": not_asked}
            )
    if result.get("forced_criminality_settled") is False:
        notes.append(
            _(
                "Not asked: whether the person was made to commit offences. If they were, they "
                "must not be punished for it; ask when you can."
            )
        )
    if not yes and outcome != "no_indicators":
        notes.append(_("No question was answered yes."))
    return PlainExplanation(
        headline=outcome_headline(outcome),
        summary=summary,
        dimensions=tuple(dims),
        rule=rule,
        notes=tuple(notes),
    )
