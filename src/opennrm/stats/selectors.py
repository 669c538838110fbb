"""Reads for statistics: one row of facts per case, never a person's identity.

The facts (dates, codes, bands) feed the tables, charts and exports; nothing here
returns a name, a date of birth, free text or a case reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Min, Q

from opennrm.accounts.models import User
from opennrm.accounts.selectors import jurisdiction_for
from opennrm.cases.models import Case, CaseEvent
from opennrm.privacy import ctdc_age_band

#: the NRM funnel, each stage reached by a transition into one of these states
FUNNEL: tuple[tuple[str, frozenset[str]], ...] = (
    ("flagged", frozenset()),  # every case
    ("referred", frozenset({"referred"})),
    ("presumed_victim", frozenset({"presumed_victim"})),
    ("identified", frozenset({"identified"})),
    ("assisted", frozenset({"assistance"})),
)
_RG_DECISIONS = ("decide_reasonable_grounds", "reject_reasonable_grounds")
GENDERS = ("female", "male", "other")


@dataclass(frozen=True, slots=True)
class CaseFact:
    """What statistics may know about one case."""

    registered: date
    agency_type: str
    exploitation: str
    forced_criminality: bool
    is_child: bool
    region: str
    country: str
    gender: str  # female, male, other, unknown
    age_band: str  # a CTDC band or "unknown"
    citizenship: str  # ISO code or "unknown"
    stage: int  # furthest funnel stage reached (index into FUNNEL)
    rg_decision: str  # "", "positive", "negative"
    rg_working_days: int | None
    cg_decision: str  # "", "positive", "negative"
    identified_on: date | None

    @property
    def year(self) -> int:
        return self.registered.year

    @property
    def month(self) -> str:
        return f"{self.registered.year:04d}-{self.registered.month:02d}"

    @property
    def quarter(self) -> str:
        return f"{self.registered.year:04d} Q{(self.registered.month - 1) // 3 + 1}"

    @property
    def majority(self) -> str:
        return "child" if self.is_child else "adult"


@dataclass(frozen=True)
class Scope:
    """Whose cases and which: a country, a registration period and optionally a region."""

    country: str
    start: date
    end: date  # inclusive
    region: str = ""


def stats_country_for(actor: User) -> str | None:
    """Statistics are national: the country of the actor's agency."""
    return actor.agency.country if actor.agency_id else None  # type: ignore[union-attr]


def stats_regions(country: str) -> list[str]:
    return sorted(
        r
        for r in Case.objects.filter(country=country)
        .exclude(region="")
        .values_list("region", flat=True)
        .distinct()
    )


def _gender(value: str | None) -> str:
    value = (value or "").strip().lower()
    if not value:
        return "unknown"
    return value if value in GENDERS else "other"


