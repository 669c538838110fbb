"""The NRM workflow as an explicit state machine: data, not scattered ``if``s.

flagged → screened → referred → presumed victim (reasonable-grounds decision)
→ recovery and reflection period → identified / not identified → assistance →
closed; withdrawn and lost contact from any open state.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.roles import Role


class State(models.TextChoices):
    FLAGGED = "flagged", _("Flagged")
    SCREENED = "screened", _("Screened")
    REFERRED = "referred", _("Referred")
    PRESUMED_VICTIM = "presumed_victim", _("Presumed victim")
    RECOVERY_REFLECTION = "recovery_reflection", _("Recovery and reflection period")
    IDENTIFIED = "identified", _("Formally identified")
    NOT_IDENTIFIED = "not_identified", _("Not identified")
    ASSISTANCE = "assistance", _("Assistance")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LOST_CONTACT = "lost_contact", _("Lost contact")


TERMINAL_STATES = frozenset({State.CLOSED, State.WITHDRAWN})
OPEN_STATES = frozenset(set(State) - TERMINAL_STATES)


class ScreeningOutcome(models.TextChoices):
    PRESUMED_VICTIM = "presumed_victim", _("Presumed victim: refer now")
    POSSIBLE_VICTIM = "possible_victim", _("Possible victim: further interview needed")
    NO_INDICATORS = "no_indicators", _("No indicators found")


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    requires_reason: bool = True
    requires_screening_outcome: bool = False
    requires_reflection_over: bool = False
    requires_referral_agency: bool = False


_DECIDERS = frozenset({Role.COORDINATOR})
_CASEWORK = frozenset({Role.CASE_MANAGER, Role.COORDINATOR})
_FRONT = frozenset({Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "screen",
            _("Record screening"),
            frozenset({State.FLAGGED}),
            State.SCREENED,
            _FRONT,
            requires_reason=False,
            requires_screening_outcome=True,
        ),
        Transition(
            "refer",
            _("Refer to the NRM"),
            frozenset({State.SCREENED}),
            State.REFERRED,
            _FRONT,
            requires_referral_agency=True,
        ),
        Transition(
            "decide_reasonable_grounds",
            _("Reasonable grounds: presumed victim"),
            frozenset({State.REFERRED}),
            State.PRESUMED_VICTIM,
            _DECIDERS,
        ),
        Transition(
            "reject_reasonable_grounds",
            _("Reasonable grounds: not met"),
            frozenset({State.REFERRED}),
            State.NOT_IDENTIFIED,
            _DECIDERS,
        ),
        Transition(
            "start_reflection",
            _("Start recovery and reflection period"),
            frozenset({State.PRESUMED_VICTIM}),
            State.RECOVERY_REFLECTION,
            _CASEWORK,
            requires_reason=False,
        ),
        Transition(
            "identify",
            _("Formal identification: victim"),
            frozenset({State.RECOVERY_REFLECTION}),
            State.IDENTIFIED,
            _DECIDERS,
            requires_reflection_over=True,
        ),
        Transition(
            "not_identify",
            _("Formal identification: not a victim"),
            frozenset({State.RECOVERY_REFLECTION}),
            State.NOT_IDENTIFIED,
            _DECIDERS,
            requires_reflection_over=True,
        ),
        Transition(
            "start_assistance",
            _("Start assistance plan"),
            frozenset({State.IDENTIFIED}),
            State.ASSISTANCE,
            frozenset({Role.CASE_MANAGER, Role.COORDINATOR, Role.SERVICE_PROVIDER}),
        ),
        Transition(
            "close",
            _("Close case"),
            frozenset({State.ASSISTANCE, State.NOT_IDENTIFIED, State.LOST_CONTACT}),
            State.CLOSED,
            _CASEWORK,
        ),
        Transition(
            "lose_contact",
            _("Record lost contact"),
            frozenset(OPEN_STATES - {State.LOST_CONTACT}),
            State.LOST_CONTACT,
            frozenset({Role.FRONTLINE, Role.CASE_MANAGER, Role.COORDINATOR, Role.SERVICE_PROVIDER}),
        ),
        Transition(
            "withdraw",
            _("Withdraw (person declined or case opened in error)"),
            frozenset(OPEN_STATES),
            State.WITHDRAWN,
            _CASEWORK,
        ),
    )
}


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def transitions_for(state: str, role: str) -> list[Transition]:
    """What this role may do from this state: the buttons a page shows."""
    return [t for t in transitions_from(state) if role in t.roles]
