"""The HTTP API (django-ninja). OpenAPI at /api/docs, schema at /api/openapi.json.

Authentication: a browser session that has passed the second factor (with
CSRF on unsafe methods), or ``Authorization: Bearer <token>``. Permission rules
are the same services and selectors the pages use; errors map from the one
domain error type to HTTP here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from opennrm.accounts.models import User
from opennrm.accounts.selectors import api_token_user, user_is_fully_authenticated
from opennrm.audit.api import router as audit_router
from opennrm.cases.api import access_router, handover_router
from opennrm.cases.api import router as cases_router
from opennrm.core.errors import DomainError
from opennrm.directory.api import router as directory_router
from opennrm.notifications.api import router as notifications_router
from opennrm.referrals.api import router as referrals_router
from opennrm.screenings.api import router as screenings_router


class VerifiedSessionAuth(SessionAuth):
    """A signed-in session that has passed the second factor where the role needs it."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if user_is_fully_authenticated(user):  # type: ignore[arg-type]
            return user  # type: ignore[return-value]
        return None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return api_token_user(token)


api = NinjaAPI(
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


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details: list[dict[str, Any]] = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query", "path")]
        details.append(
            {"field": ".".join(loc) or "body", "message": str(err.get("msg", "invalid"))}
        )
    first = details[0] if details else {"field": "body", "message": "invalid request"}
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
        "message": "Sign in (with your second factor) or send a valid bearer token.",
    }
    return api.create_response(request, body, status=401)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    body = {"error": "too_large", "message": "The request body is too large."}
    return api.create_response(request, body, status=413)
