"""No server error, one error shape, and a schema that documents every answer."""

from __future__ import annotations

import pytest

from tests.cases.helpers import open_case
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db(transaction=True)

SHAPE = {"error", "message"}


def _shape(response, status, field=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body.keys() >= SHAPE and "detail" not in body, body
    if field is not None:
        assert body.get("field") == field, body
    return body


@pytest.mark.parametrize(
    "field",
    [
        "exploitation_type",
        "region",
        "is_child",
        "summary",
        "forced_criminality",
        "forced_criminality_note",
    ],
)
def test_patch_with_null_is_422(world, api, field):
    case = open_case(world.officer)
    r = api(world.officer).patch(
        f"/cases/{case.reference}", json={"version": case.version, field: None}
    )
    _shape(r, 422, field)


def test_lax_json_types_are_refused(world, api):
    client = api(world.officer)
    _shape(client.post("/cases", json={"forced_criminality": 0}), 422, "forced_criminality")
    case = open_case(world.officer)
    r = client.put(f"/cases/{case.reference}/person", json={"date_of_birth": 0})
    _shape(r, 422, "date_of_birth")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "part"),
    [
        ("get", "/cases/C-%00", {}, "path"),
        ("get", "/cases", {"params": {"region": "Ky\x00iv"}}, "query"),
        ("get", "/cases", {"params": {"reference\x00": "x"}}, "query"),
        ("post", "/cases", {"json": {"summary": "a\x00b"}}, "body"),
        ("post", "/cases", {"json": {"summary": "lone \ud800 surrogate"}}, "body"),
        ("post", "/cases", {"content": b'{"summary": "\\ud800"}'}, "body"),
        ("post", "/cases", {"content": b'{"summary": "x"}\x00'}, "body"),
    ],
)
def test_nul_and_surrogates_are_422_everywhere(world, api, method, path, kwargs, part):
    client = api(world.officer)
    if "content" in kwargs:
        kwargs = {**kwargs, "headers": {"Content-Type": "application/json"}}
    if "json" in kwargs:  # httpx would refuse to encode a lone surrogate itself
        import json as _json

        kwargs = {
            "content": _json.dumps(kwargs["json"]).encode(),
            "headers": {"Content-Type": "application/json"},
        }
    _shape(getattr(client, method)(path, **kwargs), 422, part)


def test_nul_in_a_page_query_is_422_not_500(world):
    client = verified_client(world.officer)
    r = client.get("/cases/", {"q": "a\x00"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0.5", "1e5"]
)
def test_extreme_or_numeric_datetimes_in_audit_filters_are_422(world, api, value):
    _shape(api(world.auditor).get("/audit", params={"since": value}), 422, "since")


def test_invalid_json_is_400_in_the_shape(world, api):
    r = api(world.officer).post(
        "/cases", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    _shape(r, 400, "body")


def test_csrf_failure_is_in_the_shape(world):
    client = verified_client(world.officer)
    client.handler.enforce_csrf_checks = True
    r = client.post("/api/cases", data={}, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["error"] == "csrf_failed"


def test_unknown_address_and_method_are_in_the_shape(world, api):
    client = api(world.officer)
    _shape(client.get("/no-such-thing"), 404)
    r = client.request("TRACE", "/cases")
    _shape(r, 405)
    assert "GET" in r.headers["Allow"]
    _shape(client.put("/cases"), 405)


def test_every_operation_documents_its_error_answers(world, api):
    schema = api(world.officer).get("/openapi.json").json()
    assert "ApiError" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401", "403", "404", "422"} <= documented, (method, path, documented)
            if method in ("post", "put", "patch"):
                assert {"400", "413"} <= documented, (method, path, documented)
