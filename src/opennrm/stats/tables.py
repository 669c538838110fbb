"""Statistical tables built from case facts, and their protection.

A ``TableSpec`` is the true table (never shown); ``protect`` turns it into a
``ProtectedTable`` by small-cell and complementary suppression, ``protect_dp`` by
differential privacy (charged to a ledger by the caller). Every protected table
carries the sentence that says how it was protected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opennrm.accounts.roles import AgencyType
from opennrm.cases.models import ExploitationType
from opennrm.privacy import (
    CTDC_AGE_BANDS,
    DPRelease,
    NoiseSource,
    dp_histogram,
    opendp_noise,
    suppress,
)
from opennrm.stats.selectors import FUNNEL, CaseFact

Label = tuple[str, str]  # (code, translated label)


def suppression_threshold() -> int:
    return int(getattr(settings, "OPENNRM_STATS_THRESHOLD", 5))


@dataclass
class TableSpec:
    key: str
    title: str
    row_title: str
    rows: list[Label]
    cols: list[Label]
    values: list[list[int]]
    #: fixed categories (no row or column depends on the data): may be released with DP
    dp_ready: bool = True

    @property
    def one_dimensional(self) -> bool:
        return len(self.cols) == 1


@dataclass
class ProtectedTable:
    spec_key: str
    title: str
    row_title: str
    rows: list[Label]
    cols: list[Label]
    cells: list[list[int | None]]
    row_totals: list[int | None]
    col_totals: list[int | None]
    total: int | None
    method: str
    threshold: int | None = None
    epsilon: float | None = None
    delta: float | None = None
    expected_error: float | None = None
    notes: list[str] = field(default_factory=list)

    def series(self, *, by_column: bool = False) -> list[tuple[str, int | None]]:
        """Row label and value of a one-column table (else the row totals, or with
        ``by_column`` the column totals)."""
        if by_column:
            return [(label, t) for (_c, label), t in zip(self.cols, self.col_totals, strict=True)]
        if len(self.cols) == 1:
            return [(label, row[0]) for (_c, label), row in zip(self.rows, self.cells, strict=True)]
        return [(label, t) for (_c, label), t in zip(self.rows, self.row_totals, strict=True)]


# --- labels ------------------------------------------------------------------


def gender_labels() -> list[Label]:
    return [
        ("female", _("Female")),
        ("male", _("Male")),
        ("other", _("Other gender")),
        ("unknown", _("Not recorded")),
    ]


def age_labels() -> list[Label]:
    return [(b, b.replace("--", "–")) for _lo, _hi, b in CTDC_AGE_BANDS] + [
        ("unknown", _("Not recorded"))
    ]


def majority_labels() -> list[Label]:
    return [("adult", _("Adult")), ("child", _("Child"))]


def exploitation_labels() -> list[Label]:
    return [(c, str(label)) for c, label in ExploitationType.choices]


def agency_labels() -> list[Label]:
    return [(c, str(label)) for c, label in AgencyType.choices]


FUNNEL_LABELS = {
    "flagged": gettext_lazy("Flagged"),
    "referred": gettext_lazy("Referred"),
    "presumed_victim": gettext_lazy("Presumed victim"),
    "identified": gettext_lazy("Formally identified"),
    "assisted": gettext_lazy("Assisted"),
}


def funnel_labels() -> list[Label]:
    return [(name, str(FUNNEL_LABELS[name])) for name, _s in FUNNEL]


def months_between(start: date, end: date) -> list[Label]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((f"{y:04d}-{m:02d}", dateformat.format(date(y, m, 1), "M Y")))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def quarters_between(start: date, end: date) -> list[Label]:
    out: list[Label] = []
    for code, _label in months_between(start, end):
        y, m = int(code[:4]), int(code[5:])
        q = f"{y:04d} Q{(m - 1) // 3 + 1}"
        if not out or out[-1][0] != q:
            out.append((q, _("Q%(q)s %(year)s") % {"q": (m - 1) // 3 + 1, "year": y}))
    return out


# --- building ----------------------------------------------------------------


def _one_way(
    key: str,
    title: str,
    row_title: str,
    facts: Sequence[CaseFact],
    rows: list[Label],
    attr: Callable[[CaseFact], str],
    col: Label | None = None,
    dp_ready: bool = True,
) -> TableSpec:
    counts = Counter(attr(f) for f in facts)
    return TableSpec(
        key=key,
        title=title,
        row_title=row_title,
        rows=rows,
        cols=[col or ("cases", _("Cases"))],
        values=[[counts.get(code, 0)] for code, _l in rows],
        dp_ready=dp_ready,
    )


def _two_way(
    key: str,
    title: str,
    row_title: str,
    facts: Sequence[CaseFact],
    rows: list[Label],
    cols: list[Label],
    row_of: Callable[[CaseFact], str],
    col_of: Callable[[CaseFact], str],
    dp_ready: bool = True,
) -> TableSpec:
    counts = Counter((row_of(f), col_of(f)) for f in facts)
    return TableSpec(
        key=key,
        title=title,
        row_title=row_title,
        rows=rows,
        cols=cols,
        values=[[counts.get((r, c), 0) for c, _cl in cols] for r, _rl in rows],
        dp_ready=dp_ready,
    )


def citizenship_labels(facts: Sequence[CaseFact]) -> list[Label]:
    codes = sorted({f.citizenship for f in facts} - {"unknown"})
    return [(c, c) for c in codes] + [("unknown", _("Not recorded"))]


def dashboard_tables(
    facts: Sequence[CaseFact], start: date, end: date, rg_target: int
) -> list[TableSpec]:
    """The dashboard's tables, in the order the charts appear."""
    months = months_between(start, end)
    month_codes = {c for c, _l in months}
    identified = [f for f in facts if f.identified_on is not None]
    month_ids = Counter(
        f"{f.identified_on.year:04d}-{f.identified_on.month:02d}"  # type: ignore[union-attr]
        for f in identified
    )
    by_month = TableSpec(
        key="identifications_by_month",
        title=_("Formal identifications per month"),
        row_title=_("Month"),
        rows=months,
        cols=[("identified", _("Identified"))],
        values=[[month_ids.get(c, 0) if c in month_codes else 0] for c, _l in months],
    )
    rg = [f for f in facts if f.rg_working_days is not None]
    rg_bins: list[Label] = [
        ("within", _("Within the target (≤ %(n)s working days)") % {"n": rg_target}),
        ("double", _("Up to twice the target")),
        ("longer", _("Longer")),
    ]

    def rg_bin(f: CaseFact) -> str:
        d = f.rg_working_days or 0
        return "within" if d <= rg_target else ("double" if d <= 2 * rg_target else "longer")

    return [
        by_month,
        _one_way(
            "by_agency_type",
            _("Cases by type of identifying agency"),
            _("Agency type"),
            facts,
            [*agency_labels(), ("unknown", _("Not recorded"))],
            lambda f: f.agency_type,
        ),
        _one_way(
            "by_exploitation",
            _("Cases by form of exploitation"),
            _("Form of exploitation"),
            facts,
            exploitation_labels(),
            lambda f: f.exploitation,
        ),
        _one_way(
            "by_gender",
            _("Cases by gender"),
            _("Gender"),
            facts,
            gender_labels(),
            lambda f: f.gender,
        ),
        _one_way(
            "by_age",
            _("Cases by age band"),
            _("Age band"),
            facts,
            age_labels(),
            lambda f: f.age_band,
        ),
        _one_way(
            "by_citizenship",
            _("Cases by citizenship"),
            _("Citizenship"),
            facts,
            citizenship_labels(facts),
            lambda f: f.citizenship,
            dp_ready=False,
        ),
        _one_way(
            "funnel",
            _("NRM funnel: the furthest step each case has reached"),
            _("Step"),
            facts,
            funnel_labels(),
            lambda f: FUNNEL[f.stage][0],
        ),
        _one_way(
            "rg_time",
            _("Time to the reasonable-grounds decision"),
            _("Time taken"),
            rg,
            rg_bins,
            rg_bin,
        ),
        _two_way(
            "non_punishment",
            _("Non-punishment flags by form of exploitation"),
            _("Form of exploitation"),
            facts,
            exploitation_labels(),
            [("flagged", _("Flagged")), ("not_flagged", _("Not flagged"))],
            lambda f: f.exploitation,
            lambda f: "flagged" if f.forced_criminality else "not_flagged",
        ),
    ]


