"""Bugs found in the review of 2026-11-25. Each test fails on the code it was written against."""

from __future__ import annotations

import contextlib
import re

import pytest
from django.test import Client
from django.utils import timezone

from opennrm.accounts.roles import Role
from opennrm.cases.models import CaseGrant
from opennrm.cases.services import case_transition
from opennrm.core.errors import DomainError
from tests.cases.helpers import open_case, step
from tests.conftest import current_code, verified_client
from tests.factories import TOTPDeviceFactory, UserFactory


def _active_grant_exists(case, agency) -> bool:
    return CaseGrant.objects.filter(
        case=case, agency=agency, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


@pytest.mark.django_db
def test_grantee_cannot_share_case_onward_by_posting_referral_agency_with_another_step(world):
    """Expected: only the owning agency's case managers/coordinators share a case
    (grant_create checks this). A service provider who only *received* the case must not be
    able to give a third agency a 365-day grant by adding referral_agency to an unrelated
    step such as lose_contact. Today case_transition calls grant_create(_skip_role_check=True)
    for every step whenever referral_agency is given."""
    case = open_case(world.officer)
    step(case, world.officer, "screen", outcome="presumed_victim")
    step(case, world.officer, "refer", to=world.ngo)  # the NGO receives a grant
    case.refresh_from_db()
    with contextlib.suppress(DomainError):
        case_transition(
            actor=world.ngo_worker,
            case=case,
            name="lose_contact",
            expected_version=case.version,
            reason="x",
            referral_agency=world.border,
        )
    assert not _active_grant_exists(case, world.border)


@pytest.mark.django_db
def test_second_factor_does_not_redirect_off_site(world):
    """Expected: ?next= after the 2FA code is validated like Django's LoginView does
    (url_has_allowed_host_and_scheme). Today otp_verify redirects anywhere: a phishing
    link /2fa/?next=https://evil.example sends a freshly signed-in caseworker off-site."""
    device = TOTPDeviceFactory(user=world.coordinator)
    client = Client()
    client.force_login(world.coordinator)
    response = client.post("/2fa/?next=https://evil.example/login", {"token": current_code(device)})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


@pytest.mark.django_db
def test_api_grant_with_naive_expiry_is_a_validation_error_not_500(world):
    """Expected: a 422 (or the datetime taken as UTC). Today a naive expires_at reaches
    ``expires_at <= now`` in grant_create and raises TypeError -> HTTP 500."""
    case = open_case(world.case_manager)
    client = verified_client(world.case_manager)
    client.raise_request_exception = False
    response = client.post(
        f"/api/cases/{case.reference}/grants",
        {"agency_id": world.ngo.pk, "purpose": "shelter", "expires_at": "2099-01-01T10:00:00"},
        content_type="application/json",
    )
    assert response.status_code in (201, 422)


@pytest.mark.django_db
def test_screening_section_with_malformed_go_value_is_not_500(world):
    """Expected: a bad ``go`` value is ignored or answered 400. Today
    int(go.removeprefix("section-")) sits outside the try block -> ValueError -> 500."""
    client = verified_client(world.officer)
    client.raise_request_exception = False
    response = client.post(
        "/screenings/new/", {"set_id": "adult_labour", "interviewee_language": "en"}
    )
    assert response.status_code == 302
    url = response["Location"]
    version = re.search(r'name="version" value="(\d+)"', client.get(url).content.decode()).group(1)
    response = client.post(url, {"version": version, "go": "section-x"})
    assert response.status_code != 500


@pytest.mark.django_db
def test_admin_cannot_read_other_users_totp_secrets(world):
    """Expected: OTP_ADMIN_HIDE_SENSITIVE_DATA = True. Today the Django admin shows every
    user's TOTP seed (and a QR of it) at /admin/otp_totp/totpdevice/<id>/change/; with a
    password reset in the same admin, an administrator can sign in as any caseworker, and
    none of it reaches the hash-chained audit log."""
    device = TOTPDeviceFactory(user=world.coordinator)
    admin = UserFactory(
        username="root", agency=None, role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    client = verified_client(admin)
    response = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert response.status_code == 200
    assert device.key not in response.content.decode()
