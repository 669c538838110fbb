"""`opennrm keys rotate`: every encrypted value, attachment and queued upload moved to the
current key."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from opennrm.audit.services import audit_record
from opennrm.crypto.columns import ColumnCounts, rotate_columns
from opennrm.crypto.fields import (
    EncryptedBinaryField,
    EncryptedDateField,
    EncryptedTextField,
    data_cipher,
)
from opennrm.crypto.files import Reencrypted

if TYPE_CHECKING:
    from opennrm.accounts.models import User


@dataclass
class RotationReport:
    tables: dict[str, ColumnCounts] = field(default_factory=dict)
    #: the case attachments
    files: Reencrypted = field(default_factory=Reencrypted)
    files_skipped_no_key: bool = False
    #: uploads waiting for the import worker (``online.services.import_spools_rotate``)
    spools: Reencrypted = field(default_factory=Reencrypted)

    @property
    def values_rotated(self) -> int:
        return sum(c.changed for c in self.tables.values())

    @property
    def values_current(self) -> int:
        return sum(c.unchanged for c in self.tables.values())

    def as_detail(self) -> dict[str, Any]:
        """Counts only (the audit entry): no value, no key."""
        return {
            "rows": sum(c.rows for c in self.tables.values()),
            "values_rotated": self.values_rotated,
            "values_current": self.values_current,
            "values_changed_meanwhile": sum(c.skipped for c in self.tables.values()),
            **_prefixed("files_", self.files),
            "files_skipped_no_key": self.files_skipped_no_key,
            **_prefixed("spools_", self.spools),
        }


def _prefixed(prefix: str, counts: Reencrypted) -> dict[str, int]:
    return {prefix + name: value for name, value in asdict(counts).items()}


def encrypted_columns() -> list[tuple[str, str, list[str]]]:
    """``(model label, table, columns)`` of every model with encrypted fields."""
    out = []
    for model in apps.get_models():
        columns = [
            f.column
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedTextField | EncryptedDateField | EncryptedBinaryField)
        ]
        if columns and not model._meta.proxy:
            out.append((model._meta.label, model._meta.db_table, columns))
    return sorted(out)


def blind_indexed_models() -> list[Any]:
    """Models keeping a blind index (a keyed hash for exact-match lookups of an encrypted
    value): each has ``rotate_blind_indexes(cipher, *, size, atomic) -> ColumnCounts``
    that recomputes its index under the current key."""
    return sorted(
        (m for m in apps.get_models() if callable(getattr(m, "rotate_blind_indexes", None))),
        key=lambda m: m._meta.label,
    )


def keys_rotate(*, actor: User | None, batch_size: int = 500) -> RotationReport:
    """Re-encrypt, batch by batch (one transaction each), every value and attachment
    that an older key encrypted; audited (counts only) when it starts and when it ends.
    Safe to re-run and to run while the application serves: a value written meanwhile
    is already under the current key and is left alone."""
    cipher = data_cipher()
    audit_record(
        actor=actor,
        action="admin.keys_rotate_start",
        object_type="",
        object_ref="OPENNRM_DATA_KEYS",
        detail={"keys": cipher.key_count},
    )
    report = RotationReport()
    for label, table, columns in encrypted_columns():
        report.tables[label] = rotate_columns(
            connection, cipher, table, columns, size=batch_size, atomic=transaction.atomic
        )
    for model in blind_indexed_models():
        # after the values: an exact-match index computed under the current key
        report.tables[f"{model._meta.label} (blind index)"] = model.rotate_blind_indexes(
            cipher, size=batch_size, atomic=transaction.atomic
        )
    _rotate_files(report, batch_size)
    _rotate_spools(report)
    audit_record(
        actor=actor,
        action="admin.keys_rotate",
        object_type="",
        object_ref="OPENNRM_DATA_KEYS",
        detail=report.as_detail(),
    )
    return report


def _rotate_spools(report: RotationReport) -> None:
    """Uploads waiting for the import worker: under ``OPENNRM_FILE_KEYS``, or keys derived
    from ``OPENNRM_DATA_KEYS`` (so there is always a key to rotate to)."""
    from opennrm.online.services import import_spools_rotate

    report.spools = import_spools_rotate()


def _rotate_files(report: RotationReport, batch_size: int) -> None:
    from opennrm.casework.models import Attachment

    keys = [k for k in settings.OPENNRM_FILE_KEYS if k.strip()]
    if not keys:
        report.files_skipped_no_key = Attachment.objects.exists()
        return
    directory = settings.OPENNRM_ATTACHMENT_DIR
    last = 0
    while True:
        batch = list(
            Attachment.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "storage_name")[:batch_size]
        )
        if not batch:
            return
        for _pk, name in batch:
            report.files.reencrypt(name, directory=directory, keys=keys)
        last = batch[-1][0]
