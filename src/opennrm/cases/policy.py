"""What each purpose may see and do on a case: one declarative table.

Access to a case comes from a *relation* (the owning agency, or a grant to an agency or
a user for a purpose). Each relation carries a sharing profile; the profile says which
case facts and which personal-data fields are visible, which are editable, which workflow
steps may be taken and which other actions are allowed. A user's role gates the verbs on
top of that (a service-provider's staff never opens a case, whatever the profile).

``opennrm.cases.selectors.case_access_for`` is the one helper that reads this table;
services, pages, the API and exports ask the ``CaseAccess`` it returns. The permission
tests are generated from the same table (``tests/cases/test_policy_matrix.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.roles import Role


class AccessPurpose(models.TextChoices):
    """Why someone needs a case: a code, so that no free text reaches the audit log."""

    CASE_WORK = "case_work", _("Case work")
    NRM_REFERRAL = "nrm_referral", _("NRM referral")
    SHELTER = "shelter", _("Shelter and accommodation")
    MEDICAL = "medical", _("Medical and psychological care")
    LEGAL_AID = "legal_aid", _("Legal aid")
    SOCIAL_SUPPORT = "social_support", _("Social support")
    INTERPRETATION = "interpretation", _("Interpretation")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    INVESTIGATION = "investigation", _("Criminal investigation")
    PROSECUTION = "prosecution", _("Prosecution")
    RETURN = "return", _("Safe return and reintegration")
    SUPERVISION = "supervision", _("Supervision and quality review")
    STATISTICS = "statistics", _("Statistics")


# --- the fields --------------------------------------------------------------------

#: Case facts a profile may show. ``reference``, ``state`` and the owning agency are
#: always visible to anyone who may see the case at all.
CASE_FIELDS = (
    "exploitation_type",
    "region",
    "is_child",
    "forced_criminality",
    "forced_criminality_note",
    "summary",
    "screening_outcome",
    "deadlines",
    "timeline",
    "screenings",
)
#: Casework records kept beside the case (``opennrm.casework``), shown like case facts:
#: ``assignment`` who in an agency works on the case; ``notes`` case notes and the contact
#: log (may hold personal detail, so only for those who do case work with the person);
#: ``plan`` the assistance plan (needs, goals, services delivered); ``attachments``
#: uploaded files (signed consent, document scans, interview records).
#: Kept apart from ``CASE_FIELDS`` because they are not columns of ``Case``.
CASEWORK_FIELDS = ("assignment", "notes", "plan", "attachments")

#: Case facts that can be edited (a subset of ``CASE_FIELDS``).
CASE_EDITABLE_FIELDS = (
    "exploitation_type",
    "region",
    "summary",
    "is_child",
    "forced_criminality",
    "forced_criminality_note",
)
PERSON_FIELDS = (
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "age_band",
    "gender",
    "citizenship",
    "languages",
    "contact",
    "documents",
)

#: Actions on a case besides reading fields and taking workflow steps.
ACTIONS = (
    "share",  # grant another agency access, revoke it
    "refer",  # refer to a service in the directory
    "consent",  # record, refuse or withdraw the person's consent
    "handover",  # ask to hand the case over to another agency
    "export",  # transnational package
    "assign",  # assign the case to a person of one's own agency (opennrm.casework)
    "note",  # write case notes and contact-log entries
    "plan",  # edit the assistance plan
    "attach",  # upload attachments
    "subject_access",  # export everything held about the person (right of access)
    "erase",  # erase the person's data, keeping the case's counts (right to erasure)
)

_ALL_CASE = frozenset(CASE_FIELDS) | frozenset(CASEWORK_FIELDS)
_ALL_PERSON = frozenset(PERSON_FIELDS)
_NAMES = frozenset({"given_name", "family_name"})
_DECISION_STEPS = frozenset(
    {
        "decide_reasonable_grounds",
        "reject_reasonable_grounds",
        "start_reflection",
        "identify",
        "not_identify",
        "start_assistance",
        "lose_contact",
        "close",
    }
)


@dataclass(frozen=True)
class Profile:
    purpose: str
    case_visible: frozenset[str]
    case_editable: frozenset[str]
    person_visible: frozenset[str]
    person_editable: frozenset[str]
    steps: frozenset[str]
    actions: frozenset[str]
    #: whether a grant for this purpose needs the person's consent (or a legal basis)
    needs_consent: bool = True

    @property
    def label(self) -> str:
        return " + ".join(str(AccessPurpose(code).label) for code in self.purpose.split("+"))


def _p(
    purpose: AccessPurpose,
    *,
    case: set[str] | frozenset[str] = frozenset(),
    case_edit: set[str] | frozenset[str] = frozenset(),
    person: set[str] | frozenset[str] = frozenset(),
    person_edit: set[str] | frozenset[str] = frozenset(),
    steps: set[str] | frozenset[str] = frozenset(),
    actions: set[str] | frozenset[str] = frozenset(),
    needs_consent: bool = True,
) -> Profile:
    return Profile(
        purpose=purpose.value,
        case_visible=frozenset(case),
        case_editable=frozenset(case_edit),
        person_visible=frozenset(person),
        person_editable=frozenset(person_edit),
        steps=frozenset(steps),
        actions=frozenset(actions),
        needs_consent=needs_consent,
    )


#: Purpose → what it may see and do. Owners hold ``case_work``.
PROFILES: dict[str, Profile] = {
    p.purpose: p
    for p in (
        _p(
            AccessPurpose.CASE_WORK,
            case=_ALL_CASE,
            case_edit=CASE_EDITABLE_FIELDS,
            person=_ALL_PERSON,
            person_edit=_ALL_PERSON,
            steps={"*"},
            actions=ACTIONS,
            needs_consent=False,
        ),
        # The reasonable-grounds decider: everything needed to decide, the decisions, and
        # referral onwards; not the owner's withdrawal.
        _p(
            AccessPurpose.NRM_REFERRAL,
            case=_ALL_CASE,
            case_edit=CASE_EDITABLE_FIELDS,
            person=_ALL_PERSON,
            person_edit=_ALL_PERSON,
            steps=_DECISION_STEPS,
            actions={"share", "refer", "consent", "export", "assign", "note", "plan", "attach"},
        ),
        _p(
            AccessPurpose.SHELTER,
            # the plan (what the person needs, what is delivered) and whom to call;
            # not the notes or the files
            case={"is_child", "region", "assignment", "plan"},
            person=_NAMES | {"gender", "age_band", "languages", "contact"},
        ),
        _p(
            AccessPurpose.MEDICAL,
            case={"is_child", "exploitation_type", "assignment", "plan"},
            person=_NAMES | {"date_of_birth", "gender", "languages"},
        ),
        _p(
            AccessPurpose.LEGAL_AID,
            case={
                "exploitation_type",
                "is_child",
                "forced_criminality",
                "forced_criminality_note",
                "summary",
                "deadlines",
                "assignment",
                "plan",
                "attachments",  # document scans and signed statements for the case file
            },
            person=_NAMES
            | {"other_names", "date_of_birth", "citizenship", "languages", "documents"},
        ),
        _p(
            AccessPurpose.SOCIAL_SUPPORT,
            # social workers do case work with the person: notes and the plan, both ways
            case={"is_child", "region", "assignment", "notes", "plan"},
            person=_NAMES | {"gender", "age_band", "languages", "contact"},
            actions={"note", "plan"},
        ),
        _p(AccessPurpose.INTERPRETATION, case={"region"}, person=_NAMES | {"languages"}),
        _p(
            AccessPurpose.CHILD_PROTECTION,
            case={
                "is_child",
                "exploitation_type",
                "region",
                "summary",
                "deadlines",
                "assignment",
                "notes",
                "plan",
                "attachments",
            },
            person=_NAMES
            | {"date_of_birth", "gender", "citizenship", "languages", "contact", "documents"},
            actions={"note", "plan", "attach"},
        ),
        _p(
            AccessPurpose.INVESTIGATION,
            case={
                "exploitation_type",
                "region",
                "is_child",
                "forced_criminality",
                "forced_criminality_note",
                "summary",
            },
            person=_NAMES | {"other_names", "date_of_birth", "gender", "citizenship", "documents"},
        ),
        _p(
            AccessPurpose.PROSECUTION,
            case={
                "exploitation_type",
                "region",
                "is_child",
                "forced_criminality",
                "forced_criminality_note",
                "summary",
            },
            person=_NAMES | {"other_names", "date_of_birth", "gender", "citizenship", "documents"},
        ),
        _p(
            AccessPurpose.RETURN,
            case={"is_child", "region", "assignment", "plan"},
            person=_NAMES | {"date_of_birth", "citizenship", "languages", "contact", "documents"},
        ),
        _p(
            AccessPurpose.SUPERVISION,
            # who works on it and the plan, not the notes or files (they hold personal detail)
            case=_ALL_CASE - {"forced_criminality_note", "notes", "attachments"},
            needs_consent=False,
        ),
        # Statistics are aggregates; no one gets a case for this purpose.
        _p(AccessPurpose.STATISTICS),
    )
}

#: Purposes a case can be shared for by a grant made on the case page or the API.
GRANTABLE_PURPOSES = tuple(
    p for p in AccessPurpose.values if p not in {AccessPurpose.CASE_WORK, AccessPurpose.STATISTICS}
)

# --- roles: which verbs a role may ever use ------------------------------------------

_CASE_READERS = frozenset(
    {Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR, Role.SERVICE_PROVIDER}
)
_EDITORS = frozenset({Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR})
_SHARERS = frozenset({Role.CASE_MANAGER, Role.COORDINATOR})
#: role → actions it may ever take (the profile then decides per case)
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.FRONTLINE: frozenset({"refer", "consent", "handover", "note", "attach"}),
    Role.CASE_MANAGER: frozenset(ACTIONS),
    Role.COORDINATOR: frozenset(ACTIONS),
    Role.SERVICE_PROVIDER: frozenset(),
}


def role_reads_cases(role: str) -> bool:
    return role in _CASE_READERS


def role_edits(role: str) -> bool:
    return role in _EDITORS


def role_may(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())


def profile_for(purpose: str) -> Profile:
    return PROFILES[purpose]


def merge(profiles: list[tuple[Profile, frozenset[str] | None]]) -> Profile | None:
    """The union of what several relations allow (an agency may hold two grants).

    A consent's field scope narrows the person fields of the grant that rests on it.
    """
    if not profiles:
        return None
    case_v: set[str] = set()
    case_e: set[str] = set()
    person_v: set[str] = set()
    person_e: set[str] = set()
    steps: set[str] = set()
    actions: set[str] = set()
    for profile, scope in profiles:
        visible = profile.person_visible if scope is None else profile.person_visible & scope
        editable = profile.person_editable if scope is None else profile.person_editable & scope
        case_v |= profile.case_visible
        case_e |= profile.case_editable
        person_v |= visible
        person_e |= editable
        steps |= profile.steps
        actions |= profile.actions
    purpose = (
        profiles[0][0].purpose
        if len(profiles) == 1
        else "+".join(sorted(p.purpose for p, _scope in profiles))
    )
    return Profile(
        purpose=purpose,
        case_visible=frozenset(case_v),
        case_editable=frozenset(case_e),
        person_visible=frozenset(person_v),
        person_editable=frozenset(person_e),
        steps=frozenset(steps),
        actions=frozenset(actions),
    )
