"""Encrypted, verifiable backups of a whole deployment, taken while it runs.

``backup_create`` takes a consistent snapshot (SQLite: the online backup API, one step,
so the copy is one committed state; PostgreSQL: ``pg_dump`` in custom format on a
snapshot exported from a REPEATABLE READ transaction, in which the row counts, the
audit head and the list of attachments are read too), then streams a tar of
``manifest.json``, the database and the attachments' (already encrypted) files through
``sealed.SealedWriter`` into the output file.

``backup_restore`` decrypts the whole file into a private temporary folder first, so a
wrong key, a damaged or altered file restores nothing; refuses a deployment that holds
data; restores; then verifies the audit chain and every table's row count against the
manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction

from opennrm.dataprotection import sealed

MANIFEST_FORMAT = 1
_DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_ATTACHMENT_TABLE = "casework_attachment"
#: tables whose rows mean a deployment is in use (a fresh `opennrm migrate` leaves them empty)
_DATA_TABLES = ("accounts_agency", "accounts_user", "cases_case", "audit_auditentry")
_GENESIS = "0" * 64


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do."""


def backup_key() -> bytes:
    try:
        return sealed.parse_key(settings.OPENNRM_BACKUP_KEY)
    except sealed.SealError as exc:
        raise BackupError(str(exc)) from exc


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in _DB_MEMBER:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- snapshots -------------------------------------------------------------------------


@dataclass
class _Snapshot:
    path: Path
    tables: dict[str, int]
    audit_seq: int
    audit_hash: str
    attachments: list[str]


def _read_state(
    execute: Callable[[str], list[tuple[Any, ...]]], tables: list[str]
) -> tuple[dict[str, int], int, str, list[str]]:
    counts = {t: int(execute(f"SELECT COUNT(*) FROM {_quote(t)}")[0][0]) for t in sorted(tables)}  # noqa: S608
    seq, digest = 0, _GENESIS
    if "audit_audithead" in counts:
        head = execute("SELECT last_seq, last_hash FROM audit_audithead WHERE id = 1")
        if head:
            seq, digest = int(head[0][0]), str(head[0][1])
    names: list[str] = []
    if _ATTACHMENT_TABLE in counts:
        names = [str(r[0]) for r in execute(f"SELECT storage_name FROM {_ATTACHMENT_TABLE}")]  # noqa: S608
    return counts, seq, digest, names


def _snapshot_sqlite(workdir: Path) -> _Snapshot:
    source_name = str(settings.DATABASES["default"]["NAME"])
    target = workdir / _DB_MEMBER["sqlite"]
    source = sqlite3.connect(source_name, timeout=60)
    try:
        copy = sqlite3.connect(target)
        try:
            # pages=-1: the whole database in one step under one read transaction, so the
            # copy is exactly one committed state (writers in WAL mode carry on meanwhile)
            source.backup(copy, pages=-1)
        finally:
            copy.close()
    finally:
        source.close()
    copy = sqlite3.connect(target)
    try:

        def execute(sql: str) -> list[tuple[Any, ...]]:
            return copy.execute(sql).fetchall()

        tables = [
            r[0]
            for r in execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts, seq, digest, names = _read_state(execute, tables)
    finally:
        copy.close()
    return _Snapshot(target, counts, seq, digest, names)


def _pg_args() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args: list[str] = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])  # never on the command line
    return args, env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client)")


