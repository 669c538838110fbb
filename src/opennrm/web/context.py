from __future__ import annotations

from django.http import HttpRequest

from opennrm.accounts.roles import (
    AUDIT_ROLES,
    CASE_ROLES,
    CREATE_CASE_ROLES,
    MONITORING_ROLES,
    STATISTICS_ROLES,
)
from opennrm.accounts.selectors import user_is_fully_authenticated


def nav(request: HttpRequest) -> dict[str, bool]:
    # nothing to navigate to before the second factor: every page would redirect back
    verified = request.user.is_authenticated and user_is_fully_authenticated(request.user)  # type: ignore[arg-type]
    role = getattr(request.user, "role", None) if verified else None
    return {
        "nav_verified": bool(verified),
        "nav_cases": role in CASE_ROLES,
        "nav_audit": role in AUDIT_ROLES,
        "nav_screening": role in CREATE_CASE_ROLES,
        "nav_online": role in MONITORING_ROLES,
        "nav_stats": role in STATISTICS_ROLES,
    }
