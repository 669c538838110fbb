"""The HTTP API (django-ninja). OpenAPI at /api/docs, schema at /api/openapi.json.

Authentication: a browser session that has passed the second factor (with
CSRF on unsafe methods), or ``Authorization: Bearer <token>``. Permission rules
are the same services and selectors the pages use; errors map from the one
domain error type to HTTP here.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from opennrm.accounts.auth import TokenAuth
from opennrm.accounts.models import User
from opennrm.accounts.selectors import user_is_fully_authenticated
from opennrm.audit.api import router as audit_router
from opennrm.cases.api import access_router, handover_router
from opennrm.cases.api import router as cases_router
from opennrm.casework.api import router as casework_router
from opennrm.core.errors import DomainError
from opennrm.dataprotection.api import router as subject_router
from opennrm.directory.api import router as directory_router
from opennrm.exchange.api import router as exchange_router
from opennrm.httpguard.api_messages import api_message, validation_message
from opennrm.httpguard.busy import busy_response, database_busy
from opennrm.notifications.api import router as notifications_router
from opennrm.online.api import router as online_router
from opennrm.referrals.api import router as referrals_router
from opennrm.screenings.api import router as screenings_router


class VerifiedSessionAuth(SessionAuth):
    """A signed-in session that has passed the second factor where the role needs it."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if user_is_fully_authenticated(user):  # type: ignore[arg-type]
            return user  # type: ignore[return-value]
        return None


logger = logging.getLogger("opennrm.api")


class ApiError(Schema):
    """The one error shape of the API (opennrm.core.errors.DomainError.as_dict)."""

    error: str
    message: str
    field: str | None = None
    details: list[dict[str, str]] | None = None


#: Answers any operation can give, documented on every one of them.
_COMMON_ERRORS = {
    400: "The request body cannot be read (not valid JSON, or a malformed multipart form).",
    401: "No valid bearer token and no signed-in session with a second factor.",
    403: "Not allowed for this role (or a missing CSRF token with a session, or a write "
    "with a read-only token: field `scope`).",
    404: "No such object, or one you may not see (indistinguishable).",
    413: "The request body is too large.",
    422: "A field is invalid (the field is named), or the request holds NUL or broken characters.",
    503: "The database is busy (error `busy`): nothing was saved; try again after `Retry-After`"
    " seconds.",
}


class OpenNrmAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Ninja's schema, plus the error answers every operation can give, in one shape."""
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ApiError"] = ApiError.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status, description in _COMMON_ERRORS.items():
                    if status in (400, 413) and method in ("get", "delete", "head"):
                        continue
                    if status not in responses and str(status) not in responses:
                        responses[status] = {"description": description, "content": content}
        return schema


api = OpenNrmAPI(
    title="OpenNRM API",
    version="1",
    description="National Referral Mechanism: cases, workflow, need-to-know grants, audit.",
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("/cases", cases_router)
api.add_router("/access-requests", access_router)
api.add_router("/handovers", handover_router)
api.add_router("", referrals_router)
api.add_router("/audit", audit_router)
api.add_router("", screenings_router)
api.add_router("/directory", directory_router)
api.add_router("/notifications", notifications_router)
api.add_router("/exchange", exchange_router)
api.add_router("/cases", subject_router)
api.add_router("/casework", casework_router)
api.add_router("/online", online_router)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details: list[dict[str, Any]] = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query", "path")]
        details.append({"field": ".".join(loc) or "body", "message": validation_message(err)})
    first = details[0] if details else {"field": "body", "message": validation_message({})}
    body = {
        "error": "validation_failed",
        "message": f"{first['field']}: {first['message']}",
        "field": first["field"],
        "details": details,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {
        "error": "unauthenticated",
        "message": api_message("unauthenticated"),
    }
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (unparsable body, CSRF), in the one error shape."""
    if exc.status_code == 400:
        body = {"error": "invalid_json", "message": api_message("invalid_json")}
        body["field"] = "body"
    elif exc.status_code == 403 and "csrf" in exc.message.lower():
        body = {"error": "csrf_failed", "message": api_message("csrf_failed")}
    else:  # ninja's texts are English: the status says what happened
        body = {"error": "http_error", "message": api_message("http_error")}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    body = {"error": "not_found", "message": api_message("not_found")}
    return api.create_response(request, body, status=404)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The exception's text can quote stored data: log its type and the route pattern only.
    route = request.resolver_match.route if request.resolver_match else "?"
    logger.error(
        "unhandled %s in %s %s\n%s",
        type(exc).__name__,
        request.method,
        route,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    body = {"error": "server_error", "message": api_message("server_error")}
    return api.create_response(request, body, status=500)


@api.exception_handler(OperationalError)
def _database_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A database locked by other writers: 503 "busy, nothing saved" (the transaction was
    rolled back); any other database failure is a server error."""
    if database_busy(exc):
        return busy_response(request)
    return _server_error(request, exc)


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A multipart body Django cannot parse (no boundary, cut off): the client's fault."""
    body = {
        "error": "invalid_body",
        "message": api_message("invalid_body"),
        "field": "body",
    }
    return api.create_response(request, body, status=400)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    body = {"error": "too_large", "message": api_message("too_large"), "field": "body"}
    return api.create_response(request, body, status=413)
