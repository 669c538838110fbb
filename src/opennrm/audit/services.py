"""Append entries to the audit chain. Call inside the transaction of the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from opennrm.audit.chain import entry_digest, hashed_fields
from opennrm.audit.models import AuditEntry, AuditHead

if TYPE_CHECKING:
    from opennrm.accounts.models import User

SYSTEM_USERNAME = "system"


def audit_record(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_ref: str,
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``actor=None`` means the system itself (CLI, migrations).

    ``detail`` carries ids and codes only, never a person's data.
    """
    with transaction.atomic():
        # Take the chain lock first: the UPDATE locks the head row (PostgreSQL)
        # or the database (SQLite) until the surrounding transaction ends.
        updated = AuditHead.objects.filter(pk=1).update(last_seq=F("last_seq") + 1)
        if not updated:
            try:  # the very first entry; another writer may be creating it at this moment
                with transaction.atomic():
                    AuditHead.objects.create(pk=1, last_seq=1)
            except IntegrityError:  # it did: wait for its lock and take the next number
                AuditHead.objects.filter(pk=1).update(last_seq=F("last_seq") + 1)
        head = AuditHead.objects.get(pk=1)
        at = timezone.now()
        values = {
            "user_id": actor.pk if actor is not None else None,
            "username": actor.username if actor is not None else SYSTEM_USERNAME,
            "agency_id": actor.agency_id if actor is not None else None,
            "role": actor.role if actor is not None else "",
            "action": action,
            "object_type": object_type,
            "object_ref": object_ref,
            "purpose": purpose[:200],
            "detail": detail or {},
        }
        fields = hashed_fields(seq=head.last_seq, at=at, **values)
        digest = entry_digest(fields, head.last_hash)
        entry = AuditEntry.objects.create(
            seq=head.last_seq, at=at, prev_hash=head.last_hash, entry_hash=digest, **values
        )
        AuditHead.objects.filter(pk=1).update(last_hash=digest)
    return entry


def access_refused(
    actor: User,
    *,
    object_type: str,
    ref: object,
    what: str,
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """The one record of a refused attempt (another agency's case or post, a guessed id),
    made while the answer still looks like "missing": ``access.refused`` with the object's
    type and reference, what was tried, and ids or codes only. Nothing for a visitor who
    is not signed in (the sign-in page answers them)."""
    if not actor.is_authenticated:
        return
    audit_record(
        actor=actor,
        action="access.refused",
        object_type=object_type,
        object_ref=str(ref)[:64],
        purpose=purpose,
        detail={"what": what[:64], **(detail or {})},
    )
