"""Browser sessions reach the API only after the second factor, and with CSRF on writes."""

import httpx
import pytest

from tests.conftest import verified_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_session_without_second_factor_is_refused(world, client):
    client.force_login(world.officer)
    r = client.get("/api/cases")
    assert r.status_code == 401


def test_verified_session_reads_and_needs_csrf_to_write(world, live_server):
    client = verified_client(world.officer)
    assert client.get("/api/cases").status_code == 200
    csrf_client = verified_client(world.officer)
    csrf_client.handler.enforce_csrf_checks = True
    r = csrf_client.post("/api/cases", data={}, content_type="application/json")
    assert r.status_code == 403


def test_analyst_session_needs_no_second_factor_but_sees_no_cases(world, client):
    client.force_login(world.analyst)
    r = client.get("/api/cases")
    assert r.status_code == 200 and r.json()["items"] == []


def test_security_headers(live_server):
    r = httpx.get(live_server.url + "/login/")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
