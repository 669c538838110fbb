"""Every error the API gives has its ``message`` in the caller's language (uk, ru), over
real HTTP: the framework's and the middleware's own refusals and request validation."""

from __future__ import annotations

import re

import httpx
import pytest
from django.test import override_settings

from tests.conftest import bearer_token, verified_client

CYRILLIC = re.compile(r"[а-яіїєґё]", re.IGNORECASE)
ENGLISH_WORDS = re.compile(r"\b(the|is|not|field|required|input|should|valid)\b", re.IGNORECASE)

CASES = {
    # name: (method, path, request keywords, status, error code)
    "invalid_json": (
        "POST", "/cases", {"content": b"{", "headers": {"Content-Type": "application/json"}},
        400, "invalid_json",
    ),
    "validation_query": ("GET", "/cases", {"params": {"page": "first"}}, 422, "validation_failed"),
    "validation_body": ("POST", "/cases", {"json": {"is_child": "perhaps"}}, 422,
                        "validation_failed"),
    "no_route": ("GET", "/no-such-thing", {}, 404, "not_found"),
    "missing_case": ("GET", "/cases/NRM-1999-999999", {}, 404, "not_found"),
    "method": ("DELETE", "/cases", {}, 405, "method_not_allowed"),
    "nul": ("GET", "/cases", {"params": {"region": "a\x00b"}}, 422, "validation_failed"),
    "too_large": (
        "POST", "/cases", {"content": b'{"summary": "' + b"x" * 5000 + b'"}',
                           "headers": {"Content-Type": "application/json"}},
        413, "too_large",
    ),
}  # fmt: skip


def _check(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["error"] == code
    for message in [body["message"]] + [d["message"] for d in body.get("details") or []]:
        assert CYRILLIC.search(message), message
        assert not ENGLISH_WORDS.search(message), message


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["uk", "ru"])
@pytest.mark.parametrize("case", list(CASES))
def test_api_errors_answer_in_the_callers_language(world, live_server, lang, case):
    method, path, given, status, code = CASES[case]
    kwargs = dict(given)
    headers = {"Authorization": f"Bearer {bearer_token(world.officer)}", "Accept-Language": lang}
    headers.update(kwargs.pop("headers", {}))
    with (
        override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000),
        httpx.Client(base_url=live_server.url + "/api", timeout=30) as client,
    ):
        response = client.request(method, path, headers=headers, **kwargs)
    _check(response, status, code)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_unauthenticated_and_csrf_refusals_in_the_callers_language(world, live_server, lang):
    with httpx.Client(base_url=live_server.url + "/api", timeout=30) as client:
        response = client.get("/cases", headers={"Accept-Language": lang})
        _check(response, 401, "unauthenticated")
        session = verified_client(world.officer).cookies["sessionid"].value
        client.cookies.set("sessionid", session)
        response = client.post("/cases", json={}, headers={"Accept-Language": lang})
        _check(response, 403, "csrf_failed")
