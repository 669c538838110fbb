from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from opennrm.accounts.models import Agency, User
from opennrm.cases.models import Case, CaseGrant, Consent
from opennrm.cases.policy import PERSON_FIELDS
from opennrm.cases.services import case_create, case_transition, consent_record, grant_create


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
    consent: bool = True,
) -> Case:
    """One workflow step; the referral step first records the person's consent to it
    (unless ``consent=False``, to test what happens without)."""
    if name == "refer" and to is not None and consent and not case.is_child:
        consent_to(case, actor, to, purpose="nrm_referral")
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


def consent_to(
    case: Case,
    actor: User,
    agency: Agency,
    *,
    purpose: str = "",
    fields: tuple[str, ...] = PERSON_FIELDS,
    expires_in_days: int | None = None,
) -> Consent:
    """The person agrees, in person, that ``agency`` gets ``fields`` for ``purpose``."""
    today = timezone.localdate()
    return consent_record(
        actor=actor,
        case=case,
        kind="sharing",
        purpose=purpose,
        recipient_agency=agency,
        fields=fields,
        obtained_on=today,
        method="in_person",
        guardian="parent" if case.is_child else "",
        expires_on=today + timedelta(days=expires_in_days) if expires_in_days else None,
    )


def share(
    case: Case,
    actor: User,
    agency: Agency,
    purpose: str,
    *,
    days: int = 3,
    fields: tuple[str, ...] = PERSON_FIELDS,
    owner: User | None = None,
) -> CaseGrant:
    """Record the consent (by the owner's user, or ``actor``) and share the case."""
    consent_to(case, owner or actor, agency, purpose=purpose, fields=fields)
    return grant_create(
        actor=actor,
        case=case,
        agency=agency,
        purpose=purpose,
        expires_at=timezone.now() + timedelta(days=days),
    )
