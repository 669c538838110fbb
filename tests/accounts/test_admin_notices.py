"""What an administrator does to someone's account, that person is told (in the app and by
e-mail, in their language, with no data): token revoked, second factor removed, password set."""

from __future__ import annotations

import pytest
from django.utils.translation import override
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.models import ApiToken
from opennrm.accounts.services import api_token_create, api_token_revoke
from opennrm.audit.models import AuditEntry
from opennrm.notifications.models import Notification
from tests.conftest import verified_client
from tests.factories import TOTPDeviceFactory

NEW_PASSWORD = "a-new-long-passphrase-42"


def _token(user) -> ApiToken:
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDeviceFactory(user=user)
    token, _raw = api_token_create(actor=user, user=user, name="cli")
    return token


def test_an_administrator_revoking_a_token_notifies_its_owner(
    world, admins, mailoutbox, django_capture_on_commit_callbacks
):
    admin1, _ = admins
    world.officer.email = "officer@police.example"
    world.officer.save(update_fields=["email"])
    token = _token(world.officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(admin1).post(
            "/admin/accounts/apitoken/",
            {"action": "revoke", "_selected_action": [str(token.pk)]},
        )
    assert response.status_code == 302
    (notice,) = Notification.objects.filter(recipient=world.officer)
    assert (notice.kind, notice.object_id, notice.params) == ("api_token_revoked", token.pk, {})
    with override("uk"):
        assert "Адміністратор відкликав один із ваших API-токенів" in notice.text
    (mail,) = mailoutbox
    assert mail.to == ["officer@police.example"] and "cli" not in mail.body
    (entry,) = AuditEntry.objects.filter(action="api_token.revoke")
    assert entry.username == "admin1"
    assert entry.detail == {"user_id": world.officer.pk, "by_admin": True}
    inbox = verified_client(world.officer).get("/notifications/", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Администратор отозвал один из ваших API-токенов" in inbox.content.decode()


def test_revoking_ones_own_token_or_again_notifies_nobody(world, admins):
    admin1, _ = admins
    token = _token(world.officer)
    api_token_revoke(actor=world.officer, token=token)
    api_token_revoke(actor=admin1, token=token)  # already revoked: nothing happens
    assert not Notification.objects.exists()


def test_a_removed_second_factor_and_a_password_set_notify_the_user(world, admins, one_person):
    admin1, _ = admins
    client = verified_client(admin1)
    verified_client(world.case_manager)  # signed in with a second factor
    device = TOTPDevice.objects.get(user=world.case_manager)
    client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    client.post(
        f"/admin/accounts/user/{world.coordinator.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"},
    )
    kinds = dict(Notification.objects.values_list("recipient_id", "kind"))
    assert kinds == {
        world.case_manager.pk: "second_factor_reset",
        world.coordinator.pk: "password_set_by_admin",
    }


@pytest.fixture(autouse=True)
def _db(db):
    """Every test here writes."""
