"""API tokens: scoped, bound to a second factor, capped per role, last use kept, revocable."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import httpx
import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.models import ApiToken
from opennrm.accounts.roles import Role
from opennrm.accounts.services import (
    api_token_create,
    api_token_revoke,
    second_factor_remove_by_admin,
)
from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case
from opennrm.core.errors import Forbidden, ValidationFailed
from tests.conftest import bearer_token, verified_client
from tests.factories import TOTPDeviceFactory, UserFactory


@pytest.fixture
def admin(db):
    return UserFactory(
        username="admin1", agency=None, role=Role.ADMIN, is_staff=True, is_superuser=True
    )


@pytest.fixture
def bearer(live_server):
    """An httpx client to the live server's API for a raw token (closed afterwards)."""
    clients: list[httpx.Client] = []

    def make(raw: str) -> httpx.Client:
        client = httpx.Client(
            base_url=live_server.url + "/api",
            headers={"Authorization": f"Bearer {raw}"},
            timeout=30,
            trust_env=False,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- creation ------------------------------------------------------------------------------


def test_a_token_needs_a_confirmed_second_factor(world):
    with pytest.raises(Forbidden) as refused:
        api_token_create(actor=world.officer, user=world.officer, name="cli")
    assert refused.value.field == "user"
    TOTPDeviceFactory(user=world.officer, confirmed=False)
    with pytest.raises(Forbidden):
        api_token_create(actor=world.officer, user=world.officer, name="cli")
    TOTPDeviceFactory(user=world.officer)
    token, raw = api_token_create(actor=world.officer, user=world.officer, name="cli")
    assert raw.startswith("onrm_") and token.scope == ApiToken.Scope.READ  # read by default


def test_nobody_makes_a_token_for_someone_else(world, admin):
    TOTPDeviceFactory(user=world.officer)
    TOTPDeviceFactory(user=admin)
    with pytest.raises(Forbidden):
        api_token_create(actor=admin, user=world.officer, name="as you")


def test_lifetime_is_capped_per_role(world, admin, settings):
    settings.OPENNRM_API_TOKEN_MAX_DAYS = {"default": 30, "admin": 7}
    TOTPDeviceFactory(user=world.officer)
    TOTPDeviceFactory(user=admin)
    token, _raw = api_token_create(actor=world.officer, user=world.officer, name="a")
    assert token.expires_at - token.created_at == pytest.approx(
        timedelta(days=30), abs=timedelta(seconds=5)
    )
    api_token_create(actor=world.officer, user=world.officer, name="b", days=30)
    with pytest.raises(ValidationFailed) as too_long:
        api_token_create(actor=world.officer, user=world.officer, name="c", days=31)
    assert too_long.value.field == "days"
    with pytest.raises(ValidationFailed):
        api_token_create(actor=admin, user=admin, name="d", days=8)
    short, _raw = api_token_create(actor=admin, user=admin, name="e")
    assert short.expires_at - short.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )


def test_unknown_scope_is_refused(world):
    TOTPDeviceFactory(user=world.officer)
    with pytest.raises(ValidationFailed) as refused:
        api_token_create(actor=world.officer, user=world.officer, name="x", scope="admin")
    assert refused.value.field == "scope"


def test_creation_is_audited_with_scope_and_days(world):
    bearer_token(world.officer, scope="read")
    entry = AuditEntry.objects.filter(action="api_token.create").get()
    assert entry.detail == {"scope": "read", "days": 30}


# --- use -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_read_token_reads_and_is_refused_on_every_write(world, bearer):
    reader = bearer(bearer_token(world.officer, scope="read"))
    assert reader.get("/cases").status_code == 200
    schema = reader.get("/openapi.json").json()
    writes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path.removeprefix("/api")))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete") and operation.get("security")
    ]  # (the partner exchange inbox authenticates by signature, not by token)
    assert len(writes) >= 15  # every write operation of the API
    for method, path in writes:
        answer = reader.request(method, path, json={})
        assert answer.status_code == 403, (method, path, answer.status_code)
        body = answer.json()
        assert body["error"] == "forbidden" and body["field"] == "scope"
        assert body["message"]
    assert Case.objects.count() == 0
    writer = bearer(bearer_token(world.officer, scope="write", name="w"))
    assert writer.post("/cases", json={}).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_last_use_is_stored_and_shown(world, bearer, admin):
    raw = bearer_token(world.officer, scope="read")
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    page = verified_client(world.officer).get("/account/tokens/").content.decode()
    assert "never used" in page
    assert bearer(raw).get("/cases").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    when = timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M")
    page = verified_client(world.officer).get("/account/tokens/").content.decode()
    assert f"last used {when}" in page
    admin_list = verified_client(admin).get("/admin/accounts/apitoken/").content.decode()
    assert "Last used at" in admin_list and "Read only" in admin_list


