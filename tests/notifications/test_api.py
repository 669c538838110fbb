"""The notification API over real HTTP against a live server."""

from __future__ import annotations

import httpx
import pytest

from opennrm.accounts.roles import Role
from opennrm.cases.services import grant_revoke
from opennrm.notifications import services
from opennrm.notifications.kinds import Kind
from opennrm.notifications.models import Notification
from tests.cases.helpers import open_case, share
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_needs_credentials(live_server):
    assert httpx.get(live_server.url + "/api/notifications").status_code == 401


def test_list_paged_translated_mark_read_and_access_ended(world, api):
    manager = UserFactory(username="pm", agency=world.police, role=Role.CASE_MANAGER)
    case = open_case(world.officer)
    grant = share(case, manager, world.ngo, "shelter")
    shared = services.notify(
        recipients=[world.ngo_worker],
        kind=Kind.REFERRAL_ANSWERED,
        case_reference=case.reference,
        params={"status": "completed"},
    )[0]
    for _ in range(3):
        services.notify(recipients=[world.ngo_worker], kind=Kind.REFERRAL_NEW)
    services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)  # someone else's

    ngo = api(world.ngo_worker)
    first = ngo.get("/notifications", params={"page_size": 3})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["unread"] == 4 and body["has_next"] is True and len(body["items"]) == 3
    second = ngo.get("/notifications", params={"page_size": 3, "page": 2}).json()
    assert second["has_next"] is False
    assert [i["id"] for i in second["items"]] == [shared.pk]  # the oldest last
    item = second["items"][0]
    assert item["case_reference"] == case.reference and item["unread"] is True
    assert item["text"] == "A referral you sent was answered: completed."

    uk = ngo.get(
        "/notifications", params={"page": 2, "page_size": 3}, headers={"Accept-Language": "uk"}
    ).json()["items"][0]
    assert uk["text"] == "На надіслане вами направлення відповіли: завершено."

    marked = ngo.post(f"/notifications/{shared.pk}/read")
    assert marked.status_code == 200 and marked.json()["unread"] is False
    assert ngo.get("/notifications").json()["unread"] == 3

    # someone else's notification looks missing
    other = Notification.objects.get(recipient=world.officer)
    missing = ngo.post(f"/notifications/{other.pk}/read")
    assert missing.status_code == 404
    assert ngo.post("/notifications/999999/read").json() == missing.json()
    assert Notification.objects.get(pk=other.pk).read_at is None

    # access ends: the reference disappears from the answer
    grant_revoke(actor=manager, grant=grant)
    after = ngo.get("/notifications", params={"page": 2, "page_size": 3}).json()["items"][0]
    assert after["case_reference"] is None and case.reference not in after["text"]

    assert ngo.post("/notifications/read-all").json() == {"marked": 3}
    assert ngo.get("/notifications", params={"unread_only": True}).json()["items"] == []


def test_session_posts_need_csrf(world, live_server):
    services.notify(recipients=[world.officer], kind=Kind.REFERRAL_NEW)
    from tests.conftest import verified_client

    client = verified_client(world.officer)
    client.handler.enforce_csrf_checks = True
    pk = Notification.objects.get().pk
    refused = client.post(f"/api/notifications/{pk}/read")
    assert refused.status_code in (401, 403)
    assert Notification.objects.get().read_at is None
