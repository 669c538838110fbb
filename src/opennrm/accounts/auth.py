"""API authentication by bearer token, shared by every router (``opennrm.api`` and apps
whose endpoints need a token only, such as casework uploads)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from opennrm.accounts.models import User
from opennrm.accounts.selectors import api_token_find
from opennrm.accounts.services import api_token_check_scope, api_token_mark_used


class TokenAuth(HttpBearer):
    """A valid bearer token (opennrm.accounts.selectors.api_token_find); a read token is
    refused (403, field "scope") on every write; the last use is remembered."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = api_token_find(token)
        if found is None:
            return None
        api_token_mark_used(token=found)
        api_token_check_scope(token=found, method=request.method or "GET")
        return found.user