def _citizenship(value: str | None) -> str:
    value = (value or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else "unknown"


def _age_band(born: date | None, band: str | None, registered: date) -> str:
    if born is not None:
        years = (
            registered.year
            - born.year
            - ((registered.month, registered.day) < (born.month, born.day))
        )
        return ctdc_age_band(max(0, years)) or "unknown"
    label = ctdc_age_band(band) if band else None
    return label if label in {b for _l, _h, b in _ctdc_bands()} else "unknown"


def _ctdc_bands() -> tuple[tuple[int, int | None, str], ...]:
    from opennrm.privacy import CTDC_AGE_BANDS

    return CTDC_AGE_BANDS


def case_facts(scope: Scope, *, chunk: int = 20_000) -> list[CaseFact]:
    """One fact row per case of the scope (registration date in the jurisdiction's zone)."""
    rules = jurisdiction_for(scope.country)
    zone = ZoneInfo(rules.time_zone)
    start = datetime.combine(scope.start, time.min, tzinfo=zone)
    end = datetime.combine(scope.end + timedelta(days=1), time.min, tzinfo=zone)
    cases = Case.objects.filter(country=scope.country, created_at__gte=start, created_at__lt=end)
    if scope.region:
        cases = cases.filter(region=scope.region)
    rows = cases.order_by().values_list(
        "id",
        "created_at",
        "owning_agency__type",
        "exploitation_type",
        "forced_criminality",
        "is_child",
        "region",
        "country",
        "person__gender",
        "person__age_band",
        "person__citizenship",
        "person__date_of_birth",
    )
    # the dates that matter, per case, aggregated by the database (first time each)
    marks = {
        "to_referred": Q(to_state="referred"),
        "to_presumed_victim": Q(to_state="presumed_victim"),
        "to_identified": Q(to_state="identified"),
        "to_assistance": Q(to_state="assistance"),
        "refer": Q(transition="refer"),
        "rg_positive": Q(transition="decide_reasonable_grounds"),
        "rg_negative": Q(transition="reject_reasonable_grounds"),
        "identify": Q(transition="identify"),
        "not_identify": Q(transition="not_identify"),
    }
    wanted = Q()
    for condition in marks.values():
        wanted |= condition
    dates: dict[int, _Marks] = {
        row[0]: _Marks(*row[1:])
        for row in CaseEvent.objects.filter(wanted, case__in=cases.values("id"))
        .order_by()
        .values("case_id")
        .annotate(**{name: Min("at", filter=cond) for name, cond in marks.items()})
        .values_list("case_id", *marks)
        .iterator(chunk_size=chunk)
    }
    none = _Marks(*([None] * len(marks)))
    out = []
    for row in rows.iterator(chunk_size=chunk):
        registered = row[1].astimezone(zone).date()
        out.append(_fact(registered, row, dates.get(row[0], none), zone))
    return out


@dataclass(frozen=True, slots=True)
class _Marks:
    to_referred: datetime | None
    to_presumed_victim: datetime | None
    to_identified: datetime | None
    to_assistance: datetime | None
    refer: datetime | None
    rg_positive: datetime | None
    rg_negative: datetime | None
    identify: datetime | None
    not_identify: datetime | None


def _fact(
    registered: date,
    row: tuple,  # type: ignore[type-arg]
    marks: _Marks,
    zone: ZoneInfo,
) -> CaseFact:
    (_id, _created, agency_type, kind, forced, child, region, country) = row[:8]
    gender, band, citizenship, born = row[8:]
    reached = (
        True,
        marks.to_referred is not None,
        marks.to_presumed_victim is not None,
        marks.to_identified is not None,
        marks.to_assistance is not None,
    )
    stage = max(i for i, hit in enumerate(reached) if hit)
    rg_decision = ""
    rg_at = None
    if marks.rg_positive is not None and (
        marks.rg_negative is None or marks.rg_positive <= marks.rg_negative
    ):
        rg_decision, rg_at = "positive", marks.rg_positive
    elif marks.rg_negative is not None:
        rg_decision, rg_at = "negative", marks.rg_negative
    cg_decision = (
        "positive"
        if marks.identify is not None
        else ("negative" if marks.not_identify is not None else "")
    )
    rg_days = None
    if marks.refer is not None and rg_at is not None:
        rg_days = int(
            np.busday_count(marks.refer.astimezone(zone).date(), rg_at.astimezone(zone).date())
        )
    age_band = _age_band(born, band, registered)
    if age_band != "unknown":
        child = age_band in ("0--8", "9--17")  # age at registration, not today
    return CaseFact(
        registered=registered,
        agency_type=agency_type or "unknown",
        exploitation=kind,
        forced_criminality=bool(forced),
        is_child=bool(child),
        region=region or "",
        country=country,
        gender=_gender(gender),
        age_band=age_band,
        citizenship=_citizenship(citizenship),
        stage=stage,
        rg_decision=rg_decision,
        rg_working_days=rg_days,
        cg_decision=cg_decision,
        identified_on=marks.identify.astimezone(zone).date() if marks.identify else None,
    )


#: referral status -> outcome group shown in statistics (drafts are not referrals yet)
REFERRAL_OUTCOMES = {
    "sent": "awaiting",
    "acknowledged": "awaiting",
    "accepted": "accepted",
    "in_progress": "accepted",
    "completed": "completed",
    "declined": "declined",
    "withdrawn": "ended",
    "expired": "ended",
}


def referral_facts(scope: Scope) -> list[tuple[str, str]]:
    """(service type, outcome group) of each referral made for a case of the scope."""
    from opennrm.referrals.models import Referral

    rules = jurisdiction_for(scope.country)
    zone = ZoneInfo(rules.time_zone)
    start = datetime.combine(scope.start, time.min, tzinfo=zone)
    end = datetime.combine(scope.end + timedelta(days=1), time.min, tzinfo=zone)
    referrals = Referral.objects.filter(
        case__country=scope.country,
        case__created_at__gte=start,
        case__created_at__lt=end,
        status__in=list(REFERRAL_OUTCOMES),
    )
    if scope.region:
        referrals = referrals.filter(case__region=scope.region)
    return [
        (service_type, REFERRAL_OUTCOMES[status])
        for service_type, status in referrals.order_by().values_list("service_type", "status")
    ]


def rg_target_days(country: str) -> int:
    return int(jurisdiction_for(country).rg_decision_working_days)
