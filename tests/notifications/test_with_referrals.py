"""The referrals app (in main) speaks through this app: its notifications render in the
reader's language and its reminder source runs with `opennrm notify`, once each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone, translation

from opennrm.cli import main
from opennrm.notifications import selectors
from opennrm.notifications.models import Notification
from opennrm.referrals.models import Referral
from opennrm.referrals.services import referral_create
from tests.cases.helpers import referred_case, step
from tests.referrals.helpers import consent_to_service, shelter_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(world):
    case = referred_case(world)
    step(case, world.coordinator, "decide_reasonable_grounds")
    shelter = shelter_of(world.ngo)
    consent_to_service(case, world.coordinator, shelter)
    return referral_create(actor=world.coordinator, case=case, service=shelter)


def test_new_referral_reaches_the_shelter_in_its_language(world, referral):
    note = Notification.objects.get(recipient=world.ngo_worker, kind="referral_new")
    assert note.object_id == referral.pk
    row = selectors.notification_views(world.ngo_worker, [note])[0]
    assert row["case_reference"] == referral.case.reference  # the shelter may see it now
    with translation.override("uk"):
        assert note.text == "Вашій установі надіслано нове направлення."


def test_referral_answer_due_is_reminded_once(world, referral):
    Referral.objects.filter(pk=referral.pk).update(response_due=timezone.now() + timedelta(hours=2))
    runner = CliRunner()
    first = runner.invoke(main, ["notify"])
    assert first.exit_code == 0, first.output
    assert "referral_response_due=1" in first.output
    reminded = Notification.objects.get(kind="referral_response_due")
    assert reminded.recipient == world.ngo_worker and reminded.object_id == referral.pk
    with translation.override("ru"):
        assert reminded.text == "Направление в ваше учреждение ждёт ответа."
    second = runner.invoke(main, ["notify"])
    assert second.output.strip() == "notify: 0 new reminder(s)"
