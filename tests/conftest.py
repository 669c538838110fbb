"""Shared test set-up: fast argon2, personas, signed-in clients."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import AgencyType, Role
from opennrm.accounts.services import api_token_create
from tests.factories import AgencyFactory, TOTPDeviceFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright beside live_server

# No timing assertions in unit tests: hypothesis' per-example deadline is one, so it is off.
hypothesis_settings.register_profile(
    "opennrm", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("opennrm")


# The fixtures through which a test reaches the database pytest-django set up.
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "_django_db_helper",
    }
)


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use a database (the second pass of scripts/test, on "
        "PostgreSQL: a test that touches no database gives the same result on both)",
    )


def uses_database(item: pytest.Item) -> bool:
    """Whether ``item`` reaches a database: through pytest-django (its marker or fixtures)
    or, marked ``database``, through a server or command it starts itself."""
    if item.get_closest_marker("django_db") or item.get_closest_marker("database"):
        return True
    return bool(_DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-tests-only"):
        return
    kept, dropped = [], []
    for item in items:
        (kept if uses_database(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _english_command_line(monkeypatch):
    # the command-line tools speak the locale's language; tests that want another say so
    monkeypatch.setenv("OPENNRM_LANGUAGE", "en")


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Argon2 still, with a small cost so that a suite of hundreds of logins stays fast.
    settings.PASSWORD_HASHERS = ["tests.hashers.CheapArgon2PasswordHasher"]
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.WHITENOISE_AUTOREFRESH = True
    yield
    # a request made with Django's test client in Ukrainian or Russian leaves that language
    # active in this thread; the next test must start in the default language again
    from django.utils import translation

    translation.deactivate()


@dataclass
class World:
    """Two regions' agencies and one persona per role, as in a small NRM."""

    police: Agency
    border: Agency
    coordination: Agency
    ngo: Agency
    labour: Agency
    officer: User  # front-line police officer
    border_guard: User  # front-line, other agency
    coordinator: User  # NRM coordinator
    case_manager: User  # coordination office case manager
    ngo_worker: User  # service provider
    inspector: User  # labour inspector (front-line)
    analyst: User
    auditor: User


@pytest.fixture
def world(db) -> World:
    police = AgencyFactory(name="Kyiv Police", type=AgencyType.POLICE, region="Kyiv")
    border = AgencyFactory(name="Border Guard West", type=AgencyType.BORDER_GUARD, region="Volyn")
    coordination = AgencyFactory(name="National Coordination", type=AgencyType.SOCIAL_PROTECTION)
    ngo = AgencyFactory(name="Safe Harbour", type=AgencyType.NGO, region="Lviv")
    labour = AgencyFactory(
        name="Labour Inspectorate", type=AgencyType.LABOUR_INSPECTORATE, region="Odesa"
    )
    return World(
        police=police,
        border=border,
        coordination=coordination,
        ngo=ngo,
        labour=labour,
        officer=UserFactory(username="officer", agency=police, role=Role.FRONTLINE),
        border_guard=UserFactory(username="borderguard", agency=border, role=Role.FRONTLINE),
        coordinator=UserFactory(username="coordinator", agency=coordination, role=Role.COORDINATOR),
        case_manager=UserFactory(
            username="casemanager", agency=coordination, role=Role.CASE_MANAGER
        ),
        ngo_worker=UserFactory(username="ngo", agency=ngo, role=Role.SERVICE_PROVIDER),
        inspector=UserFactory(username="inspector", agency=labour, role=Role.FRONTLINE),
        analyst=UserFactory(username="analyst", agency=coordination, role=Role.ANALYST),
        auditor=UserFactory(username="auditor", agency=coordination, role=Role.AUDITOR),
    )


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}"


def verified_client(user: User) -> Client:
    """A test client signed in past the second factor."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDeviceFactory(
        user=user
    )
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def bearer_token(user: User, *, scope: str = "write", name: str = "test") -> str:
    """A raw API token for ``user`` (who gets a confirmed second factor first if needed)."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDeviceFactory(user=user)
    _token, raw = api_token_create(actor=user, user=user, name=name, scope=scope)
    return raw


@pytest.fixture
def api(live_server):
    """Make an httpx client for a user, talking HTTP to the live server with a bearer token."""
    clients: list[httpx.Client] = []

    def for_user(user) -> httpx.Client:
        raw = bearer_token(user)
        client = httpx.Client(
            base_url=live_server.url + "/api",
            headers={"Authorization": f"Bearer {raw}"},
            timeout=30,
        )
        clients.append(client)
        return client

    yield for_user
    for client in clients:
        client.close()