def test_last_use_is_written_at_most_once_a_minute(world):
    from opennrm.accounts.services import api_token_mark_used

    bearer_token(world.officer)
    token = ApiToken.objects.get()
    now = timezone.now()
    api_token_mark_used(token=token, now=now)
    api_token_mark_used(token=ApiToken.objects.get(), now=now + timedelta(seconds=30))
    assert ApiToken.objects.get().last_used_at == now
    api_token_mark_used(token=ApiToken.objects.get(), now=now + timedelta(minutes=2))
    assert ApiToken.objects.get().last_used_at == now + timedelta(minutes=2)


@pytest.mark.django_db(transaction=True)
def test_a_token_stops_working_without_a_second_factor(world, bearer):
    raw = bearer_token(world.officer, scope="read")
    client = bearer(raw)
    assert client.get("/cases").status_code == 200
    TOTPDevice.objects.filter(user=world.officer).delete()
    answer = client.get("/cases")
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthenticated"


@pytest.mark.django_db(transaction=True)
def test_a_token_older_than_its_role_now_allows_is_refused(world, bearer, settings):
    raw = bearer_token(world.officer, scope="read")
    ApiToken.objects.update(created_at=timezone.now() - timedelta(days=10))
    assert bearer(raw).get("/cases").status_code == 200
    settings.OPENNRM_API_TOKEN_MAX_DAYS = {"default": 7}
    assert bearer(raw).get("/cases").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_an_expired_or_revoked_token_or_inactive_user_is_refused(world, bearer):
    raw = bearer_token(world.officer, scope="read")
    client = bearer(raw)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/cases").status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(days=1))
    assert client.get("/cases").status_code == 200
    world.officer.is_active = False
    world.officer.save(update_fields=["is_active"])
    assert client.get("/cases").status_code == 401


# --- revocation ----------------------------------------------------------------------------


def test_the_owner_revokes_on_the_page(world):
    bearer_token(world.officer)
    client = verified_client(world.officer)
    client.post("/account/tokens/", {"revoke": ApiToken.objects.get().pk})
    assert ApiToken.objects.get().revoked_at is not None
    entry = AuditEntry.objects.filter(action="api_token.revoke").get()
    assert entry.user_id == world.officer.pk and entry.detail == {}


def test_another_user_cannot_revoke_a_token(world):
    bearer_token(world.officer)
    token = ApiToken.objects.get()
    with pytest.raises(Forbidden):
        api_token_revoke(actor=world.border_guard, token=token)
    # nor through the page: someone else's id is simply not theirs
    verified_client(world.border_guard).post("/account/tokens/", {"revoke": token.pk})
    assert ApiToken.objects.get().revoked_at is None


def test_the_administrator_revokes_audited_with_the_owner(world, admin):
    bearer_token(world.officer)
    token = ApiToken.objects.get()
    api_token_revoke(actor=admin, token=token)
    entry = AuditEntry.objects.filter(action="api_token.revoke").get()
    assert entry.user_id == admin.pk
    assert entry.detail == {"user_id": world.officer.pk, "by_admin": True}


def test_removing_the_second_factor_revokes_every_token(world, admin, settings):
    settings.OPENNRM_TWO_PERSON_ADMIN = False
    bearer_token(world.officer, name="a")
    bearer_token(world.officer, name="b")
    other = bearer_token(world.border_guard)
    second_factor_remove_by_admin(
        actor=admin, devices=TOTPDevice.objects.filter(user=world.officer)
    )
    assert not ApiToken.objects.filter(user=world.officer, revoked_at__isnull=True).exists()
    assert ApiToken.objects.get(user=world.border_guard).revoked_at is None
    revocations = AuditEntry.objects.filter(action="api_token.revoke")
    assert revocations.count() == 2
    assert all(e.detail["reason"] == "second_factor_reset" for e in revocations)
    assert other.startswith("onrm_")


# --- page ----------------------------------------------------------------------------------


def test_page_without_a_second_factor_says_to_set_one_up(world):
    from django.test import Client

    client = Client()
    client.force_login(world.analyst)  # analysts sign in without a second factor
    page = client.get("/account/tokens/").content.decode()
    assert "/2fa/setup/" in page and 'name="name"' not in page


def test_page_offers_the_role_maximum_and_the_scope(world):
    client = verified_client(world.officer)
    page = client.get("/account/tokens/").content.decode()
    assert 'max="30"' in page and 'value="read"' in page and 'value="write"' in page
    answer = client.post("/account/tokens/", {"name": "x", "days": 31, "scope": "write"})
    assert not ApiToken.objects.exists()
    assert answer.status_code == 200
    client.post("/account/tokens/", {"name": "x", "days": 5, "scope": "write"})
    assert ApiToken.objects.get().scope == "write"


# --- migration -----------------------------------------------------------------------------


def test_migration_gives_existing_tokens_write_scope_and_caps_their_life(world, settings):
    settings.OPENNRM_API_TOKEN_MAX_DAYS = {"default": 30}
    bearer_token(world.officer, scope="read")
    old = timezone.now() - timedelta(days=100)
    ApiToken.objects.update(created_at=old, expires_at=old + timedelta(days=365))
    migration = importlib.import_module("opennrm.accounts.migrations.0005_api_token_scope_existing")
    migration.forwards(django_apps, None)
    token = ApiToken.objects.get()
    assert token.scope == "write"
    assert token.expires_at == old + timedelta(days=30)
