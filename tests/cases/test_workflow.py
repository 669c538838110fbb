"""The state machine as data: every state reachable, terminal states closed, roles as intended."""

from opennrm.accounts.roles import Role
from opennrm.cases.workflow import (
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    State,
    transitions_for,
    transitions_from,
)


def test_every_state_is_reachable_from_flagged():
    seen = {State.FLAGGED}
    frontier = [State.FLAGGED]
    while frontier:
        state = frontier.pop()
        for t in transitions_from(state):
            if t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    assert seen == set(State)


def test_terminal_states_have_no_way_out():
    for state in TERMINAL_STATES:
        assert transitions_from(state) == []
    assert State.CLOSED not in OPEN_STATES


def test_only_the_coordinator_decides_victim_status():
    deciding = {
        "decide_reasonable_grounds",
        "reject_reasonable_grounds",
        "identify",
        "not_identify",
    }
    for name in deciding:
        assert TRANSITIONS[name].roles == frozenset({Role.COORDINATOR})


def test_front_line_sees_screen_then_refer_only():
    assert [t.name for t in transitions_for(State.FLAGGED, Role.FRONTLINE)] == [
        "screen",
        "lose_contact",
    ]
    assert [t.name for t in transitions_for(State.SCREENED, Role.FRONTLINE)] == [
        "refer",
        "lose_contact",
    ]
    assert transitions_for(State.REFERRED, Role.FRONTLINE)[0].name == "lose_contact"


def test_analyst_and_auditor_have_no_steps():
    for state in State:
        assert transitions_for(state, Role.ANALYST) == []
        assert transitions_for(state, Role.AUDITOR) == []


def test_formal_identification_waits_for_the_reflection_period():
    assert TRANSITIONS["identify"].requires_reflection_over
    assert TRANSITIONS["not_identify"].requires_reflection_over
    assert TRANSITIONS["identify"].sources == frozenset({State.RECOVERY_REFLECTION})
