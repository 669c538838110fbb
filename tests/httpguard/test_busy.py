"""A request that finds the database locked by other writers gets 503 "busy, nothing saved,
try again" with Retry-After, in the caller's language, and nothing of it is stored: pages
(the middleware, and ``handler500`` for a middleware's write) and the API alike.

The error is forced here in the middle of a real write (the case row is inserted, then its
audit entry fails as SQLite fails a writer that waited too long); the lock itself is
exercised over a real file database in ``tests/core/test_db_sqlite.py``."""

from __future__ import annotations

import re
from unittest import mock

import httpx
import pytest
from django.db import OperationalError
from django.test import RequestFactory

from opennrm.cases.models import Case
from opennrm.httpguard import busy
from tests.conftest import bearer_token, verified_client

CYRILLIC = re.compile(r"[а-яіїєґё]", re.IGNORECASE)
UK_BUSY = "Система зараз перевантажена"
LOCKED = "database is locked: waited 0.2 s for another transaction to end"


def _locked_audit():
    """The audit write of ``case_create`` fails after the case row was inserted."""
    return mock.patch("opennrm.cases.services.audit_record", side_effect=OperationalError(LOCKED))


@pytest.mark.django_db
def test_a_page_whose_write_meets_a_locked_database_answers_503_busy_in_ukrainian(world, caplog):
    client = verified_client(world.officer)
    before = Case.objects.count()
    with _locked_audit():
        response = client.post(
            "/cases/new/", {"exploitation_type": "labour", "summary": "s"},
            HTTP_ACCEPT_LANGUAGE="uk",
        )  # fmt: skip
    assert response.status_code == 503
    assert response["Retry-After"] == str(busy.RETRY_AFTER)
    page = response.content.decode()
    assert UK_BUSY in page and "нічого не збережено" in page
    assert "database" not in page  # the technical text stays out of the page
    assert Case.objects.count() == before  # the inserted case was rolled back
    # the operator is told, by the route's pattern (a path can name a case)
    assert "database busy: 503 for POST cases/new/" in caplog.text


@pytest.mark.django_db
def test_other_database_errors_of_a_page_stay_server_errors(world):
    client = verified_client(world.officer)
    client.raise_request_exception = False
    with mock.patch(
        "opennrm.cases.services.audit_record", side_effect=OperationalError("disk I/O error")
    ):
        response = client.post("/cases/new/", {"exploitation_type": "labour"})
    assert response.status_code == 500


@pytest.mark.django_db(transaction=True)
def test_an_api_write_that_meets_a_locked_database_answers_503_json_in_ukrainian(
    world, live_server
):
    headers = {"Authorization": f"Bearer {bearer_token(world.officer)}", "Accept-Language": "uk"}
    with (
        _locked_audit(),
        httpx.Client(base_url=live_server.url + "/api", timeout=30) as client,
    ):
        response = client.post("/cases", json={"summary": "s"}, headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(busy.RETRY_AFTER)
    body = response.json()
    assert body["error"] == "busy"
    assert body["message"].startswith(UK_BUSY) and CYRILLIC.search(body["message"])
    assert set(body) == {"error", "message"}  # the API's one error shape
    assert Case.objects.count() == 0


def test_a_locked_database_raised_outside_a_view_is_also_busy():
    """``handler500`` (a middleware's write, such as saving the session): busy is 503, any
    other failure Django's own server error page."""
    for path, kind in (("/cases/", "text/html"), ("/api/cases", "application/json")):
        request = RequestFactory().post(path)
        try:
            raise OperationalError(LOCKED)
        except OperationalError:
            response = busy.server_error(request)
        assert response.status_code == 503 and response["Content-Type"].startswith(kind)
        assert response["Retry-After"] == str(busy.RETRY_AFTER)
    try:
        raise OperationalError("no such table: x")
    except OperationalError:
        assert busy.server_error(RequestFactory().get("/")).status_code == 500


def test_only_a_locked_database_counts_as_busy():
    assert busy.database_busy(OperationalError(LOCKED))
    assert busy.database_busy(OperationalError("database table is locked"))
    assert not busy.database_busy(OperationalError("disk I/O error"))
    assert not busy.database_busy(ValueError("database is locked"))
    assert not busy.database_busy(None)