def _snapshot_postgresql(workdir: Path) -> _Snapshot:
    target = workdir / _DB_MEMBER["postgresql"]
    args, env = _pg_args()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]

        def execute(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            return list(cursor.fetchall())

        tables = [
            r[0]
            for r in execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ]
        counts, seq, digest, names = _read_state(execute, tables)
        result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [
                _pg_tool("pg_dump"),
                *args,
                "--format=custom",
                f"--snapshot={snapshot_id}",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
                str(settings.DATABASES["default"]["NAME"]),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()[:500]}")
    return _Snapshot(target, counts, seq, digest, names)


# --- backup ----------------------------------------------------------------------------


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        out, self._pos = self._data[self._pos : end], min(end, len(self._data))
        return out


def backup_create(*, output: Path, key: bytes, now: datetime | None = None) -> dict[str, Any]:
    """Write an encrypted backup of the database and the attachments to ``output``.

    Returns the manifest. The output is written beside its final name and renamed at
    the end, so a failed backup never leaves a file that looks complete.
    """
    from opennrm.audit.services import audit_record

    vendor = _vendor()
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".opennrm-backup-", dir=output.parent))
    partial = output.with_name(output.name + ".partial")
    try:
        snap = _snapshot_sqlite(workdir) if vendor == "sqlite" else _snapshot_postgresql(workdir)
        directory = Path(settings.OPENNRM_ATTACHMENT_DIR)
        present = [n for n in snap.attachments if (directory / Path(n).name).is_file()]
        manifest: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "id": str(uuid.uuid4()),
            "vendor": vendor,
            "created_at": (now or datetime.now(UTC)).astimezone(UTC).isoformat(),
            "database": _DB_MEMBER[vendor],
            "tables": snap.tables,
            "audit": {"last_seq": snap.audit_seq, "last_hash": snap.audit_hash},
            "attachments": {
                "count": len(present),
                "missing": len(snap.attachments) - len(present),
            },
        }
        with partial.open("wb") as sink:
            os.chmod(partial, 0o600)
            writer = sealed.SealedWriter(sink, key)
            with tarfile.open(fileobj=writer, mode="w|") as tar:  # type: ignore[call-overload]
                _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
                tar.add(snap.path, arcname=_DB_MEMBER[vendor])
                for name in present:
                    tar.add(directory / Path(name).name, arcname=f"attachments/{Path(name).name}")
            writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        partial.replace(output)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        partial.unlink(missing_ok=True)
    audit_record(
        actor=None,
        action="backup.created",
        object_type="backup",
        object_ref=manifest["id"],
        detail={
            "vendor": vendor,
            "tables": len(snap.tables),
            "audit_seq": snap.audit_seq,
            "attachments": len(present),
        },
    )
    return manifest


# --- restore ---------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    audit_entries: int = 0
    tables_checked: int = 0
    attachments: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _safe_member(member: tarfile.TarInfo, database: str) -> str | None:
    """The member's name when it is one a backup holds; None otherwise."""
    if not member.isfile():
        return None
    name = member.name
    if name in ("manifest.json", database):
        return name
    parts = name.split("/")
    if (
        len(parts) == 2
        and parts[0] == "attachments"
        and parts[1] not in ("", ".", "..")
        and Path(parts[1]).name == parts[1]
    ):
        return name
    return None


