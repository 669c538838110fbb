"""Cases for statistics tests, written straight to the tables (the workflow's own
rules are tested in tests/cases; here only the facts matter)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from opennrm.accounts.models import Agency, User
from opennrm.cases.models import Case, CaseEvent, Person

_STEPS = {
    "flagged": [],
    "referred": [("refer", "referred")],
    "presumed_victim": [("refer", "referred"), ("decide_reasonable_grounds", "presumed_victim")],
    "rejected": [("refer", "referred"), ("reject_reasonable_grounds", "not_identified")],
    "identified": [
        ("refer", "referred"),
        ("decide_reasonable_grounds", "presumed_victim"),
        ("start_reflection", "recovery_reflection"),
        ("identify", "identified"),
    ],
    "assisted": [
        ("refer", "referred"),
        ("decide_reasonable_grounds", "presumed_victim"),
        ("start_reflection", "recovery_reflection"),
        ("identify", "identified"),
        ("start_assistance", "assistance"),
    ],
}
_counter = iter(range(1, 10**9))


def make_case(
    *,
    agency: Agency,
    actor: User,
    registered: date,
    exploitation: str = "labour",
    region: str = "Kyiv",
    gender: str | None = "female",
    age: int | None = 30,
    citizenship: str = "UA",
    forced: bool = False,
    reached: str = "flagged",
    step_days: int = 3,
) -> Case:
    at = datetime(registered.year, registered.month, registered.day, 10, tzinfo=UTC)
    steps = _STEPS[reached]
    case = Case.objects.create(
        reference=f"T-{next(_counter):08d}",
        owning_agency=agency,
        created_by=actor,
        state=steps[-1][1] if steps else "flagged",
        exploitation_type=exploitation,
        country="UA",
        region=region,
        is_child=age is not None and age < 18,
        forced_criminality=forced,
    )
    Case.objects.filter(pk=case.pk).update(created_at=at)
    CaseEvent.objects.create(case=case, kind="created", actor=actor, at=at, to_state="flagged")
    when = at
    for name, to_state in steps:
        when += timedelta(days=step_days)
        CaseEvent.objects.create(
            case=case, kind="transition", transition=name, to_state=to_state, actor=actor, at=when
        )
    if gender is not None:
        born = registered.replace(year=registered.year - age, day=1) if age is not None else None
        Person.objects.create(case=case, gender=gender, date_of_birth=born, citizenship=citizenship)
    return case


def make_population(world, n: int, *, year: int = 2025, seed: int = 7) -> None:
    """n cases spread over a year with a realistic mix."""
    rng = random.Random(seed)
    agencies = [world.police, world.border, world.labour, world.ngo]
    for _ in range(n):
        make_case(
            agency=rng.choice(agencies),
            actor=world.officer,
            registered=date(year, rng.randint(1, 12), rng.randint(1, 28)),
            exploitation=rng.choices(
                ["labour", "criminality", "sexual", "unknown"], [40, 28, 16, 16]
            )[0],
            region=rng.choice(["Kyiv", "Lviv", "Odesa"]),
            gender=rng.choices(["male", "female", None], [65, 25, 10])[0],
            age=rng.randint(12, 60),
            citizenship=rng.choices(["UA", "MD", "VN"], [60, 25, 15])[0],
            forced=rng.random() < 0.2,
            reached=rng.choice(list(_STEPS)),
            step_days=rng.randint(1, 12),
        )
