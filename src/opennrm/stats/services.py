"""Publishing statistics: every release is audited, DP releases are charged to the
privacy budget in the same transaction, and a refused request changes nothing."""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.audit.services import audit_record
from opennrm.core.errors import ValidationFailed
from opennrm.privacy import (
    AnonymityReport,
    BudgetExceeded,
    KTooLarge,
    LedgerEntry,
    MarginalError,
    NoiseSource,
    PrivacyLedger,
    SyntheticData,
    utility_report,
)
from opennrm.stats import exports
from opennrm.stats.models import PrivacyBudget, PrivacySpend
from opennrm.stats.reports import facts_for, protected_official_tables
from opennrm.stats.selectors import Scope
from opennrm.stats.tables import ProtectedTable, dashboard_tables, official_tables, protect_dp


def epsilon_per_year() -> float:
    return float(getattr(settings, "OPENNRM_STATS_EPSILON_PER_YEAR", 4.0))


def _years(scope: Scope) -> list[int]:
    return list(range(scope.start.year, scope.end.year + 1))


def privacy_budget_charge(
    *, actor: User | None, country: str, years: list[int], epsilon: float, kind: str
) -> None:
    """Charge ``epsilon`` to each year's budget (the years' cases are disjoint, so one
    release over several years spends ``epsilon`` on each). Refuses as a whole."""
    if not (epsilon > 0 and epsilon < float("inf")):
        raise ValidationFailed(_("Epsilon must be a positive number."), field="epsilon")
    with transaction.atomic():
        now = timezone.now()
        budgets = []
        for year in years:
            PrivacyBudget.objects.get_or_create(
                country=country, year=year, defaults={"epsilon_budget": epsilon_per_year()}
            )
            budget = PrivacyBudget.objects.select_for_update().get(country=country, year=year)
            ledger = PrivacyLedger(
                epsilon_budget=budget.epsilon_budget,
                delta_budget=0.0,
                entries=[
                    LedgerEntry(s.kind, s.epsilon, s.delta)
                    for s in budget.spends.all()  # type: ignore[attr-defined]
                ],
            )
            try:
                ledger.charge(kind, epsilon)
            except BudgetExceeded as exc:
                raise ValidationFailed(
                    _(
                        "This release needs epsilon %(need)s but only %(left)s is left of "
                        "the privacy budget for %(year)s. Use a smaller epsilon or publish "
                        "what was already released."
                    )
                    % {"need": f"{epsilon:g}", "left": f"{exc.remaining:g}", "year": year},
                    field="epsilon",
                ) from exc
            budgets.append(budget)
        for budget in budgets:
            PrivacySpend.objects.create(
                budget=budget, kind=kind, epsilon=epsilon, actor=actor, at=now
            )
        audit_record(
            actor=actor,
            action="stats.dp_release",
            object_type="privacy_budget",
            object_ref=country,
            detail={"kind": kind, "epsilon": epsilon, "years": years},
        )


def privacy_budget_left(country: str, year: int) -> float:
    budget = PrivacyBudget.objects.filter(country=country, year=year).first()
    if budget is None:
        return epsilon_per_year()
    spent = sum(s.epsilon for s in budget.spends.all())  # type: ignore[attr-defined]
    return max(0.0, budget.epsilon_budget - spent)


@dataclass
class TablesRelease:
    tables: list[ProtectedTable]
    files: dict[str, bytes]  # file name -> content


def stats_tables_release(
    *,
    actor: User | None,
    scope: Scope,
    epsilon: float | None = None,
    noise: NoiseSource | None = None,
) -> TablesRelease:
    """The official tables (and the dashboard's) as CSV files and one XLSX workbook.

    Without ``epsilon``: small-cell suppression. With it: every table with fixed
    categories gets DP noise, each table spending ``epsilon`` (the total is charged)."""
    facts = facts_for(scope)
    specs = official_tables(facts, scope.start, scope.end)
    with transaction.atomic():
        if epsilon is None:
            tables = protected_official_tables(scope, facts)
        else:
            dp_specs = [s for s in specs if s.dp_ready]
            privacy_budget_charge(
                actor=actor,
                country=scope.country,
                years=_years(scope),
                epsilon=epsilon * len(dp_specs),
                kind="tables",
            )
            kwargs = {} if noise is None else {"noise": noise}
            tables = [protect_dp(s, epsilon=epsilon, **kwargs) for s in dp_specs]
        files = {f"{t.spec_key}.csv": exports.table_csv(t) for t in tables}
        files["tables.xlsx"] = exports.tables_xlsx(
            tables, title=_("OpenNRM statistics, %(a)s to %(b)s") % _period(scope)
        )
        audit_record(
            actor=actor,
            action="stats.tables",
            object_type="statistics",
            object_ref=scope.country,
            detail={
                "from": scope.start.isoformat(),
                "to": scope.end.isoformat(),
                "region": scope.region,
                "epsilon": epsilon,
            },
        )
    return TablesRelease(tables=tables, files=files)


