"""`opennrm notify`: due and overdue reminders, each created once however often it runs."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from opennrm.accounts.roles import Role
from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case
from opennrm.cases.services import add_working_days
from opennrm.cli import main
from opennrm.notifications import reminders
from opennrm.notifications.case_reminders import _today_in
from opennrm.notifications.kinds import Kind
from opennrm.notifications.models import Notification
from opennrm.notifications.reminders import Reminder, register, run_reminders
from tests.cases.helpers import open_case, referred_case, step
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_cases(world):
    """A referral due tomorrow (working day), one overdue, one not yet due, a reflection
    period ending in two days, and one ending in a month."""
    today = _today_in("UA", timezone.now())
    soon = referred_case(world)
    Case.objects.filter(pk=soon.pk).update(rg_due=add_working_days(today, 1))
    late = referred_case(world)
    Case.objects.filter(pk=late.pk).update(rg_due=today - timedelta(days=2))
    later = referred_case(world)  # due in 5 working days: not yet
    reflecting = referred_case(world)
    step(reflecting, world.coordinator, "decide_reasonable_grounds")
    step(reflecting, world.case_manager, "start_reflection")
    Case.objects.filter(pk=reflecting.pk).update(reflection_ends=today + timedelta(days=2))
    long_reflection = referred_case(world)
    step(long_reflection, world.coordinator, "decide_reasonable_grounds")
    step(long_reflection, world.case_manager, "start_reflection")
    Notification.objects.all().delete()  # the referrals' own notifications: not reminders
    return {
        "soon": soon,
        "late": late,
        "later": later,
        "reflecting": reflecting,
        "today": today,
    }


def test_the_command_twice_creates_each_reminder_once(world, due_cases):
    runner = CliRunner()
    first = runner.invoke(main, ["notify"])
    assert first.exit_code == 0, first.output
    # the owning police agency has only a front-line officer (reminded instead of managers);
    # the coordination office holds the NRM-referral grant: its coordinator and case manager
    assert first.output.strip() == (
        "notify: 9 new reminder(s) (reflection_ending=3, rg_decision_due=3, rg_decision_overdue=3)"
    )
    second = runner.invoke(main, ["notify"])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "notify: 0 new reminder(s)"
    assert Notification.objects.count() == 9
    soon = Notification.objects.filter(case_reference=due_cases["soon"].reference)
    assert {n.recipient.username for n in soon} == {"officer", "coordinator", "casemanager"}
    due = add_working_days(due_cases["today"], 1).isoformat()
    assert {n.dedupe_key for n in soon} == {f"rg_decision_due:{due_cases['soon'].pk}:{due}"}
    assert {n.params["due"] for n in soon} == {due}
    late = Notification.objects.filter(case_reference=due_cases["late"].reference)
    assert {n.kind for n in late} == {"rg_decision_overdue"}
    assert not Notification.objects.filter(case_reference=due_cases["later"].reference).exists()
    runs = AuditEntry.objects.filter(action="notifications.reminders").order_by("seq")
    assert [r.detail for r in runs] == [  # one entry: the second run wrote nothing
        {"reflection_ending": 3, "rg_decision_due": 3, "rg_decision_overdue": 3}
    ]


def test_overdue_follows_due_once_the_deadline_passes(world, due_cases):
    run_reminders()
    soon = due_cases["soon"]
    later_now = timezone.now() + timedelta(days=7)  # the deadline has passed
    created = run_reminders(now=later_now)
    assert created[Kind.RG_DECISION_OVERDUE] >= 3
    assert set(
        Notification.objects.filter(case_reference=soon.reference).values_list("kind", flat=True)
    ) == {"rg_decision_due", "rg_decision_overdue"}
    assert sum(run_reminders(now=later_now).values()) == 0


def test_owning_agency_managers_instead_of_front_line_when_there_are_any(world):
    manager = UserFactory(username="pm", agency=world.police, role=Role.CASE_MANAGER)
    case = referred_case(world)
    today = _today_in("UA", timezone.now())
    Case.objects.filter(pk=case.pk).update(rg_due=today)
    run_reminders()
    assert set(
        Notification.objects.filter(
            case_reference=case.reference, kind="rg_decision_due"
        ).values_list("recipient__username", flat=True)
    ) == {manager.username, "coordinator", "casemanager"}


def test_closed_or_decided_cases_get_no_reminder(world):
    case = referred_case(world)
    step(case, world.coordinator, "reject_reasonable_grounds")
    Case.objects.filter(pk=case.pk).update(rg_due=_today_in("UA", timezone.now()))
    open_case(world.officer)  # no deadline at all
    assert sum(run_reminders().values()) == 0


def test_other_apps_register_sources(world, monkeypatch):
    monkeypatch.setattr(reminders, "_SOURCES", list(reminders._SOURCES))

    def referral_source(now):
        yield Reminder(
            kind=Kind.REFERRAL_RESPONSE_DUE,
            recipients=(world.ngo_worker,),
            dedupe_key="referral_response_due:42:2026-12-03",
            object_id=42,
            params={"due": "2026-12-03"},
        )

    register(referral_source)
    register(referral_source)  # once only
    assert reminders.registered_sources().count(referral_source) == 1
    assert run_reminders() == Counter({Kind.REFERRAL_RESPONSE_DUE: 1})
    assert run_reminders()[Kind.REFERRAL_RESPONSE_DUE] == 0


def test_a_reminder_without_key_is_refused():
    with pytest.raises(ValueError, match="dedupe_key"):
        Reminder(kind=Kind.REFERRAL_NEW, recipients=(), dedupe_key="")


def test_today_is_each_jurisdictions_own(world):
    """At 23:30 UTC it is already tomorrow in Kyiv but still today in London: a decision
    due today is overdue for a Ukrainian case and only due for a British one."""
    from datetime import UTC, date, datetime

    from opennrm.accounts.models import Jurisdiction
    from tests.factories import AgencyFactory

    now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    Jurisdiction.objects.create(country="GB", time_zone="Europe/London")
    london = AgencyFactory(name="London NRM", country="GB")
    UserFactory(username="gbcm", agency=london, role=Role.CASE_MANAGER)
    kyiv_case = open_case(world.officer)
    london_case = open_case(UserFactory(username="gbfl", agency=london, role=Role.FRONTLINE))
    Case.objects.filter(pk__in=[kyiv_case.pk, london_case.pk]).update(
        state="referred", rg_due=date(2026, 12, 1)
    )
    Notification.objects.all().delete()
    run_reminders(now=now)
    kinds = dict(Notification.objects.values_list("case_reference", "kind").distinct())
    assert kinds == {
        kyiv_case.reference: "rg_decision_overdue",
        london_case.reference: "rg_decision_due",
    }
