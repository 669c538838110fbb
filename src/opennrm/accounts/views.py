"""Account pages: the user's own API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opennrm.accounts.forms import ApiTokenForm
from opennrm.accounts.models import User
from opennrm.accounts.selectors import api_tokens_of, user_has_confirmed_device
from opennrm.accounts.services import api_token_create, api_token_max_days, api_token_revoke
from opennrm.core.errors import DomainError
from opennrm.web.views import page


@page()
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Personal API tokens: the secret is shown once, only its digest is stored."""
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenForm(request.POST or None, max_days=api_token_max_days(user))
    created = None
    if request.method == "POST" and "revoke" in request.POST:
        raw_id = request.POST["revoke"]
        token = api_tokens_of(user).filter(pk=int(raw_id)).first() if raw_id.isdigit() else None
        if token is not None:
            api_token_revoke(actor=user, token=token)
            messages.success(request, _("Token revoked."))
        return redirect("web:api_tokens")
    if request.method == "POST" and form.is_valid():
        try:
            _token, created = api_token_create(actor=user, user=user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            form = ApiTokenForm(max_days=api_token_max_days(user))
    may_create = not settings.OPENNRM_REQUIRE_2FA or user_has_confirmed_device(user)
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "tokens": api_tokens_of(user),
            "created": created,
            "may_create": may_create,
        },
    )
