"""The inbox page and the header badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from opennrm.accounts.roles import Role
from opennrm.cases.services import grant_revoke
from opennrm.notifications import services
from opennrm.notifications.kinds import Kind
from opennrm.notifications.models import Notification
from tests.cases.helpers import open_case, share
from tests.conftest import verified_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _badge(html: str) -> str:
    start = html.index('class="notif-link"')
    return html[start : html.index("</a>", start)]


def test_inbox_needs_sign_in_and_second_factor(world):
    assert Client().get("/notifications/")["Location"].startswith("/login/")
    client = Client()
    client.force_login(world.officer)
    assert client.get("/notifications/")["Location"] == "/2fa/"
    assert 'class="notif-link"' not in client.get("/2fa/setup/").content.decode()


def test_badge_on_every_page_counts_unread(world):
    client = verified_client(world.officer)
    assert "notif-count" not in _badge(client.get("/").content.decode())
    for _ in range(2):
        services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)
    for path in ("/", "/cases/", "/notifications/", "/account/tokens/"):
        badge = _badge(client.get(path).content.decode())
        assert '<span class="notif-count" aria-hidden="true">2</span>' in badge, path
    uk = client.get("/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Вхідні" in _badge(uk) and "2 непрочитані сповіщення" in _badge(uk)


def test_inbox_lists_newest_first_marks_read_one_and_all(world):
    old = services.notify(
        recipients=[world.officer], kind=Kind.RG_DECISION_DUE, params={"due": "2026-12-02"}
    )[0]
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    new = services.notify(recipients=[world.officer], kind=Kind.CONSENT_WITHDRAWN)[0]
    client = verified_client(world.officer)
    html = client.get("/notifications/").content.decode()
    assert html.index("Consent withdrawn") < html.index("Reasonable-grounds decision due")
    assert html.count('class="card notif unread"') == 2
    assert "rg_decision_due" not in html and "consent_withdrawn" not in html  # no raw codes
    r = client.post(f"/notifications/{new.pk}/read/")
    assert r.status_code == 302
    html = client.get("/notifications/").content.decode()
    assert html.count('class="card notif unread"') == 1
    assert client.get(f"/notifications/{new.pk}/read/").status_code == 405  # GET changes nothing
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "Mark all read" not in client.get("/notifications/").content.decode()


def test_someone_elses_notification_is_not_found(world):
    theirs = services.notify(recipients=[world.coordinator], kind=Kind.REFERRAL_NEW)[0]
    client = verified_client(world.officer)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_case_link_only_while_access_lasts(world):
    manager = UserFactory(username="pm", agency=world.police, role=Role.CASE_MANAGER)
    case = open_case(world.officer)
    grant = share(case, manager, world.ngo, "shelter")
    note = services.notify(
        recipients=[world.ngo_worker],
        kind=Kind.ACCESS_ANSWERED,
        case_reference=case.reference,
        params={"decision": "approved"},
    )[0]
    client = verified_client(world.ngo_worker)
    html = client.get("/notifications/").content.decode()
    assert case.reference in html and "approved" in html
    opened = client.post(f"/notifications/{note.pk}/open/")
    assert opened["Location"] == f"/cases/{case.reference}/"
    assert Notification.objects.get(pk=note.pk).read_at is not None

    grant_revoke(actor=manager, grant=grant)
    html = client.get("/notifications/").content.decode()
    assert case.reference not in html
    assert "You no longer have access to this case." in html
    assert f"/notifications/{note.pk}/open/" not in html
    # posting to open anyway leads back to the inbox, not to the case
    assert client.post(f"/notifications/{note.pk}/open/")["Location"] == "/notifications/"


def test_inbox_in_russian(world):
    services.notify(
        recipients=[world.officer], kind=Kind.REFERRAL_ANSWERED, params={"status": "declined"}
    )
    html = (
        verified_client(world.officer)
        .get("/notifications/", HTTP_ACCEPT_LANGUAGE="ru")
        .content.decode()
    )
    assert "На отправленное вами направление ответили: отклонено." in html
    assert "Отметить все прочитанными" in html