def _period(scope: Scope) -> dict[str, str]:
    return {"a": scope.start.isoformat(), "b": scope.end.isoformat()}


def tables_zip(release: TablesRelease) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in release.files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@dataclass
class HtcdsRelease:
    content: bytes
    report: AnonymityReport


def stats_htcds_export(
    *, actor: User | None, scope: Scope, k: int = 11, l_diversity: int = 1
) -> HtcdsRelease:
    """The record-level HTCDS/CTDC data set, k-anonymous (and l-diverse) or refused."""
    if k < 2:
        raise ValidationFailed(_("k must be at least 2."), field="k")
    if l_diversity < 1:
        raise ValidationFailed(_("l must be at least 1."), field="l")
    facts = facts_for(scope)
    try:
        data = exports.htcds_anonymise(facts, country=scope.country, k=k, l_diversity=l_diversity)
    except KTooLarge as exc:
        raise ValidationFailed(
            _(
                "k = %(k)s is larger than the %(n)s cases of this period; choose a smaller k or a longer period."
            )
            % {"k": k, "n": len(facts)},
            field="k",
        ) from exc
    if not data.records:
        raise ValidationFailed(
            _("At k = %(k)s every record would be removed; choose a smaller k or a longer period.")
            % {"k": k},
            field="k",
        )
    content = exports.records_csv(data.records, exports.HTCDS_COLUMNS)
    audit_record(
        actor=actor,
        action="stats.export_htcds",
        object_type="statistics",
        object_ref=scope.country,
        detail={
            "from": scope.start.isoformat(),
            "to": scope.end.isoformat(),
            "k": k,
            "l": l_diversity,
            "records": len(data.records),
            "suppressed": data.report.suppressed,
        },
    )
    return HtcdsRelease(content=content, report=data.report)


@dataclass
class SyntheticRelease:
    content: bytes
    data: SyntheticData
    utility: list[MarginalError]


def stats_synthetic_export(
    *,
    actor: User | None,
    scope: Scope,
    epsilon: float,
    rows: int,
    rng: random.Random | None = None,
    noise: NoiseSource | None = None,
) -> SyntheticRelease:
    """DP synthetic records; the budget of every year in the period is charged first."""
    if not 1 <= rows <= 10_000_000:
        raise ValidationFailed(_("Ask for between 1 and 10,000,000 rows."), field="rows")
    facts = facts_for(scope)
    with transaction.atomic():
        privacy_budget_charge(
            actor=actor,
            country=scope.country,
            years=_years(scope),
            epsilon=epsilon,
            kind="synthetic",
        )
        data, rendered = exports.synthetic_dataset(
            facts,
            years=_years(scope),
            country=scope.country,
            epsilon=epsilon,
            rows=rows,
            rng=rng or random.SystemRandom(),
            noise=noise,
        )
        # the utility report compares with the true data: it is for the publisher,
        # computed here and never published with the file
        utility = utility_report(
            [exports.synthetic_source(f) for f in facts],
            data.records,
            list(data.records[0]) if data.records else [],
        )
        audit_record(
            actor=actor,
            action="stats.export_synthetic",
            object_type="statistics",
            object_ref=scope.country,
            detail={
                "from": scope.start.isoformat(),
                "to": scope.end.isoformat(),
                "epsilon": epsilon,
                "rows": rows,
            },
        )
    return SyntheticRelease(
        content=exports.records_csv(rendered, exports.SYNTHETIC_COLUMNS), data=data, utility=utility
    )


def stats_annual_report(*, actor: User | None, scope: Scope, year: int, language: str) -> bytes:
    """The annual report as PDF in ``language``: dashboard and official tables, each
    with its protection."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from opennrm.stats.charts import bar_chart
    from opennrm.stats.selectors import rg_target_days
    from opennrm.stats.tables import protect

    if language not in {code for code, _n in settings.LANGUAGES}:
        raise ValidationFailed(_("Choose one of the interface languages."), field="lang")
    facts = facts_for(scope)
    with translation.override(language):
        target = rg_target_days(scope.country)
        charts = [
            bar_chart(protect(t)) for t in dashboard_tables(facts, scope.start, scope.end, target)
        ]
        tables = protected_official_tables(scope, facts)
        html = render_to_string(
            "stats/report.html",
            {
                "year": year,
                "scope": scope,
                "charts": charts,
                "tables": [(t, exports.table_rows(t)) for t in tables],
                "generated": date.today().isoformat(),  # noqa: DTZ011 - a label only
                "LANGUAGE_CODE": language,
            },
        )
        pdf = HTML(string=html).write_pdf()
    audit_record(
        actor=actor,
        action="stats.report",
        object_type="statistics",
        object_ref=scope.country,
        detail={"year": year, "lang": language},
    )
    return bytes(pdf)
