from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from opennrm.accounts.models import User
from opennrm.accounts.roles import AUDIT_ROLES
from opennrm.audit.chain import GENESIS_HASH, VerifyReport, verify_entries
from opennrm.audit.models import AuditEntry, AuditHead
from opennrm.core.errors import Forbidden

_FIELDS = (
    "seq",
    "at",
    "user_id",
    "username",
    "agency_id",
    "role",
    "action",
    "object_type",
    "object_ref",
    "purpose",
    "detail",
    "prev_hash",
    "entry_hash",
)


def audit_entries_for(
    actor: User,
    *,
    action: str = "",
    object_ref: str = "",
    username: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    if actor.role not in AUDIT_ROLES:
        raise Forbidden("Only auditors can read the audit log.")
    qs = AuditEntry.objects.order_by("-seq")
    if action:
        qs = qs.filter(action__startswith=action)
    if object_ref:
        qs = qs.filter(object_ref=object_ref)
    if username:
        qs = qs.filter(username=username)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs


def audit_names(entries: list[AuditEntry]) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the users and agencies of ``entries`` (two queries, for a page)."""
    from opennrm.accounts.models import Agency

    user_ids = {e.user_id for e in entries if e.user_id is not None}
    agency_ids = {e.agency_id for e in entries if e.agency_id is not None}
    users = {
        pk: (f"{first} {last}".strip() or username)
        for pk, first, last, username in User.objects.filter(pk__in=user_ids).values_list(
            "pk", "first_name", "last_name", "username"
        )
    }
    agencies = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
    return users, agencies


def csv_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rows() -> Iterator[dict[str, Any]]:
    yield from AuditEntry.objects.order_by("id").values(*_FIELDS).iterator(chunk_size=2000)


def audit_verify() -> VerifyReport:
    head = AuditHead.objects.filter(pk=1).first()
    return verify_entries(
        _rows(),
        head_seq=head.last_seq if head else 0,
        head_hash=head.last_hash if head else GENESIS_HASH,
    )
