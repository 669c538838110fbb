"""notify / notify_agency, de-duplication, unread count, marking read, what a reader sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from opennrm.accounts.roles import Role
from opennrm.cases.services import grant_revoke
from opennrm.core.errors import NotFound, ValidationFailed
from opennrm.notifications import selectors, services
from opennrm.notifications.kinds import KIND_PARAMS, Kind, render_sentence
from opennrm.notifications.models import Notification
from tests.cases.helpers import open_case, share
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notify_creates_one_per_active_recipient(world):
    inactive = UserFactory(agency=world.police, role=Role.FRONTLINE, is_active=False)
    made = services.notify(
        recipients=[world.officer, world.officer, world.coordinator, inactive],
        kind=Kind.REFERRAL_NEW,
        case_reference="C-ABCDEFGH",
        object_id=7,
    )
    assert sorted(n.recipient.username for n in made) == ["coordinator", "officer"]
    assert {n.object_id for n in made} == {7}
    assert selectors.unread_count(world.officer) == 1
    assert selectors.unread_count(inactive) == 0


def test_same_dedupe_key_never_twice_per_recipient(world):
    key = "rg_decision_due:1:2026-12-02"
    first = services.notify(
        recipients=[world.officer],
        kind=Kind.RG_DECISION_DUE,
        params={"due": "2026-12-02"},
        dedupe_key=key,
    )
    again = services.notify(
        recipients=[world.officer, world.coordinator],
        kind=Kind.RG_DECISION_DUE,
        params={"due": "2026-12-02"},
        dedupe_key=key,
    )
    assert len(first) == 1
    assert [n.recipient for n in again] == [world.coordinator]
    assert Notification.objects.filter(dedupe_key=key).count() == 2
    # without a key, the same message may come again (e.g. two referrals)
    services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)
    services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)
    assert Notification.objects.filter(recipient=world.officer, kind="referral_new").count() == 2


def test_notify_agency_defaults_to_case_roles_and_takes_roles(world):
    made = services.notify_agency(agency=world.coordination, kind=Kind.HANDOVER_REQUESTED)
    # coordination has a coordinator, a case manager, an analyst and an auditor
    assert {n.recipient.username for n in made} == {"coordinator", "casemanager"}
    only = services.notify_agency(
        agency=world.coordination, roles=[Role.COORDINATOR], kind=Kind.HANDOVER_REQUESTED
    )
    assert [n.recipient.username for n in only] == ["coordinator"]


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (Kind.REFERRAL_ANSWERED, {"status": "accepted", "name": "x"}),  # unknown param
        (Kind.REFERRAL_ANSWERED, {"status": "Olena Shevchenko"}),  # free text, not a code
        (Kind.REFERRAL_ANSWERED, {"status": "accepted\n"}),
        (Kind.RG_DECISION_DUE, {"due": "tomorrow"}),
        (Kind.RG_DECISION_DUE, {"due": "2026-W49-2"}),
        (Kind.RG_DECISION_DUE, {"due": "2026-02-30"}),
        (Kind.RG_DECISION_DUE, {"due": 3}),
        ("no_such_kind", {}),
    ],
)
def test_params_are_codes_dates_or_nothing(world, kind, params):
    with pytest.raises(ValidationFailed):
        services.notify(recipients=[world.officer], kind=kind, params=params)
    assert not Notification.objects.exists()


@translation.override("en")
def test_a_kind_without_its_parameter_reads_as_its_short_sentence(world):
    note = services.notify(recipients=[world.officer], kind=Kind.REFERRAL_ANSWERED)[0]
    assert note.params == {}
    assert note.text == "A referral you sent was answered."
    with translation.override("uk"):
        assert note.text == "На надіслане вами направлення відповіли."


def test_reference_and_key_must_be_codes(world):
    with pytest.raises(ValidationFailed):
        services.notify(
            recipients=[world.officer], kind=Kind.REFERRAL_NEW, case_reference="Olena S."
        )
    with pytest.raises(ValidationFailed):
        services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW, dedupe_key="a b")
    with pytest.raises(ValidationFailed):
        services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW, dedupe_key="k:1\n")


def test_mark_read_one_and_all(world):
    a, b, c = (
        services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)[0] for _ in range(3)
    )
    other = services.notify(recipients=[world.coordinator], kind=Kind.REFERRAL_NEW)[0]
    services.notification_mark_read(actor=world.officer, notification_id=a.pk)
    assert selectors.unread_count(world.officer) == 2
    first_read = Notification.objects.get(pk=a.pk).read_at
    services.notification_mark_read(actor=world.officer, notification_id=a.pk)
    assert Notification.objects.get(pk=a.pk).read_at == first_read  # unchanged
    with pytest.raises(NotFound):  # someone else's looks missing
        services.notification_mark_read(actor=world.officer, notification_id=other.pk)
    assert services.notifications_mark_all_read(actor=world.officer) == 2
    assert selectors.unread_count(world.officer) == 0
    assert selectors.unread_count(world.coordinator) == 1
    assert {b.pk, c.pk} <= set(
        Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True)
    )


def test_inbox_is_newest_first(world):
    older = services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)[0]
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    newer = services.notify(recipients=[world.officer], kind=Kind.CONSENT_WITHDRAWN)[0]
    assert [n.pk for n in selectors.notifications_for(world.officer)] == [newer.pk, older.pk]


def test_case_shown_only_while_the_reader_may_see_it(world):
    case = open_case(world.officer)
    # a front-line officer may not share: the owning agency's case manager does
    manager = UserFactory(username="pm", agency=world.police, role=Role.CASE_MANAGER)
    grant = share(case, manager, world.ngo, "shelter")
    note = services.notify(
        recipients=[world.ngo_worker],
        kind=Kind.ACCESS_ANSWERED,
        case_reference=case.reference,
        params={"decision": "approved"},
    )[0]
    row = selectors.notification_views(world.ngo_worker, [note])[0]
    assert row["case_reference"] == case.reference
    assert row["url"] == f"/cases/{case.reference}/"
    grant_revoke(actor=manager, grant=grant)
    row = selectors.notification_views(world.ngo_worker, [note])[0]
    assert row["case_reference"] == "" and row["url"] is None and row["had_case"] is True
    assert case.reference not in row["text"]


@pytest.mark.parametrize(
    ("lang", "kind", "params", "expected"),
    [
        ("uk", Kind.REFERRAL_ANSWERED, {"status": "accepted"}, "прийнято"),
        ("ru", Kind.REFERRAL_ANSWERED, {"status": "accepted"}, "принято"),
        ("uk", Kind.RG_DECISION_DUE, {"due": "2026-12-02"}, "2026"),
        ("uk", Kind.ACCESS_REQUESTED, {"purpose": "shelter"}, "Притулок"),
        ("ru", Kind.ACCESS_REQUESTED, {"purpose": "shelter"}, "Приют"),
    ],
)
def test_sentences_render_in_the_readers_language(world, lang, kind, params, expected):
    note = services.notify(recipients=[world.officer], kind=kind, params=params)[0]
    with translation.override("en"):
        english = (note.text, note.label)
    with translation.override(lang):
        text = note.text
        label = note.label
    assert expected.lower() in text.lower()
    assert text != english[0] and label != english[1]
    assert "accepted" not in text and "shelter" not in text  # no raw code


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_every_kind_has_a_translated_label_and_sentence(lang):
    sample = {
        "status": "completed",
        "due": "2026-12-02",
        "purpose": "medical",
        "decision": "refused",
    }
    for kind in Kind:
        params = {name: sample[name] for name in KIND_PARAMS[kind]}
        with translation.override("en"):
            english = (str(kind.label), render_sentence(kind, params))
        with translation.override(lang):
            local = (str(kind.label), render_sentence(kind, params))
        assert local[0] != english[0], kind
        assert local[1] != english[1], kind
        assert not any(ch in "abcdefghijklmnopqrstuvwxyz" for ch in local[1]), (kind, local[1])
        with translation.override("en"):
            short_en = render_sentence(kind, {})
        with translation.override(lang):
            short = render_sentence(kind, {})
        assert short != short_en and "%(" not in short, kind


@translation.override("en")
def test_a_row_that_no_longer_fits_reads_as_its_short_sentence(world):
    note = services.notify(
        recipients=[world.officer], kind=Kind.REFERRAL_ANSWERED, params={"status": "sent"}
    )[0]
    Notification.objects.filter(pk=note.pk).update(params={"status": ["accepted"]})
    note.refresh_from_db()
    assert note.text == "A referral you sent was answered."
    unknown = services.notify(
        recipients=[world.officer], kind=Kind.REFERRAL_ANSWERED, params={"status": "reopened"}
    )[0]
    assert "reopened" not in unknown.text and "updated" in unknown.text


def test_notify_inside_a_failed_transaction_leaves_nothing(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)
        raise RuntimeError("the caller's write failed")
    assert not Notification.objects.exists()


def test_the_database_refuses_a_second_row_with_the_same_key(world):
    from django.db import IntegrityError

    services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW, dedupe_key="k:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=world.officer, kind="referral_new", dedupe_key="k:1")
    # an empty key is not a key: any number of those
    Notification.objects.create(recipient=world.officer, kind="referral_new")
    Notification.objects.create(recipient=world.officer, kind="referral_new")


def test_deploy_check_warns_about_a_console_backend_and_http_link(settings):
    from opennrm.notifications.checks import notification_email_settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.OPENNRM_BASE_URL = "http://127.0.0.1:8000"
    assert {w.id for w in notification_email_settings(None)} == {"opennrm.W101", "opennrm.W102"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.OPENNRM_BASE_URL = "https://nrm.example.org"
    assert notification_email_settings(None) == []
