"""The hash chain itself: canonical form and verification (no database writes)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_digest(fields: dict[str, Any], prev_hash: str) -> str:
    payload = json.dumps(
        {**fields, "prev_hash": prev_hash},
        sort_keys=True,
        ensure_ascii=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def hashed_fields(
    *,
    seq: int,
    at: datetime,
    user_id: int | None,
    username: str,
    agency_id: int | None,
    role: str,
    action: str,
    object_type: str,
    object_ref: str,
    purpose: str,
    detail: dict[str, Any],
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": canonical_at(at),
        "user_id": user_id,
        "username": username,
        "agency_id": agency_id,
        "role": role,
        "action": action,
        "object_type": object_type,
        "object_ref": object_ref,
        "purpose": purpose,
        "detail": detail,
    }


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    last_seq: int = 0
    last_hash: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_entries(
    rows: Iterable[dict[str, Any]], *, head_seq: int | None, head_hash: str | None
) -> VerifyReport:
    """Check a chain given as rows ordered by database insertion order (id).

    Detects an altered entry (hash mismatch), a removed one (gap in ``seq`` or a
    broken ``prev_hash`` link), reordering (``seq`` not increasing in insertion
    order) and a truncated tail (the head row disagrees with the last entry).
    """
    report = VerifyReport()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for row in rows:
        report.checked += 1
        seq = row["seq"]
        if seq != expected_seq:
            report.problems.append(
                f"entry #{seq}: expected position #{expected_seq} (entry removed or reordered)"
            )
        if row["prev_hash"] != expected_prev:
            report.problems.append(f"entry #{seq}: link to the previous entry is broken")
        fields = hashed_fields(
            seq=seq,
            at=row["at"],
            user_id=row["user_id"],
            username=row["username"],
            agency_id=row["agency_id"],
            role=row["role"],
            action=row["action"],
            object_type=row["object_type"],
            object_ref=row["object_ref"],
            purpose=row["purpose"],
            detail=row["detail"],
        )
        if entry_digest(fields, row["prev_hash"]) != row["entry_hash"]:
            report.problems.append(f"entry #{seq}: content does not match its hash (altered)")
        expected_prev = row["entry_hash"]
        expected_seq = seq + 1
        report.last_seq = seq
        report.last_hash = row["entry_hash"]
    if head_seq is not None and (head_seq, head_hash) != (report.last_seq, report.last_hash):
        report.problems.append(
            f"chain head says #{head_seq} but the log ends at #{report.last_seq} "
            "(entries removed from the end, or the head was altered)"
        )
    return report
