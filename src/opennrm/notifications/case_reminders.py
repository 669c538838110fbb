"""Reminders of case deadlines: the reasonable-grounds decision and the end of the
recovery and reflection period, in each case's jurisdiction's time zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from opennrm.accounts.models import User
from opennrm.accounts.roles import Role
from opennrm.accounts.selectors import jurisdiction_for
from opennrm.cases.models import AccessPurpose, Case, CaseGrant
from opennrm.cases.services import add_working_days
from opennrm.cases.workflow import State
from opennrm.notifications.kinds import Kind
from opennrm.notifications.reminders import Reminder

#: Who is reminded of a case's deadlines in the owning agency and in the agency the case
#: was referred to (the holder of the active ``nrm_referral`` grant).
DEADLINE_ROLES = (Role.CASE_MANAGER, Role.COORDINATOR)


def _today_in(country: str, now: datetime) -> date:
    rules = jurisdiction_for(country)
    return timezone.localtime(now, ZoneInfo(rules.time_zone)).date()


def _recipients_by_case(cases: Sequence[Case], now: datetime) -> dict[int, tuple[User, ...]]:
    """Case managers and coordinators of the owning agency and of the agency holding the
    active NRM-referral grant; an owning agency without either (e.g. a labour inspectorate
    with front-line staff only) has its front-line users reminded instead."""
    if not cases:
        return {}
    referral_agencies: dict[int, set[int]] = defaultdict(set)
    for case_id, agency_id in CaseGrant.objects.filter(
        case_id__in=[c.pk for c in cases],
        purpose=AccessPurpose.NRM_REFERRAL,
        agency__isnull=False,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).values_list("case_id", "agency_id"):
        referral_agencies[case_id].add(agency_id)
    agency_ids = {c.owning_agency_id for c in cases}
    for ids in referral_agencies.values():
        agency_ids |= ids
    users_by_agency: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        agency_id__in=agency_ids,
        is_active=True,
        role__in=[*DEADLINE_ROLES, Role.FRONTLINE],
    ).order_by("pk"):
        users_by_agency[user.agency_id].append(user)  # type: ignore[index]

    def deciders(agency_id: int) -> list[User]:
        return [u for u in users_by_agency[agency_id] if u.role in DEADLINE_ROLES]

    result: dict[int, tuple[User, ...]] = {}
    for case in cases:
        owners = deciders(case.owning_agency_id) or users_by_agency[case.owning_agency_id]
        others = [u for a in sorted(referral_agencies[case.pk]) for u in deciders(a)]
        result[case.pk] = tuple({u.pk: u for u in [*owners, *others]}.values())
    return result


def _countries(queryset: Iterable[str]) -> list[str]:
    return sorted(set(queryset))


def rg_decision_reminders(now: datetime) -> Iterator[Reminder]:
    """A referred case whose reasonable-grounds decision is due within
    ``OPENNRM_NOTIFY_RG_WORKING_DAYS`` working days, or overdue."""
    within = settings.OPENNRM_NOTIFY_RG_WORKING_DAYS
    pending = Case.objects.filter(state=State.REFERRED, rg_due__isnull=False)
    for country in _countries(pending.values_list("country", flat=True).distinct()):
        today = _today_in(country, now)
        horizon = add_working_days(today, within)
        cases = list(pending.filter(country=country, rg_due__lte=horizon).order_by("rg_due", "pk"))
        recipients = _recipients_by_case(cases, now)
        for case in cases:
            assert case.rg_due is not None  # noqa: S101 - filtered above
            kind = Kind.RG_DECISION_OVERDUE if case.rg_due < today else Kind.RG_DECISION_DUE
            due = case.rg_due.isoformat()
            yield Reminder(
                kind=kind,
                recipients=recipients[case.pk],
                dedupe_key=f"{kind.value}:{case.pk}:{due}",
                case_reference=case.reference,
                params={"due": due},
            )


def reflection_ending_reminders(now: datetime) -> Iterator[Reminder]:
    """A recovery and reflection period that ends within ``OPENNRM_NOTIFY_REFLECTION_DAYS``."""
    within = settings.OPENNRM_NOTIFY_REFLECTION_DAYS
    running = Case.objects.filter(state=State.RECOVERY_REFLECTION, reflection_ends__isnull=False)
    for country in _countries(running.values_list("country", flat=True).distinct()):
        today = _today_in(country, now)
        cases = list(
            running.filter(
                country=country,
                reflection_ends__gte=today,
                reflection_ends__lte=today + timedelta(days=within),
            ).order_by("reflection_ends", "pk")
        )
        recipients = _recipients_by_case(cases, now)
        for case in cases:
            assert case.reflection_ends is not None  # noqa: S101 - filtered above
            ends = case.reflection_ends.isoformat()
            yield Reminder(
                kind=Kind.REFLECTION_ENDING,
                recipients=recipients[case.pk],
                dedupe_key=f"{Kind.REFLECTION_ENDING.value}:{case.pk}:{ends}",
                case_reference=case.reference,
                params={"due": ends},
            )