def _unpack(source: IO[bytes], key: bytes, workdir: Path) -> dict[str, Any]:
    """Decrypt and unpack everything into ``workdir``; the manifest once all is checked."""
    reader = sealed.SealedReader(source, key)
    (workdir / "attachments").mkdir()
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                name = _safe_member(member, "database.sqlite3")
                name = name or _safe_member(member, "database.pgdump")
                if name is None:
                    raise BackupError(f"unexpected entry in the backup: {member.name[:100]!r}")
                extracted = tar.extractfile(member)
                assert extracted is not None  # noqa: S101 - a regular file always has one
                with (workdir / name).open("wb") as out:
                    shutil.copyfileobj(extracted, out, sealed.CHUNK)
        reader.drain()
    except sealed.SealError as exc:
        raise BackupError(str(exc)) from exc
    except tarfile.TarError as exc:
        raise BackupError(f"the backup's contents are unreadable: {exc}") from exc
    try:
        manifest = json.loads((workdir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError("the backup has no readable manifest") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError("a backup manifest format this version cannot read")
    if not (workdir / str(manifest.get("database"))).is_file():
        raise BackupError("the backup holds no database")
    return manifest


def deployment_data_counts() -> dict[str, int]:
    """Rows in the tables that mean a deployment is in use (missing tables count 0)."""
    existing = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in _DATA_TABLES:
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608
                counts[table] = int(cursor.fetchone()[0])
    return counts


def _live_counts(tables: list[str]) -> dict[str, int | None]:
    existing = set(connection.introspection.table_names())
    out: dict[str, int | None] = {}
    with connection.cursor() as cursor:
        for table in tables:
            if table not in existing:
                out[table] = None
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608
            out[table] = int(cursor.fetchone()[0])
    return out


def _restore_sqlite(snapshot: Path) -> None:
    target = Path(str(settings.DATABASES["default"]["NAME"]))
    connections.close_all()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(snapshot)
    try:
        dest = sqlite3.connect(target, timeout=60)
        try:
            source.backup(dest, pages=-1)
        finally:
            dest.close()
    finally:
        source.close()


def _restore_postgresql(dump: Path) -> None:
    """pg_restore in one transaction. A freshly migrated (empty, checked before) schema is
    dropped first: the dump brings the whole schema with the data."""
    args, env = _pg_args()
    if connection.introspection.table_names():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = _quote(cursor.fetchone()[0])
            cursor.execute(f"DROP SCHEMA {schema} CASCADE")
            cursor.execute(f"CREATE SCHEMA {schema}")
    connections.close_all()
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        [
            _pg_tool("pg_restore"),
            *args,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={settings.DATABASES['default']['NAME']}",
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed (no data restored; run `opennrm migrate` to recreate the "
            f"empty schema): {result.stderr.strip()[:500]}"
        )


def backup_restore(*, source: Path, key: bytes) -> RestoreReport:
    """Restore ``source`` into this (empty) deployment and verify it; see the module doc."""
    from opennrm.audit.selectors import audit_verify
    from opennrm.audit.services import audit_record

    vendor = _vendor()
    workdir_parent = Path(settings.DATA_DIR)
    workdir_parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".opennrm-restore-", dir=workdir_parent))
    try:
        try:
            handle = source.open("rb")
        except OSError as exc:
            raise BackupError(f"cannot read {source}: {exc.strerror}") from exc
        with handle:
            manifest = _unpack(handle, key, workdir)
        if manifest.get("vendor") != vendor:
            raise BackupError(
                f"this backup is of a {manifest.get('vendor')} database; this deployment uses "
                f"{vendor}: restore it into a deployment on the same database system"
            )
        in_use = {t: n for t, n in deployment_data_counts().items() if n}
        if in_use:
            held = ", ".join(f"{n} rows in {t}" for t, n in sorted(in_use.items()))
            raise BackupError(
                f"this deployment is not empty ({held}): restore only into a new, empty "
                "database (set OPENNRM_DATABASE_URL / OPENNRM_DATA_DIR to a fresh one); "
                "nothing was restored"
            )
        directory = Path(settings.OPENNRM_ATTACHMENT_DIR)
        files = sorted((workdir / "attachments").iterdir())
        clashes = [f.name for f in files if (directory / f.name).exists()]
        if clashes:
            raise BackupError(
                f"the attachments folder {directory} already holds {len(clashes)} of the "
                "backup's files: restore into an empty folder; nothing was restored"
            )
        database = workdir / str(manifest["database"])
        if vendor == "sqlite":
            _restore_sqlite(database)
        else:
            _restore_postgresql(database)
        directory.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.move(str(path), directory / path.name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    report = RestoreReport(manifest=manifest, attachments=len(files))
    chain = audit_verify()
    report.audit_entries = chain.checked
    report.problems += [f"audit: {p}" for p in chain.problems]
    want = manifest.get("audit", {})
    if (chain.last_seq, chain.last_hash) != (want.get("last_seq"), want.get("last_hash")):
        report.problems.append(
            f"audit: the restored log ends at #{chain.last_seq}, the backup's manifest "
            f"says #{want.get('last_seq')}"
        )
    tables: dict[str, int] = manifest.get("tables", {})
    live = _live_counts(sorted(tables))
    report.tables_checked = len(tables)
    for table, count in sorted(tables.items()):
        if live[table] != count:
            report.problems.append(
                f"table {table}: {live[table]} rows restored, the manifest says {count}"
            )
    if len(files) != manifest.get("attachments", {}).get("count"):
        report.problems.append(
            f"attachments: {len(files)} restored, the manifest says "
            f"{manifest.get('attachments', {}).get('count')}"
        )
    if report.ok:
        audit_record(
            actor=None,
            action="backup.restored",
            object_type="backup",
            object_ref=str(manifest.get("id", ""))[:64],
            detail={"tables": report.tables_checked, "audit_seq": chain.last_seq},
        )
    return report


def backup_read_manifest(*, source: Path, key: bytes) -> dict[str, Any]:
    """The manifest of a backup, after checking the whole file decrypts (nothing restored)."""
    workdir = Path(tempfile.mkdtemp(prefix=".opennrm-inspect-"))
    try:
        with source.open("rb") as handle:
            return _unpack(handle, key, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
