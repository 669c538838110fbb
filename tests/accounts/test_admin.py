"""Administration is audited, forces re-enrolment, and the sensitive parts need two people."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessLog
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.models import AdminRequest, User
from opennrm.accounts.roles import Role
from opennrm.accounts.services import api_token_create
from opennrm.audit.models import AuditEntry
from tests.conftest import verified_client
from tests.factories import TOTPDeviceFactory

NEW_PASSWORD = "a-new-long-passphrase-42"


def _entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def _set_password(client, user):
    return client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"},
    )


def _approve(client, request_ids, action="approve"):
    return client.post(
        "/admin/accounts/adminrequest/",
        {"action": action, "_selected_action": [str(i) for i in request_ids]},
        follow=True,
    )


def test_password_set_is_audited_and_forces_reenrolment(world, admins, one_person):
    admin1, _admin2 = admins
    target = world.officer
    TOTPDeviceFactory(user=target)
    response = _set_password(verified_client(admin1), target)
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)
    assert not TOTPDevice.objects.filter(user=target).exists()  # enrols again at next sign-in
    (entry,) = _entries("admin.user.password_set")
    assert (entry.username, entry.object_ref) == ("admin1", str(target.pk))
    assert NEW_PASSWORD not in str(entry.detail) and "argon2" not in str(entry.detail)
    assert _entries("admin.user.second_factor_remove")[0].username == "admin1"


def test_removed_second_factor_means_enrolment_at_next_sign_in(world, admins, one_person):
    admin1, _ = admins
    target = world.case_manager
    user_client = verified_client(target)
    device = TOTPDevice.objects.get(user=target)
    assert user_client.get("/").status_code == 200
    response = verified_client(admin1).post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    (entry,) = _entries("admin.user.second_factor_remove")
    assert entry.username == "admin1" and entry.detail["devices"] == 1
    response = user_client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/2fa/setup/"


def test_two_person_password_set(world, admins, two_person):
    admin1, admin2 = admins
    target = world.officer
    TOTPDeviceFactory(user=target)
    first, second = verified_client(admin1), verified_client(admin2)
    assert _set_password(first, target).status_code == 302
    target.refresh_from_db()
    assert not target.check_password(NEW_PASSWORD)  # not applied yet
    request = AdminRequest.objects.get()
    assert (request.kind, request.status, request.target_id) == (
        "password_set",
        "pending",
        target.pk,
    )
    assert _entries("admin.request.create")[0].username == "admin1"

    page = _approve(first, [request.pk])  # the same administrator cannot approve
    assert "cannot approve your own request" in page.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"

    _approve(second, [request.pk])
    request.refresh_from_db()
    target.refresh_from_db()
    assert request.status == "approved" and request.decided_by == admin2
    assert "password" not in request.payload  # the hash is not kept
    assert target.check_password(NEW_PASSWORD)
    assert not TOTPDevice.objects.filter(user=target).exists()
    applied = _entries("admin.user.password_set")[0]
    assert applied.username == "admin2" and applied.detail["request_id"] == request.pk
    assert _entries("admin.request.approve")[0].username == "admin2"


def test_two_person_second_factor_removal_and_rejection(world, admins, two_person):
    admin1, admin2 = admins
    target = world.coordinator
    device = TOTPDeviceFactory(user=target)
    verified_client(admin1).post(
        "/admin/otp_totp/totpdevice/",
        {"action": "delete_selected", "_selected_action": [str(device.pk)], "post": "yes"},
    )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    request = AdminRequest.objects.get(kind="second_factor_remove")
    _approve(verified_client(admin2), [request.pk], action="reject")
    request.refresh_from_db()
    assert request.status == "rejected"
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert _entries("admin.request.reject")[0].username == "admin2"
    assert not _entries("admin.user.second_factor_remove")


def _user_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": timezone.localtime(user.date_joined).strftime("%Y-%m-%d"),
        "date_joined_1": timezone.localtime(user.date_joined).strftime("%H:%M:%S"),
        "agency": str(user.agency_id or ""),
        "role": user.role,
        "preferred_language": user.preferred_language,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_role_change_to_case_role_needs_a_second_admin(world, admins, two_person):
    admin1, admin2 = admins
    target = world.analyst
    response = verified_client(admin1).post(
        f"/admin/accounts/user/{target.pk}/change/",
        _user_form(target, role=Role.CASE_MANAGER, agency=str(world.police.pk)),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.role == Role.ANALYST  # waits
    assert target.agency_id == world.police.pk  # the rest of the form is saved
    (moved,) = _entries("admin.user.agency_change")
    assert moved.detail == {"from": world.coordination.pk, "to": world.police.pk}
    request = AdminRequest.objects.get(kind="role_change")
    _approve(verified_client(admin2), [request.pk])
    target.refresh_from_db()
    assert target.role == Role.CASE_MANAGER
    (entry,) = _entries("admin.user.role_change")
    assert entry.username == "admin2"
    assert entry.detail["from"] == Role.ANALYST and entry.detail["to"] == Role.CASE_MANAGER


def test_deactivation_and_non_case_role_change_are_audited_at_once(world, admins, two_person):
    admin1, _ = admins
    target = world.officer
    response = verified_client(admin1).post(
        f"/admin/accounts/user/{target.pk}/change/",
        _user_form(target, is_active="", role=Role.ANALYST),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active and target.role == Role.ANALYST
    assert _entries("admin.user.deactivate")[0].username == "admin1"
    assert _entries("admin.user.role_change")[0].detail["to"] == Role.ANALYST
    assert not AdminRequest.objects.exists()


def test_throttling_reset_is_audited_and_sign_in_history_kept(world, admins):
    admin1, _ = admins
    attempt = AccessAttempt.objects.create(
        username="officer",
        ip_address="192.0.2.7",
        user_agent="x",
        path_info="/login/",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="",
    )
    log = AccessLog.objects.create(
        username="officer", ip_address="192.0.2.7", user_agent="x", path_info="/login/"
    )
    client = verified_client(admin1)
    client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [str(attempt.pk)], "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    (entry,) = _entries("admin.login_throttle.reset")
    assert entry.username == "admin1" and entry.detail == {"records": 1}
    assert "officer" not in str(entry.detail) and "192.0.2.7" not in entry.object_ref
    assert (
        client.post(f"/admin/axes/accesslog/{log.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert AccessLog.objects.filter(pk=log.pk).exists()


def test_token_revocation_by_admin_is_audited(world, admins):
    admin1, _ = admins
    TOTPDeviceFactory(user=world.officer)
    token, _raw = api_token_create(actor=world.officer, user=world.officer, name="cli")
    verified_client(admin1).post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [str(token.pk)]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _entries("api_token.revoke")[-1].username == "admin1"


def test_admins_cannot_make_second_factor_devices(world, admins):
    admin1, _ = admins
    client = verified_client(admin1)
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    assert User.objects.filter(username="admin1").exists()


def test_the_user_concerned_cannot_approve_a_change_to_their_own_account(admins, two_person):
    admin1, admin2 = admins
    assert _set_password(verified_client(admin2), admin1).status_code == 302
    request = AdminRequest.objects.get()
    page = _approve(verified_client(admin1), [request.pk])
    assert "approved by another administrator" in page.content.decode()
    request.refresh_from_db()
    admin1.refresh_from_db()
    assert request.status == "pending" and not admin1.check_password(NEW_PASSWORD)
