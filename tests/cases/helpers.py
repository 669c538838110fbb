from __future__ import annotations

from datetime import datetime

from opennrm.accounts.models import Agency, User
from opennrm.cases.models import Case
from opennrm.cases.services import case_create, case_transition


def open_case(actor: User, **kwargs) -> Case:
    return case_create(
        actor=actor, exploitation_type=kwargs.pop("exploitation_type", "labour"), **kwargs
    )


def step(
    case: Case,
    actor: User,
    name: str,
    *,
    reason: str = "Documented reason.",
    outcome: str = "",
    to: Agency | None = None,
    now: datetime | None = None,
) -> Case:
    return case_transition(
        actor=actor,
        case=case,
        name=name,
        expected_version=case.version,
        reason=reason,
        screening_outcome=outcome,
        referral_agency=to,
        now=now,
    )


def referred_case(world) -> Case:
    case = open_case(world.officer)
    step(case, world.officer, "screen", outcome="presumed_victim")
    step(case, world.officer, "refer", to=world.coordination)
    return case
