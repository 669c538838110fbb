"""A request that finds the database busy gets "busy, nothing saved, try again" (503).

On SQLite one transaction writes at a time; the others queue for at most
``OPENNRM_SQLITE_WRITE_WAIT`` seconds (``opennrm.core.db_sqlite``) or SQLite's busy timeout,
then fail with ``OperationalError("database is locked ...")``. The transaction that failed
was rolled back by ``transaction.atomic``, so nothing of the request was saved: the user is
told so, in their language, with ``503 Service Unavailable`` and ``Retry-After``, instead
of a bare server error. Pages: :class:`DatabaseBusyMiddleware` (a view's exception) and
:func:`server_error` (``handler500``: one raised in a middleware, such as the session's
save); the API: its exception handler for ``OperationalError`` calls :func:`busy_response`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger("opennrm.busy")

#: seconds after which trying again is worth it (the queue moves in well under that)
RETRY_AFTER = 5


def database_busy(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database was locked by other writers (SQLite)."""
    return isinstance(exc, OperationalError) and "is locked" in str(exc)


def busy_message() -> str:
    return _(
        "The system is busy: your request could not be completed and nothing was saved. "
        "Try again in a moment."
    )


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 in the API's error shape under ``/api/``, else a page; with ``Retry-After``."""
    # for the operator (many of these: a transaction held open, or too many writers for
    # SQLite); the route's pattern, never the path, which can name a case
    route = request.resolver_match.route if request.resolver_match else "?"
    logger.warning("database busy: 503 for %s %s", request.method, route)
    message = busy_message()
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"error": "busy", "message": message}, status=503)
    else:
        # no request context: the page must not need the database (the navigation does)
        html = loader.get_template("httpguard/503.html").render({"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class DatabaseBusyMiddleware:
    """Turns a view's "database is locked" into :func:`busy_response`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return busy_response(request) if database_busy(exception) else None


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: the busy answer for a "database is locked" raised outside a view
    (a middleware's write), else Django's own server error page."""
    if database_busy(sys.exc_info()[1]):
        return busy_response(request)
    return defaults.server_error(request, template_name)
