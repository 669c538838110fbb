from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import AUDIT_ROLES
from opennrm.audit import anchor, timestamp
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
        raise Forbidden(_("Only auditors can read the audit log."))
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


def _verify_now() -> VerifyReport:
    head = AuditHead.objects.filter(pk=1).first()
    return verify_entries(
        _rows(),
        head_seq=head.last_seq if head else 0,
        head_hash=head.last_hash if head else GENESIS_HASH,
    )


def audit_verify() -> VerifyReport:
    """Recompute the chain. On PostgreSQL the head and the entries come from one snapshot."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _verify_now()
    return _verify_now()


# --- signed checkpoints (see opennrm.audit.anchor) ------------------------------------


def audit_keyring() -> anchor.KeyRing:
    """The configured keys (raises anchor.AuditKeyError when one cannot be read)."""
    return anchor.keyring_from(
        key_file=settings.OPENNRM_AUDIT_KEY_FILE,
        key_text=settings.OPENNRM_AUDIT_SIGNING_KEY,
        verify_keys=settings.OPENNRM_AUDIT_VERIFY_KEYS,
    )


class CheckpointRefused(Exception):
    """No checkpoint is signed over a chain that does not verify."""


def audit_checkpoint(
    *, keyring: anchor.KeyRing | None = None, now: Callable[[], datetime] = timezone.now
) -> dict[str, Any]:
    """Verify the chain, then sign its head: a checkpoint document to store elsewhere.

    The signed position is the last entry the verification read, so the
    checkpoint always names a state the log really had. A chain that does not
    verify is never signed (that would anchor the tampering).
    """
    keyring = keyring or audit_keyring()
    if keyring.signing is None:
        raise anchor.AuditKeyError(
            "no audit signing key: set OPENNRM_AUDIT_KEY_FILE or OPENNRM_AUDIT_SIGNING_KEY "
            "(make one with `opennrm audit keys generate`)"
        )
    report = audit_verify()
    for _retry in range(2):  # SQLite: a write between reading the entries and the head
        if report.ok:
            break
        report = audit_verify()
    if not report.ok:
        raise CheckpointRefused(
            "the audit chain does not verify; no checkpoint signed: " + report.problems[0]
        )
    return anchor.checkpoint_sign(
        seq=report.last_seq, head_hash=report.last_hash, private=keyring.signing, now=now
    )


def audit_checkpoint_timestamp(
    doc: dict[str, Any], *, fetch: timestamp.Fetch | None = None
) -> dict[str, Any]:
    """The checkpoint with an RFC 3161 time-stamp when OPENNRM_AUDIT_TSA_URL is set
    (raises timestamp.TimestampError when the authority fails); else as it is."""
    url = settings.OPENNRM_AUDIT_TSA_URL
    if not url:
        return doc
    return timestamp.timestamp_checkpoint(
        doc,
        url=url,
        fetch=fetch or timestamp.http_fetch,
        timeout=settings.OPENNRM_AUDIT_TSA_TIMEOUT,
    )


def _tsa_roots() -> list[Any]:
    path = settings.OPENNRM_AUDIT_TSA_CA_FILE
    if not path:
        return []
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise anchor.AuditKeyError(f"cannot read the TSA certificate file {path}") from exc
    try:
        return timestamp.load_roots(pem)
    except timestamp.TimestampError as exc:
        raise anchor.AuditKeyError(str(exc)) from exc


@dataclass
class CheckpointReport:
    chain: VerifyReport
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    #: time-stamps that hold (RFC 3161), and those present but not checkable here
    stamps: int = 0
    unchecked_stamps: int = 0

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def audit_verify_checkpoints(
    docs: Iterable[dict[str, Any]], *, keyring: anchor.KeyRing | None = None
) -> CheckpointReport:
    """Verify the chain and that the log still contains the state of every checkpoint."""
    keyring = keyring or audit_keyring()
    report = CheckpointReport(chain=audit_verify())
    valid: list[dict[str, Any]] = []
    for doc in docs:
        report.checkpoints += 1
        try:
            anchor.checkpoint_check_signature(doc, keyring.verifying)
        except anchor.CheckpointError as exc:
            where = f"#{doc.get('seq')}" if isinstance(doc, dict) else "?"
            report.problems.append(f"checkpoint {where}: {exc}")
            continue
        valid.append(doc)
        if "timestamp" in doc:
            _check_stamp(doc, report)
    hashes = dict(
        AuditEntry.objects.filter(seq__in={doc["seq"] for doc in valid}).values_list(
            "seq", "entry_hash"
        )
    )
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    for doc in valid:
        problem = anchor.checkpoint_problem(doc, hash_at=hashes.get(doc["seq"]), last_seq=last)
        if problem:
            report.problems.append(problem)
    return report


def _check_stamp(doc: dict[str, Any], report: CheckpointReport) -> None:
    roots = _tsa_roots()
    if not roots:
        report.unchecked_stamps += 1
        return
    try:
        timestamp.timestamp_verify(doc, roots)
    except timestamp.TimestampError as exc:
        report.problems.append(f"checkpoint #{doc['seq']} of {doc['at']}: {exc}")
        return
    report.stamps += 1
