"""Deny every page to a signed-in user who still owes a second factor."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from opennrm.accounts.selectors import user_needs_second_factor

# Paths a half-authenticated user may reach: the 2FA steps themselves, logout,
# language switching, static files and the API (which checks auth itself).
_OPEN_PREFIXES = ("/static/", "/api/", "/i18n/")


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.OPENNRM_REQUIRE_2FA
            and user.is_authenticated
            and user_needs_second_factor(user)  # type: ignore[arg-type]
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            allowed = {reverse("web:otp_verify"), reverse("web:otp_setup"), reverse("web:logout")}
            if request.path not in allowed:
                return redirect("web:otp_verify")
        return self.get_response(request)