def referral_table(referrals: Sequence[tuple[str, str]]) -> TableSpec:
    """Referrals to services by type of service and outcome (fixed categories)."""
    from opennrm.directory.models import ServiceType

    counts = Counter(referrals)
    rows = [(c, str(label)) for c, label in ServiceType.choices]
    cols = [
        ("awaiting", _("Awaiting an answer")),
        ("accepted", _("Accepted or in progress")),
        ("completed", _("Completed")),
        ("declined", _("Declined")),
        ("ended", _("Withdrawn or expired")),
    ]
    return TableSpec(
        key="referrals",
        title=_("Referrals to services by type of service"),
        row_title=_("Type of service"),
        rows=rows,
        cols=cols,
        values=[[counts.get((r, c), 0) for c, _cl in cols] for r, _rl in rows],
    )


def official_tables(facts: Sequence[CaseFact], start: date, end: date) -> list[TableSpec]:
    """UK quarterly NRM layout (referrals) and the OSCE survey layout (identifications)."""
    age_cols = [("adult", _("Adult")), ("child", _("Child"))]
    decision_cols = [
        ("positive", _("Positive")),
        ("negative", _("Negative")),
        ("", _("Awaiting a decision")),
    ]
    identified = [f for f in facts if f.cg_decision == "positive"]

    def osce_col(f: CaseFact) -> str:
        if f.gender not in ("female", "male"):
            return "unknown"
        return {
            ("female", False): "women",
            ("male", False): "men",
            ("female", True): "girls",
            ("male", True): "boys",
        }[(f.gender, f.is_child)]

    return [
        _two_way(
            "uk_referrals_by_quarter",
            _("Referrals by quarter and form of exploitation"),
            _("Quarter"),
            facts,
            quarters_between(start, end),
            exploitation_labels(),
            lambda f: f.quarter,
            lambda f: f.exploitation,
        ),
        _two_way(
            "uk_exploitation_by_age",
            _("Referrals by form of exploitation and age at referral"),
            _("Form of exploitation"),
            facts,
            exploitation_labels(),
            age_cols,
            lambda f: f.exploitation,
            lambda f: f.majority,
        ),
        _two_way(
            "uk_exploitation_by_gender",
            _("Referrals by form of exploitation and gender"),
            _("Form of exploitation"),
            facts,
            exploitation_labels(),
            gender_labels(),
            lambda f: f.exploitation,
            lambda f: f.gender,
        ),
        _two_way(
            "uk_nationality_by_age",
            _("Referrals by citizenship and age at referral"),
            _("Citizenship"),
            facts,
            citizenship_labels(facts),
            age_cols,
            lambda f: f.citizenship,
            lambda f: f.majority,
            dp_ready=False,
        ),
        _two_way(
            "uk_first_responder",
            _("Referrals by type of first responder and age at referral"),
            _("Agency type"),
            facts,
            [*agency_labels(), ("unknown", _("Not recorded"))],
            age_cols,
            lambda f: f.agency_type,
            lambda f: f.majority,
        ),
        _two_way(
            "uk_rg_decisions",
            _("Reasonable-grounds decisions by form of exploitation"),
            _("Form of exploitation"),
            facts,
            exploitation_labels(),
            decision_cols,
            lambda f: f.exploitation,
            lambda f: f.rg_decision,
        ),
        _two_way(
            "uk_cg_decisions",
            _("Conclusive-grounds (formal identification) decisions by form of exploitation"),
            _("Form of exploitation"),
            [f for f in facts if f.rg_decision == "positive"],
            exploitation_labels(),
            decision_cols,
            lambda f: f.exploitation,
            lambda f: f.cg_decision,
        ),
        _two_way(
            "osce_identified_by_agency",
            _("Identified victims by type of identifying agency (OSCE survey)"),
            _("Agency type"),
            identified,
            [*agency_labels(), ("unknown", _("Not recorded"))],
            [
                ("women", _("Women")),
                ("men", _("Men")),
                ("girls", _("Girls")),
                ("boys", _("Boys")),
                ("unknown", _("Gender not recorded")),
            ],
            lambda f: f.agency_type,
            osce_col,
        ),
    ]


