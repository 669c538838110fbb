"""Notification e-mail. A message says only that there is something new in OpenNRM and the
kind's sentence (codes and dates), with a link to the inbox: never a case reference, a
name or anything else that would tie a person in someone's mailbox to trafficking."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from opennrm.accounts.models import User
from opennrm.notifications.models import Notification

logger = logging.getLogger(__name__)


def _is_our_bug(exc: Exception) -> bool:
    """Mail errors can quote addresses: only their class is logged. Anything else is a bug
    in this code (no address in its message): its traceback is logged to find it."""
    return not isinstance(exc, smtplib.SMTPException | OSError)


def language_of(user: User) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in codes else settings.LANGUAGE_CODE


def inbox_url() -> str:
    return str(settings.OPENNRM_BASE_URL).rstrip("/") + reverse("notifications:inbox")


def notification_email(notification: Notification) -> EmailMessage:
    """The message for one notification, in its recipient's language."""
    user = notification.recipient
    with translation.override(language_of(user)):
        subject = gettext("You have a new notification in OpenNRM")
        body = render_to_string(
            "notifications/email.txt", {"sentence": notification.text, "inbox_url": inbox_url()}
        )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def send_notification_emails(notification_ids: Sequence[int]) -> int:
    """Send the e-mails of these notifications (run after the creating transaction commits).

    A failing mail server never undoes or breaks anything: the notifications stay in the
    inbox, the failure is logged with ids and the error class only. Returns how many went.
    """
    pending = list(
        Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("pk")
    )
    pending = [n for n in pending if n.recipient.email and n.recipient.is_active]
    if not pending:
        return 0
    sent: list[int] = []
    try:
        with get_connection() as connection:
            for notification in pending:
                try:
                    if connection.send_messages([notification_email(notification)]):
                        sent.append(notification.pk)
                except Exception as exc:  # one refused recipient must not stop the others
                    logger.warning(
                        "notification e-mail not sent: notification=%s error=%s",
                        notification.pk,
                        type(exc).__name__,
                        exc_info=_is_our_bug(exc),
                    )
    except Exception as exc:  # the server is down or refuses us: keep the notifications
        logger.warning(
            "notification e-mail not sent: %d notification(s), first=%s error=%s",
            len(pending) - len(sent),
            pending[0].pk,
            type(exc).__name__,
            exc_info=_is_our_bug(exc),
        )
    if sent:
        Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)


def resend_unsent_emails(
    *, now: datetime | None = None, within: timedelta = timedelta(days=1), limit: int = 1000
) -> int:
    """Try again the e-mails of the last day that did not go (the server was down).
    `opennrm notify` calls this on every run; returns how many went this time."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__gte=now - within, recipient__is_active=True
        )
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return send_notification_emails(ids) if ids else 0
