"""Request hygiene and private responses, for pages and the API alike.

``RequestHygieneMiddleware`` refuses, with 422, any request whose path, query or
body holds a NUL character or an unpaired UTF-16 surrogate: PostgreSQL cannot
store either (a server error), SQLite would store them silently, and no real
input needs them. It also gives the API's own 404 and 405 answers the one error
shape (``{"error", "message", "field"}``) instead of Django's HTML page.

``PrivateResponsesMiddleware`` marks every answer to a signed-in user, and every
API answer, ``Cache-Control: no-store``: they may carry personal data, which
must not stay in a browser's or a proxy's cache.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from opennrm.core.errors import ValidationFailed
from opennrm.httpguard.api_messages import api_message

API_PREFIX = "/api/"
_BAD = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded",)


def _strings(value: Any) -> Iterable[str]:
    """Every string in a parsed JSON document (keys and values), without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, inner in item.items():
                yield str(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def _bad_part(request: HttpRequest) -> str | None:
    """Which part of the request holds a forbidden character, or None."""
    if _BAD.search(request.path_info):
        return "path"
    for key, values in request.GET.lists():
        if _BAD.search(key) or any(_BAD.search(v) for v in values):
            return "query"
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS") or content_type.startswith("multipart/"):
        return None  # uploads are files: their importer reads and checks them itself
    try:
        body = request.body
    except RequestDataTooBig:
        return None  # answered 413 further on
    if not body:
        return None
    if b"\x00" in body:
        return "body"
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON: the API answers 400 with the same error shape
        if any(_BAD.search(s) for s in _strings(document)):
            return "body"
    elif content_type in _FORM_TYPES:
        for key, values in request.POST.lists():
            if _BAD.search(key) or any(_BAD.search(v) for v in values):
                return "body"
    return None


def api_error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status)


class RequestHygieneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        part = _bad_part(request)
        if part is not None:
            with translation.override(translation.get_language_from_request(request)):
                message = api_message("bad_character")  # before LocaleMiddleware: its language
            if request.path_info.startswith(API_PREFIX):
                error = ValidationFailed(message, field=part)
                return JsonResponse(error.as_dict(), status=error.status_code)
            return HttpResponse(message, status=422, content_type="text/plain; charset=utf-8")
        response = self.get_response(request)
        if (
            request.path_info.startswith(API_PREFIX)
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            with translation.override(translation.get_language_from_request(request)):
                if response.status_code == 404:
                    replaced = api_error(404, "not_found", api_message("no_route"))
                else:
                    code, words = "method_not_allowed", api_message("method_not_allowed")
                    replaced = api_error(405, code, words)
                if response.has_header("Allow"):
                    replaced["Allow"] = response["Allow"]
            return replaced
        return response


class PrivateResponsesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        private = signed_in or request.path_info.startswith(API_PREFIX)
        if private and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response
