"""A page's htmx request that would be sent to sign in gets 401 instead.

When the session has ended (signed out elsewhere, ``OPENNRM_SESSION_SECONDS`` passed, the
browser restarted) or the second factor is owed, a page answers with a redirect to the
sign-in (or second-factor) page. A browser's XMLHttpRequest follows redirects by itself,
so htmx received the sign-in page as a success and swapped it in place of the form (a
boosted form replaces the whole page): what the caseworker had typed or ticked was gone.
With 401, htmx swaps nothing and the page says, in the reader's language, that the session
may have ended, nothing was saved, and to copy what was typed before signing in again
(``httpguard/_request_problem.html``). Ordinary requests keep the redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse


def _sign_in_paths() -> set[str]:
    return {resolve_url(settings.LOGIN_URL), reverse("web:otp_verify")}


class HtmxSignInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.headers.get("HX-Request") == "true"
            and response.status_code in (301, 302, 303, 307, 308)
            and urlsplit(response.get("Location", "")).path in _sign_in_paths()
        ):
            refused = HttpResponse(status=401)
            refused["Cache-Control"] = "no-store"
            return refused
        return response
