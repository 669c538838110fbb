"""Notification e-mail: after commit, in the recipient's language, never personal data or
the case reference; a real SMTP server receives it; a dead one breaks nothing."""

from __future__ import annotations

import logging
import socket
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import transaction

from opennrm.accounts.roles import Role
from opennrm.cases.services import person_save
from opennrm.notifications import services
from opennrm.notifications.kinds import Kind
from opennrm.notifications.models import Notification
from tests.cases.helpers import open_case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GIVEN, FAMILY = "Olenka", "Zhuravchyk-Testova"


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OPENNRM_BASE_URL = "https://nrm.example.org/"


@pytest.fixture
def case_with_person(world):
    case = open_case(world.officer, summary="Met at the bus station")
    person_save(
        actor=world.officer,
        case=case,
        data={"given_name": GIVEN, "family_name": FAMILY, "contact": "+380501234567"},
        expected_version=None,
    )
    return case


def _mailed(world, case, django_capture_on_commit_callbacks, **kwargs):
    world.coordinator.email = "coordinator@example.org"
    world.coordinator.preferred_language = kwargs.pop("lang", "")
    world.coordinator.save(update_fields=["email", "preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        return services.notify(
            recipients=[world.coordinator],
            case_reference=case.reference,
            object_id=case.pk,
            **kwargs,
        )


def test_email_has_no_reference_and_no_personal_data(
    world, locmem, case_with_person, django_capture_on_commit_callbacks
):
    made = _mailed(
        world,
        case_with_person,
        django_capture_on_commit_callbacks,
        kind=Kind.RG_DECISION_DUE,
        params={"due": "2026-12-02"},
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    text = message.subject + "\n" + message.body
    assert message.to == ["coordinator@example.org"]
    assert "https://nrm.example.org/notifications/" in message.body
    assert "The reasonable-grounds decision is due on" in message.body
    for secret in (
        case_with_person.reference,
        GIVEN,
        FAMILY,
        "+380501234567",
        "bus station",
        world.police.name,
        world.officer.username,
        "/cases/",
    ):
        assert secret not in text, secret
    assert message.subject == "You have a new notification in OpenNRM"
    made[0].refresh_from_db()
    assert made[0].emailed_at is not None


@pytest.mark.parametrize(
    ("lang", "subject", "word"),
    [
        ("uk", "У вас нове сповіщення в OpenNRM", "прийнято"),
        ("ru", "У вас новое уведомление в OpenNRM", "принято"),
    ],
)
def test_email_in_the_recipients_language(
    world, locmem, case_with_person, django_capture_on_commit_callbacks, lang, subject, word
):
    _mailed(
        world,
        case_with_person,
        django_capture_on_commit_callbacks,
        kind=Kind.REFERRAL_ANSWERED,
        params={"status": "accepted"},
        lang=lang,
    )
    (message,) = mail.outbox
    assert message.subject == subject
    assert word in message.body and "accepted" not in message.body
    assert case_with_person.reference not in message.body


def test_no_email_without_address_or_before_commit(
    world, locmem, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)  # no address
    assert mail.outbox == []
    world.officer.email = "officer@example.org"
    world.officer.save(update_fields=["email"])
    with (
        pytest.raises(RuntimeError),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)
        raise RuntimeError("the write that triggered it failed")
    assert mail.outbox == []  # rolled back: nothing to tell


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "OpenNRM <noreply@nrm.example.org>"
    yield handler
    controller.stop()


def test_a_real_smtp_server_receives_the_message(
    world, smtp_server, case_with_person, django_capture_on_commit_callbacks
):
    manager = UserFactory(
        username="pm", agency=world.police, role=Role.CASE_MANAGER, email="pm@example.org"
    )
    manager.preferred_language = "uk"
    manager.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        made = services.notify(
            recipients=[manager],
            kind=Kind.REFLECTION_ENDING,
            case_reference=case_with_person.reference,
            params={"due": "2027-01-15"},
        )
    assert len(smtp_server.messages) == 1
    rcpts, message = smtp_server.messages[0]
    assert rcpts == ["pm@example.org"]
    assert message["From"] == "OpenNRM <noreply@nrm.example.org>"
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(message["Subject"]))) == "У вас нове сповіщення в OpenNRM"
    assert "Період відновлення та роздумів закінчується" in body
    raw = message.as_string()
    for secret in (case_with_person.reference, GIVEN, FAMILY):
        assert secret not in body and secret not in raw
    made[0].refresh_from_db()
    assert made[0].emailed_at is not None


def test_smtp_down_keeps_the_notification_and_raises_nothing(
    world, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 5
    world.officer.email = "officer@example.org"
    world.officer.save(update_fields=["email"])
    case = open_case(world.officer)
    with (
        caplog.at_level(logging.WARNING, logger="opennrm.notifications.emails"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        made = services.notify(
            recipients=[world.officer], kind=Kind.REFERRAL_NEW, case_reference=case.reference
        )
    kept = Notification.objects.get(pk=made[0].pk)
    assert kept.emailed_at is None and kept.read_at is None
    assert "notification e-mail not sent" in caplog.text
    assert "officer@example.org" not in caplog.text and case.reference not in caplog.text


def test_notify_sends_later_what_failed_while_the_server_was_down(
    world, settings, django_capture_on_commit_callbacks
):
    from click.testing import CliRunner

    from opennrm.cli import main

    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port  # down for now
    world.officer.email = "officer@example.org"
    world.officer.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        made = services.notify(recipients=[world.officer], kind=Kind.CONSENT_WITHDRAWN)
    assert Notification.objects.get(pk=made[0].pk).emailed_at is None

    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = CliRunner().invoke(main, ["notify"])
        second = CliRunner().invoke(main, ["notify"])
    finally:
        controller.stop()
    assert first.output.strip() == "notify: 0 new reminder(s); 1 earlier e-mail(s) sent"
    assert second.output.strip() == "notify: 0 new reminder(s)"  # not twice
    assert [rcpts for rcpts, _message in handler.messages] == [["officer@example.org"]]
    assert Notification.objects.get(pk=made[0].pk).emailed_at is not None
