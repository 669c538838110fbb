"""Small leaks: caching of private answers, case references and names in the log,
and errors that tell which ids exist."""

from __future__ import annotations

import io
import logging
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from opennrm.core.logging import RedactFilter
from tests.cases.helpers import open_case
from tests.conftest import verified_client
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server_log():
    """What the configured console handler writes (the production log)."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_private_answers_are_not_stored_by_caches(world, api):
    page = verified_client(world.officer).get("/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    case = open_case(world.officer)
    answer = api(world.officer).get(f"/cases/{case.reference}/person")
    assert "no-store" in answer.headers["Cache-Control"]
    assert "no-store" in api(world.officer).get("/cases/C-NOTTHERE").headers["Cache-Control"]


def test_no_case_reference_in_the_log_of_4xx_answers(world, api, server_log):
    case = open_case(world.officer)
    hidden = verified_client(world.ngo_worker).get(f"/cases/{case.reference}/")
    assert hidden.status_code == 404
    assert api(world.ngo_worker).get(f"/cases/{case.reference}").status_code == 404
    verified_client(world.officer).get("/cases/C-ABCDEFGH/person/")
    log = server_log.getvalue()
    assert "Not Found" in log  # the lines are there ...
    assert case.reference not in log and "C-ABCDEFGH" not in log  # ... without the reference
    assert "/cases/<str:reference>/" in log


def test_failed_sign_in_logs_no_user_name_or_address(world, server_log, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR="198.51.100.23")
    for _ in range(3):
        client.post("/login/", {"username": "officer", "password": "wrong"})
    assert client.post("/login/", {"username": "officer", "password": PASSWORD}).status_code in (
        403,
        429,
    )
    log = server_log.getvalue()
    assert "AXES" in log
    assert "officer" not in log and "198.51.100.23" not in log


def test_exception_text_is_reduced_to_its_type():
    try:
        raise ValueError(" ".join(["Olena", "Petrenko,", "C-7KXQ2M4P"]))  # built, as stored data
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "%s: %s",
            ("Internal", "/x"),
            sys.exc_info(),
        )
    RedactFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "ValueError" in formatted and "Olena Petrenko" not in formatted
    other = logging.LogRecord("app", logging.WARNING, __file__, 1, "case %s", ("C-7KXQ2M4P",), None)
    RedactFilter().filter(other)
    assert other.getMessage() == "case C-…"


def test_grant_errors_do_not_tell_which_ids_exist(world, api):
    case = open_case(world.officer)
    body = {"purpose": "shelter", "expires_at": (timezone.now() + timedelta(days=5)).isoformat()}
    officer = api(world.officer)  # a front-line role may not share cases at all
    existing = officer.post(
        f"/cases/{case.reference}/grants", json={**body, "agency_id": world.ngo.pk}
    )
    missing = officer.post(f"/cases/{case.reference}/grants", json={**body, "agency_id": 987654})
    assert existing.status_code == missing.status_code == 403
    assert existing.json() == missing.json()
    owner = open_case(world.coordinator)
    coordinator = api(world.coordinator)  # may share: a non-case user reads like a missing one
    analyst = coordinator.post(
        f"/cases/{owner.reference}/grants", json={**body, "user_id": world.analyst.pk}
    )
    nobody = coordinator.post(f"/cases/{owner.reference}/grants", json={**body, "user_id": 987654})
    assert analyst.status_code == nobody.status_code == 422
    assert analyst.json() == nobody.json()


def test_grant_errors_match_for_any_other_mistake_too(world, api):
    owner = open_case(world.coordinator)
    coordinator = api(world.coordinator)
    later = (timezone.now() + timedelta(days=5)).isoformat()
    for body in (
        {"purpose": "case_work", "expires_at": later},
        {"purpose": "shelter", "expires_at": "2000-01-01T00:00:00Z"},
    ):
        analyst = coordinator.post(
            f"/cases/{owner.reference}/grants", json={**body, "user_id": world.analyst.pk}
        )
        nobody = coordinator.post(
            f"/cases/{owner.reference}/grants", json={**body, "user_id": 987654}
        )
        assert analyst.status_code == nobody.status_code == 422
        assert analyst.json() == nobody.json()


def test_agency_ids_named_in_steps_consents_and_handovers_tell_nothing(world, api):
    """Someone who sees a case but may not take the step learns nothing from an agency id:
    an existing and a missing one get the same refusal."""
    from tests.cases.helpers import share

    case = open_case(world.coordinator)
    share(case, world.coordinator, world.ngo, "shelter")  # the NGO sees it, for shelter only
    ngo = api(world.ngo_worker)
    ref = case.reference
    calls = (
        (f"/cases/{ref}/transitions", "referral_agency_id", {"name": "refer", "version": 1}),
        (
            f"/cases/{ref}/consents",
            "recipient_agency_id",
            {"kind": "share", "obtained_on": "2026-01-01", "method": "written"},
        ),
        (f"/cases/{ref}/handovers", "to_agency_id", {"reason": "another region takes it"}),
    )
    for path, field, body in calls:
        existing = ngo.post(path, json={**body, field: world.police.pk})
        missing = ngo.post(path, json={**body, field: 987654})
        assert existing.status_code == missing.status_code, path
        assert existing.status_code >= 400, path
        assert existing.json() == missing.json(), path


def test_every_page_with_personal_data_is_no_store(world):
    case = open_case(world.officer)
    officer = verified_client(world.officer)
    for path in (
        f"/cases/{case.reference}/",
        f"/cases/{case.reference}/person/",
        f"/cases/{case.reference}/edit/",
        "/cases/",
        "/cases/?q=Olena",
        "/cases/export.csv",
        "/account/tokens/",
        "/online/",
    ):
        answer = officer.get(path)
        assert answer.status_code == 200, path
        assert "no-store" in answer["Cache-Control"], path
    audit = verified_client(world.auditor).get("/audit/export.csv")
    assert audit.status_code == 200 and "no-store" in audit["Cache-Control"]
