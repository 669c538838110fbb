from __future__ import annotations

from django.http import HttpRequest

from opennrm.accounts.roles import AUDIT_ROLES, CASE_ROLES, CREATE_CASE_ROLES, MONITORING_ROLES


def nav(request: HttpRequest) -> dict[str, bool]:
    role = getattr(request.user, "role", None)
    return {
        "nav_cases": role in CASE_ROLES,
        "nav_audit": role in AUDIT_ROLES,
        "nav_screening": role in CREATE_CASE_ROLES,
        "nav_online": role in MONITORING_ROLES,
    }