# --- protection --------------------------------------------------------------


def suppression_method(threshold: int, protection: int) -> str:
    return _(
        "Small-cell suppression: counts from 1 to %(max)s are hidden, and enough other "
        "counts are hidden with them that none can be worked out from the totals "
        "(checked by linear programming: every hidden count could be any of at least "
        "%(p)s values)."
    ) % {"max": threshold - 1, "p": protection}


def dp_method(release: DPRelease) -> str:
    return _(
        "Differential privacy (OpenDP, discrete Laplace noise): epsilon %(eps)s, delta "
        "%(delta)s. Each count is off by about %(err)s on average and by at most %(e95)s "
        "in 95 of 100 counts; totals are sums of the noisy counts."
    ) % {
        "eps": f"{release.epsilon:g}",
        "delta": f"{release.delta:g}",
        "err": f"{release.expected_abs_error:.1f}",
        "e95": release.error_95,
    }


def protect(spec: TableSpec, threshold: int | None = None) -> ProtectedTable:
    level = threshold or suppression_threshold()
    table = suppress(spec.values, threshold=level)
    return ProtectedTable(
        spec_key=spec.key,
        title=spec.title,
        row_title=spec.row_title,
        rows=spec.rows,
        cols=spec.cols,
        cells=[list(r) for r in table.cells],
        row_totals=list(table.row_totals),
        col_totals=list(table.col_totals),
        total=table.total,
        method=suppression_method(level, table.protection),
        threshold=level,
    )


def protect_dp(
    spec: TableSpec, *, epsilon: float, noise: NoiseSource = opendp_noise
) -> ProtectedTable:
    """Noisy cells (one person is in one cell: sensitivity 1); totals are their sums.

    The caller charges the ledger first."""
    flat = [v for row in spec.values for v in row]
    release = dp_histogram(flat, epsilon=epsilon, noise=noise)
    width = len(spec.cols)
    cells = [list(release.values[i * width : (i + 1) * width]) for i in range(len(spec.rows))]
    return ProtectedTable(
        spec_key=spec.key,
        title=spec.title,
        row_title=spec.row_title,
        rows=spec.rows,
        cols=spec.cols,
        cells=cells,  # type: ignore[arg-type]
        row_totals=[sum(r) for r in cells],
        col_totals=[sum(r[j] for r in cells) for j in range(width)],
        total=sum(release.values),
        method=dp_method(release),
        epsilon=release.epsilon,
        delta=release.delta,
        expected_error=release.expected_abs_error,
    )
