"""Trafficking-indicator screening for non-specialists (pure Python, no Django).

A patrol officer, border guard, labour inspector or reception-centre worker asks short
questions; each answer is recorded per indicator as ``yes``, ``no`` or ``unknown``
("unknown" covers "does not know", "refused" and "could not ask" and is never read as
"no"). The indicators are the ILO/European Commission *Operational indicators of
trafficking in human beings* (Delphi survey, 2009) — four sets (adults/children x
labour/sexual exploitation), six dimensions, each indicator graded strong, medium or weak —
plus OpenNRM items on forced criminality and online recruitment. The catalogue is
versioned data (``catalogue/v2026_1/*.json``) with a source for every item; its
``verification`` block says honestly which parts are checked, secondary or reconstructed.

The rule (ILO/EC 2009):

1. A **dimension is established** when its "yes" answers contain at least 2 strong, or
   1 strong + 1 medium/weak, or 3 medium, or 2 medium + 1 weak indicators.
2. **Adults**: presumed victim when a recruitment dimension (deceptive, coercive or abuse of
   vulnerability) AND exploitative conditions AND (coercion OR abuse of vulnerability at
   destination) are established.
3. **Children** (child sets): no means are needed — recruitment + exploitation suffice, and
   exploitation alone is enough to refer all the same.

Outcomes, in increasing order (``Outcome`` compares by this order):

* ``no_indicators`` — nothing below applies: no dimension established, no strong indicator,
  no forced criminality, and the rule could not be met even if every open question were "yes".
* ``incomplete`` — no indicator present yet, but enough questions are open (unknown or not
  asked) that the rule could still be met. Continue the screening.
* ``possible_victim`` — the rule is not met, but a dimension is established, or a strong
  indicator is present, or forced criminality is flagged, or some indicator is present and
  the open questions could still complete the rule. Interview further: the result lists the
  open dimensions and the questions that would settle them, most decisive first.
* ``presumed_victim`` — the rule is met: refer now.

Turning any answer into "yes" never lowers the outcome (property-tested).

**A positive screen means "refer for formal identification", never a verdict.** The
ILO/EC lists were made for research and data collection; only the competent authority
identifies a victim. ``forced_criminality`` on the result flags that the person may have been
compelled to commit offences, so that the non-punishment principle can be applied.

Adaptive interview (``interview_state``): because the outcome is monotone, answering every
question not asked yet "no" gives the lowest outcome still possible and "yes" the highest;
when they are equal (and the forced-criminality flag is settled) the interview can stop —
the outcome is the one answering everything would give. ``next_question`` asks first what
can move those bounds (property-tested for every set).

Example::

    from opennrm.screening import evaluate, load_catalogue

    cat = load_catalogue()
    result = evaluate(cat, set_id="adult_labour", age=34, answers={...})
    result.outcome, result.explanation("uk"), result.to_dict()
"""

from ._adaptive import DimensionProgress, InterviewState, Mode, interview_state, outcome_bounds
from ._catalogue import (
    LATEST_VERSION,
    Catalogue,
    GuideQuestion,
    GuideSection,
    available_versions,
    load_catalogue,
)
from ._engine import (
    DimensionFinding,
    ElementFinding,
    ScreeningResult,
    evaluate,
    evaluate_payload,
)
from ._errors import CatalogueError, FieldError, ScreeningInputError
from ._guide import next_questions
from ._model import LANGS, Answer, Indicator, IndicatorSet, Lang, LocalizedText, Outcome, Strength

__all__ = [
    "LANGS",
    "LATEST_VERSION",
    "Answer",
    "Catalogue",
    "CatalogueError",
    "DimensionFinding",
    "DimensionProgress",
    "ElementFinding",
    "FieldError",
    "GuideQuestion",
    "GuideSection",
    "Indicator",
    "IndicatorSet",
    "InterviewState",
    "Lang",
    "LocalizedText",
    "Mode",
    "Outcome",
    "ScreeningInputError",
    "ScreeningResult",
    "Strength",
    "available_versions",
    "evaluate",
    "evaluate_payload",
    "interview_state",
    "load_catalogue",
    "next_questions",
    "outcome_bounds",
]
