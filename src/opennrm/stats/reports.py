"""Reads that assemble protected statistics for a page, a file or the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import STATISTICS_ROLES
from opennrm.core.errors import Forbidden, ValidationFailed
from opennrm.stats.charts import Chart, bar_chart
from opennrm.stats.selectors import (
    CaseFact,
    Scope,
    case_facts,
    referral_facts,
    rg_target_days,
    stats_country_for,
    stats_regions,
)
from opennrm.stats.tables import (
    ProtectedTable,
    dashboard_tables,
    official_tables,
    protect,
    referral_table,
    suppression_threshold,
)

MAX_YEARS = 20


def require_statistics_role(actor: User) -> str:
    """The actor's country, or ``Forbidden`` for roles without statistics."""
    if actor.role not in STATISTICS_ROLES:
        raise Forbidden(_("Your role does not give access to statistics."))
    country = stats_country_for(actor)
    if not country:
        raise Forbidden(_("Statistics need an agency (and so a country) on your account."))
    return country


def scope_for(actor: User, *, start: date | None, end: date | None, region: str = "") -> Scope:
    """Check a requested period and region; the default is the last twelve months."""
    return scope_for_country(require_statistics_role(actor), start=start, end=end, region=region)


def scope_for_country(
    country: str, *, start: date | None, end: date | None, region: str = ""
) -> Scope:
    today = timezone.localdate()
    end = end or today
    start = start or date(end.year - 1, end.month, 1)
    if start > end:
        raise ValidationFailed(_("The period starts after it ends."), field="start")
    if (end - start).days > 366 * MAX_YEARS:
        raise ValidationFailed(
            _("Choose a period of at most %(n)s years.") % {"n": MAX_YEARS}, field="start"
        )
    if region and region not in stats_regions(country):
        raise ValidationFailed(_("There is no such region in this country."), field="region")
    return Scope(country=country, start=start, end=end, region=region)


def year_scope(country: str, year: int) -> Scope:
    if not 1990 <= year <= timezone.localdate().year:
        raise ValidationFailed(_("Choose a year that has begun."), field="year")
    return scope_for_country(country, start=date(year, 1, 1), end=date(year, 12, 31))


def facts_for(scope: Scope, *, require_any: bool = True) -> list[CaseFact]:
    facts = case_facts(scope)
    if require_any and not facts:
        raise ValidationFailed(
            _("No cases were registered in this period; there is nothing to publish."),
            field="start",
        )
    return facts


@dataclass
class Dashboard:
    scope: Scope
    cases: int | None  # protected: None when under the threshold
    charts: list[Chart]
    rg_target: int
    threshold: int


DASHBOARD_CACHE_SECONDS = 600


def dashboard(actor: User, scope: Scope) -> Dashboard:
    """The protected charts of a scope, kept for ten minutes per scope and language (a
    year of a large register takes minutes to aggregate; the charts are small)."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    key = "stats-dashboard:" + ":".join(
        [scope.country, scope.start.isoformat(), scope.end.isoformat(), scope.region,
         str(get_language()), str(suppression_threshold())]
    )  # fmt: skip
    found = cache.get(key)
    if found is None:
        found = _dashboard(scope)
        cache.set(key, found, DASHBOARD_CACHE_SECONDS)
    return found  # type: ignore[no-any-return]


def _dashboard(scope: Scope) -> Dashboard:
    facts = facts_for(scope, require_any=False)
    target = rg_target_days(scope.country)
    tables = [protect(t) for t in dashboard_tables(facts, scope.start, scope.end, target)]
    charts = [bar_chart(t) for t in tables]
    # one protected table of referrals, drawn by service type and by outcome (both are
    # its published margins)
    referrals = protect(referral_table(referral_facts(scope)))
    charts.append(bar_chart(referrals))
    charts.append(bar_chart(referrals, by_column=True, title=_("Referrals to services by outcome")))
    threshold = suppression_threshold()
    return Dashboard(
        scope=scope,
        cases=len(facts) if len(facts) == 0 or len(facts) >= threshold else None,
        charts=charts,
        rg_target=target,
        threshold=threshold,
    )


def protected_official_tables(scope: Scope, facts: list[CaseFact]) -> list[ProtectedTable]:
    return [protect(t) for t in official_tables(facts, scope.start, scope.end)]
