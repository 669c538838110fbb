"""Reads for casework. Anything about one case goes through ``case_access_for``; the
audited reads of notes, plan and files are in ``services`` (they write an audit entry)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from opennrm.accounts.models import User
from opennrm.accounts.roles import Role
from opennrm.cases.models import Case
from opennrm.cases.selectors import (
    _field_visible_q,
    case_profiles,
    cases_visible_to,
)
from opennrm.casework.models import Assignment

#: roles a case can be assigned to (those who may work on a case)
ASSIGNABLE_ROLES = (Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR)


def assignable_users(actor: User) -> QuerySet[User]:
    """People of the actor's own agency who can be given a case."""
    return User.objects.filter(
        agency_id=actor.agency_id, is_active=True, role__in=ASSIGNABLE_ROLES
    ).order_by("last_name", "first_name", "username")


def display_name(user: User) -> str:
    return user.get_full_name() or user.username


def cases_assigned_to(actor: User) -> QuerySet[Case]:
    """ "My cases": visible cases assigned to the actor."""
    return cases_visible_to(actor).filter(assignments__user_id=actor.pk)


def assignees_by_case(actor: User, cases: list[Case]) -> dict[int, list[str]]:
    """Who works on each case (names), where the actor's profile shows ``assignment``."""
    if not cases:
        return {}
    profiles = case_profiles(actor, [(c.pk, c.owning_agency_id) for c in cases])
    visible = [c.pk for c in cases if "assignment" in profiles[c.pk].case_visible]
    out: dict[int, list[str]] = {}
    for a in (
        Assignment.objects.filter(case_id__in=visible)
        .select_related("user")
        .order_by("case_id", "agency_id")
    ):
        out.setdefault(a.case_id, []).append(display_name(a.user))
    return out


def decorate_deadlines(actor: User, cases: list[Case], today: date) -> list[Case]:
    """Set ``assignees`` (names) and ``days_overdue`` (0 when not past) on each case."""
    names = assignees_by_case(actor, cases)
    for case in cases:
        case.assignees = names.get(case.pk, [])  # type: ignore[attr-defined]
        case.days_overdue = (  # type: ignore[attr-defined]
            (today - case.deadline).days if case.deadline and case.deadline < today else 0
        )
    return cases


@dataclass(frozen=True)
class CalendarItem:
    day: date
    reference: str
    kind: str  # rg_due | reflection_ends
    past: bool


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    weeks: list[list[tuple[date | None, list[CalendarItem]]]]
    items: list[CalendarItem]


def deadline_calendar(actor: User, *, year: int, month: int, today: date, mine: bool) -> Month:
    """The deadlines (reasonable-grounds decision due, reflection period ends) of the
    actor's cases in one month, where the actor may see deadlines."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    from django.utils import timezone

    base = cases_visible_to(actor).filter(_field_visible_q(actor, "deadlines", timezone.now()))
    if mine:
        base = base.filter(assignments__user_id=actor.pk)
    items: list[CalendarItem] = []
    for column in ("rg_due", "reflection_ends"):
        rows = base.filter(**{f"{column}__gte": first, f"{column}__lte": last}).values_list(
            "reference", column
        )
        items += [CalendarItem(day, ref, column, day < today) for ref, day in rows]
    items.sort(key=lambda i: (i.day, i.reference, i.kind))
    by_day: dict[date, list[CalendarItem]] = {}
    for item in items:
        by_day.setdefault(item.day, []).append(item)
    weeks = [
        [
            (d if d.month == month else None, by_day.get(d, []) if d.month == month else [])
            for d in w
        ]
        for w in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    return Month(year=year, month=month, weeks=weeks, items=items)
