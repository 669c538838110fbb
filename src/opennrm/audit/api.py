from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from opennrm.audit.selectors import audit_entries_for, audit_verify
from opennrm.audit.services import audit_record
from opennrm.core.schemas import BoundedAwareDatetime

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    seq: int
    at: datetime
    username: str
    user_id: int | None
    agency_id: int | None
    role: str
    action: str
    object_type: str
    object_ref: str
    purpose: str
    detail: dict[str, Any]
    entry_hash: str


class AuditFilters(Schema):
    action: str = ""
    object_ref: str = ""
    username: str = ""
    since: BoundedAwareDatetime | None = None
    until: BoundedAwareDatetime | None = None
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(50, ge=1, le=500)


class AuditPage(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[AuditEntryOut]


class VerifyOut(Schema):
    ok: bool
    checked: int
    last_seq: int
    last_hash: str
    problems: list[str]


@router.get("", response=AuditPage, summary="Query the audit log (auditors)")
def audit_list(request: HttpRequest, filters: Query[AuditFilters]) -> dict[str, Any]:
    page, size = filters.page, filters.page_size
    qs = audit_entries_for(
        request.auth,  # type: ignore[attr-defined]
        action=filters.action,
        object_ref=filters.object_ref,
        username=filters.username,
        since=filters.since,
        until=filters.until,
    )
    rows = list(qs[(page - 1) * size : page * size + 1])
    audit_record(
        actor=request.auth,
        action="audit.view",
        object_type="audit",
        object_ref="-",  # type: ignore[attr-defined]
        detail={"action": filters.action, "object_ref": filters.object_ref, "page": page},
    )
    return {"page": page, "page_size": size, "has_next": len(rows) > size, "items": rows[:size]}


@router.get("/verify", response=VerifyOut, summary="Verify the hash chain (auditors)")
def audit_verify_view(request: HttpRequest) -> dict[str, Any]:
    audit_entries_for(request.auth)  # type: ignore[attr-defined]  # permission check
    report = audit_verify()
    return {
        "ok": report.ok,
        "checked": report.checked,
        "last_seq": report.last_seq,
        "last_hash": report.last_hash,
        "problems": report.problems,
    }
