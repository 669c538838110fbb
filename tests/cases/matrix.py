"""The access matrix's dimensions and expectations, generated from the policy table
(``opennrm.cases.policy``) and the workflow's role sets; shared by the API and page
matrices (``test_policy_matrix.py``, ``test_policy_matrix_pages.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from opennrm.accounts.roles import Role
from opennrm.cases import policy
from opennrm.cases.models import Case
from opennrm.cases.services import person_save
from opennrm.cases.workflow import TRANSITIONS, State
from tests.cases.helpers import consent_to, open_case
from tests.factories import UserFactory

# --- the dimensions, read from the table ----------------------------------------------

ROLES = tuple(sorted(policy.ROLE_ACTIONS))
PURPOSES = tuple(policy.GRANTABLE_PURPOSES)
CONSENT_STATES = ("consent_all", "consent_subset", "withdrawn", "expired", "legal_basis")
MISSING = "C-NOSUCH00"

#: The person's data, every field filled, so that "non-null" means "shown".
PERSON_VALUES: dict[str, Any] = {
    "given_name": "Olena",
    "family_name": "Kovalenko",
    "other_names": "Lena K",
    "date_of_birth": date(1990, 5, 17),
    "age_band": "35-49",
    "gender": "female",
    "citizenship": "Ukraine",
    "languages": "uk, ru",
    "contact": "Through the shelter's phone",
    "documents": "Passport FA123456",
}
#: A new value per person field, as JSON.
PERSON_EDITS: dict[str, Any] = {
    "given_name": "Olha",
    "family_name": "Kovalchuk",
    "other_names": "Olia",
    "date_of_birth": "1991-06-18",
    "age_band": "25-34",
    "gender": "other",
    "citizenship": "Moldova",
    "languages": "ro",
    "contact": "Through the NGO office",
    "documents": "ID card 000123",
}
#: A valid new value per editable case fact.
CASE_EDITS: dict[str, Any] = {
    "exploitation_type": "sexual",
    "region": "Lviv",
    "summary": "Updated summary.",
    "is_child": False,
    "forced_criminality": True,
    "forced_criminality_note": "Updated note on the offences.",
}
#: Where each case fact shows in ``GET /api/cases/{ref}`` (screenings are shown on pages).
API_KEYS: dict[str, tuple[str, ...]] = {
    field: (field,) for field in policy.CASE_FIELDS if field not in {"deadlines", "screenings"}
} | {"deadlines": ("rg_due", "deadline", "deadline_kind"), "screenings": ()}
#: Keys of the deadlines group that may legitimately be null on a referred case.
DEADLINE_KEYS = ("rg_due", "reflection_starts", "reflection_ends", "deadline", "deadline_kind")

assert set(PERSON_VALUES) == set(PERSON_EDITS) == set(policy.PERSON_FIELDS)
assert set(CASE_EDITS) == set(policy.CASE_EDITABLE_FIELDS)
assert set(API_KEYS) == set(policy.CASE_FIELDS)


def consent_subset(purpose: str) -> tuple[str, ...]:
    """The fields a narrower consent covers: every other field the profile shows, plus one
    field the profile does not show (a consent must never widen a profile)."""
    visible = sorted(policy.PROFILES[purpose].person_visible)
    outside = [f for f in policy.PERSON_FIELDS if f not in visible][:1]
    return tuple(visible[::2] + outside)


@dataclass(frozen=True)
class Expect:
    """What the table says one user may see and do on the case."""

    ended: bool  # the relation is gone: the case must look missing
    case_visible: frozenset[str]
    case_editable: frozenset[str]
    person_visible: frozenset[str]
    person_editable: frozenset[str]
    steps: frozenset[str]
    actions: frozenset[str]


def expect(purpose: str, role: str, consent_state: str | None) -> Expect:
    """The table's answer for a user of ``role`` holding ``purpose`` (``case_work`` is
    the owner's relation; ``consent_state`` None: no consent is involved)."""
    profile = policy.PROFILES[purpose]
    rests_on_consent = (
        consent_state is not None and profile.needs_consent and consent_state != "legal_basis"
    )
    ended = rests_on_consent and consent_state in {"withdrawn", "expired"}
    scope = frozenset(policy.PERSON_FIELDS)
    if rests_on_consent and consent_state == "consent_subset":
        scope = frozenset(consent_subset(purpose))
    edits = policy.role_edits(role)
    steps = frozenset(
        t.name
        for t in TRANSITIONS.values()
        if role in t.roles and ("*" in profile.steps or t.name in profile.steps)
    )
    return Expect(
        ended=ended,
        case_visible=profile.case_visible,
        case_editable=profile.case_editable if edits else frozenset(),
        person_visible=profile.person_visible & scope,
        person_editable=(profile.person_editable & scope) if edits else frozenset(),
        steps=steps,
        actions=frozenset(a for a in policy.ACTIONS if policy.role_may(role, a)) & profile.actions,
    )


# --- the case every row works on -----------------------------------------------------------

REGION = "Zakarpattia"
SUMMARY = "Worked fourteen hours a day."
NOTE = "Made to carry goods across the border."


def matrix_owner(world, *, legal_basis_permission: bool = False):
    """A case manager of the owning agency (the police): records consent, shares."""
    return UserFactory(
        agency=world.police,
        role=Role.CASE_MANAGER,
        may_share_without_consent=legal_basis_permission,
    )


def matrix_case(world, owner) -> Case:
    """A referred case with every fact and every person field filled, and the person's
    consent to what a row's user will ask for (sharing with the border guard's
    interpreter, the referral into the NRM), so that a refusal is the policy's."""
    case = open_case(
        owner,
        region=REGION,
        summary=SUMMARY,
        forced_criminality=True,
        forced_criminality_note=NOTE,
    )
    person_save(actor=owner, case=case, data=dict(PERSON_VALUES), expected_version=None)
    today = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(
        state=State.REFERRED,
        screening_outcome="presumed_victim",
        rg_due=today + timedelta(days=5),
        deadline=today + timedelta(days=5),
        deadline_kind="rg_decision",
    )
    consent_to(case, owner, world.border, purpose="interpretation")
    consent_to(case, owner, world.coordination, purpose="nrm_referral")
    case.refresh_from_db()
    return case


def grantee_user(world, role: str):
    """A user of the NGO the case is shared with."""
    if role == Role.SERVICE_PROVIDER:
        return world.ngo_worker
    return UserFactory(agency=world.ngo, role=role)
