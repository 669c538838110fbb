"""Online-monitoring writes: import a file through the pipeline, review alerts,
turn an alert into a case, keep false positives as training feedback, export STIX,
and erase what is past the retention period (:func:`purge_expired`; the rule is
written above it)."""

from __future__ import annotations

import contextlib
import getpass
import io
import itertools
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import User
from opennrm.accounts.roles import MONITORING_ROLES
from opennrm.audit.services import audit_record
from opennrm.cases.models import Case, ExploitationType
from opennrm.cases.services import case_create
from opennrm.core.errors import Conflict, Forbidden, NotFound, TooLarge, ValidationFailed
from opennrm.crypto import files as crypto_files
from opennrm.crypto.fields import data_cipher
from opennrm.monitoring import (
    IngestError,
    IngestReport,
    PipelineConfig,
    Post,
    assemble,
    bundle_json,
    iter_posts,
    process_batch,
    to_stix_bundle,
)
from opennrm.monitoring.ingest import FORMATS, SNIFF_BYTES, TEXT_COLUMNS, check_start
from opennrm.monitoring.pipeline import batched
from opennrm.online.campaigns import IndexHolder, IndexMoved
from opennrm.online.models import (
    CampaignState,
    Contact,
    ContactKind,
    ContactMention,
    Feedback,
    GroupKind,
    ImportRun,
    ImportState,
    MonitoredPost,
    PostGroup,
    PostStatus,
    channel_index,
    contact_index,
    contact_indexes,
    post_keyer,
)
from opennrm.online.problems import UNEXPECTED
from opennrm.online.reasons import describe_reason

log = logging.getLogger(__name__)
_R = TypeVar("_R")


def _require(actor: User) -> None:
    if actor.role not in MONITORING_ROLES or actor.agency_id is None:
        raise Forbidden(_("Your role does not review online monitoring."))


def _model() -> Any:
    from opennrm.online.model import active_model

    return active_model()


#: cities of the region as officers write them in Ukrainian or Russian (tz names are Latin)
_CYRILLIC_CITIES = {
    "київ": "Europe/Kyiv", "киев": "Europe/Kyiv", "варшава": "Europe/Warsaw",
    "кишинів": "Europe/Chisinau", "кишинев": "Europe/Chisinau", "кишинёв": "Europe/Chisinau",
    "бухарест": "Europe/Bucharest", "москва": "Europe/Moscow", "мінськ": "Europe/Minsk",
    "минск": "Europe/Minsk", "берлін": "Europe/Berlin", "берлин": "Europe/Berlin",
    "прага": "Europe/Prague", "будапешт": "Europe/Budapest", "вільнюс": "Europe/Vilnius",
    "вильнюс": "Europe/Vilnius", "рига": "Europe/Riga", "таллінн": "Europe/Tallinn",
    "таллин": "Europe/Tallinn", "лондон": "Europe/London", "рим": "Europe/Rome",
    "стамбул": "Europe/Istanbul",
}  # fmt: skip
#: tzdata's old spellings, said the way the country writes them now
_RENAMED = {"Europe/Kiev": "Europe/Kyiv"}


def zone_suggestion(name: str) -> str | None:
    """The one time zone whose city is ``name`` ("Kyiv", "warsaw", "new york", "Київ" →
    Europe/Kyiv, Europe/Warsaw, America/New_York, Europe/Kyiv), or ``None`` (none, or
    several)."""
    import zoneinfo

    city = "_".join(name.strip().split()).casefold()
    if not city or "/" in city:
        return None
    if city in _CYRILLIC_CITIES:
        return _CYRILLIC_CITIES[city]
    found = sorted(
        z for z in zoneinfo.available_timezones() if z.rsplit("/", 1)[-1].casefold() == city
    )
    # the canonical name where tzdata keeps an alias too ("Europe/Kiev" → "Europe/Kyiv")
    canonical = [z for z in found if not z.startswith(("Etc/", "US/", "SystemV/"))]
    return _RENAMED.get(canonical[0], canonical[0]) if len(canonical) == 1 else None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        typed = (name or "")[:64]
        suggestion = zone_suggestion(typed)
        if suggestion is not None:
            message = _(
                "Unknown time zone %(zone)s: time zones are written as region/city; "
                "did you mean %(suggestion)s?"
            ) % {"zone": typed, "suggestion": suggestion}
        else:
            message = _("Unknown time zone %(zone)s: use a name such as Europe/Kyiv or UTC.") % {
                "zone": typed
            }
        raise ValidationFailed(message, field="time_zone") from exc


def _import_dir() -> Path:
    folder = Path(settings.OPENNRM_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _owned_upload(path: Path) -> bool:
    """True for a file this app stored for the worker (never the user's own file)."""
    try:
        return path.resolve().parent.parent == Path(settings.OPENNRM_IMPORT_DIR).resolve()
    except OSError:
        return False


#: the extension of an upload waiting encrypted for the worker (its own name, which may
#: name someone, is kept only in the run's encrypted ``source_name``)
SPOOL_SUFFIX = ".spool"

#: what the spool keys are derived from ``OPENNRM_DATA_KEYS`` for (when no file key is set)
_SPOOL_PURPOSE = b"opennrm import spool v1"


def spool_keys() -> list[str]:
    """The keys of the uploads waiting for the worker: the first encrypts, all decrypt.

    ``OPENNRM_FILE_KEYS`` (the attachments' keys) when set, followed by keys derived
    (HKDF) from ``OPENNRM_DATA_KEYS``, which every installation has (production refuses
    to start without its own): so an upload is never refused for want of a file key, and
    uploads queued before a file key was configured are still read after."""
    from opennrm.crypto.keys import derive_keys

    own = [k.strip() for k in settings.OPENNRM_FILE_KEYS if k.strip()]
    return own + derive_keys(settings.OPENNRM_DATA_KEYS, _SPOOL_PURPOSE)


def _spooled(path: Path) -> bool:
    """An upload stored encrypted (not a command-line file, nor one queued in clear by an
    earlier version, both read as they are)."""
    return path.suffix == SPOOL_SUFFIX and _owned_upload(path)


@contextlib.contextmanager
def _spool_folder_lock(path: Path) -> Iterator[None]:
    """Hold the lock of an upload's own folder: the worker removing the file and a key
    rotation re-encrypting it take turns, so the rotation never puts back a file that
    was just removed (it would stay there for good)."""
    import fcntl

    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # the folder is gone: nothing to lock
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_upload(path: Path) -> None:
    if _owned_upload(path):
        with _spool_folder_lock(path):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()


def _too_large() -> TooLarge:
    limit = settings.OPENNRM_MAX_UPLOAD_BYTES
    return TooLarge(
        _(
            "The file is larger than %(mb)s MB. Split it into smaller files, or ask the "
            "administrator to import it on the server (opennrm online import)."
        )
        % {"mb": limit // 1_000_000},
        field="file",
    )


def import_size_check(*, size: int) -> None:
    """Refuse an upload whose request is past ``OPENNRM_MAX_UPLOAD_BYTES`` (:class:`TooLarge`,
    field ``file``) before its body is read: the import page and the API ask this with the
    request's length, and :func:`import_enqueue` counts the bytes again as they stream in."""
    if size > settings.OPENNRM_MAX_UPLOAD_BYTES:
        raise _too_large()


def _safe_name(name: str) -> str:
    """The name an upload is read under (problems then read ``name:line``, and the format
    is guessed from its extension): the uploaded file's own name when it is plain, else
    ``upload`` plus its extension. Never a name on the disk (the upload waits there as a
    random ``*.spool``); the run keeps it encrypted in ``source_name``."""
    base = Path(name.replace("\\", "/")).name[:120]
    if base and base[0] != "." and all(c.isalnum() or c in "._- " for c in base):
        return base
    suffix = "".join(Path(base).suffixes[-2:])[:16].lower()
    return "upload" + (suffix if all(c.isalnum() or c == "." for c in suffix) else "")


def import_enqueue(
    *,
    actor: User,
    chunks: Iterable[bytes],
    source_name: str,
    fmt: str = "auto",
    text_column: str | None = None,
    time_zone: str | None = None,
) -> ImportRun:
    """Store an uploaded file in the private import folder and queue its import.

    The file is encrypted as it streams in (chunk by chunk, never whole in memory, never
    in clear on the disk: :mod:`opennrm.crypto.files` under :func:`spool_keys`), under a
    random name ending in ``.spool`` in a folder of its own; its own name, which may name
    someone, is kept only in the run's encrypted ``source_name``. It is refused past
    ``OPENNRM_MAX_UPLOAD_BYTES``. The background worker (``opennrm worker``) then runs
    :func:`import_process`, which reads it decrypted as a stream; the returned run shows
    its progress.
    """
    _require(actor)
    _zone(time_zone)
    _check_format(fmt)
    limit = settings.OPENNRM_MAX_UPLOAD_BYTES
    # a picture renamed .csv, or a table without the text column, is said now, beside the
    # form, not by a run that fails in the background a minute later
    rest = iter(chunks)
    head = _first_bytes(rest, SNIFF_BYTES)
    _check_start(head, source_name, fmt, text_column)
    keys = spool_keys()
    folder = Path(tempfile.mkdtemp(dir=_import_dir(), prefix="run-"))  # 0700, unguessable

    def counted() -> Iterator[bytes]:
        size = 0
        for chunk in itertools.chain([head], rest):
            size += len(chunk)
            if size > limit:
                raise _too_large()
            yield chunk

    path = folder / "unwritten"
    try:
        stored = crypto_files.store_encrypted(
            counted(), directory=folder, keys=keys, suffix=SPOOL_SUFFIX
        )
        path = folder / stored.storage_name
        size = stored.size
        with transaction.atomic():
            run = _queued_run(actor, path, source_name, fmt, text_column, time_zone)
            from opennrm.online.tasks import import_file

            import_file.enqueue(run_id=run.pk)  # the job row commits with the run, or neither
            # who queued what: the run (which keeps the file's name), the size, the type
            # and a digest of the content; the name itself may name someone, so not here
            audit_record(
                actor=actor,
                action="online.import_queue",
                object_type="import",
                object_ref=str(run.pk),
                detail={
                    "bytes": size,
                    "format": fmt,
                    "file_type": Path(_safe_name(source_name)).suffix.lstrip(".")[:16],
                    "sha256": stored.sha256,
                },
            )
    except BaseException:
        path.unlink(missing_ok=True)
        folder.rmdir()
        raise
    return run


def _first_bytes(chunks: Iterator[bytes], size: int) -> bytes:
    """At least ``size`` bytes taken from ``chunks`` (all of them when fewer): the
    upload's start, held in memory (a chunk or a few) until it is checked."""
    taken: list[bytes] = []
    have = 0
    for chunk in chunks:
        taken.append(chunk)
        have += len(chunk)
        if have >= size:
            break
    return b"".join(taken)


def _check_start(head: bytes, source_name: str, fmt: str, text_column: str | None) -> None:
    """Refuse an upload whose start already shows the import would fail (the same check
    the worker makes: :func:`opennrm.monitoring.ingest.check_start`), in the user's
    language; a CSV header without the text column is answered with the header's names
    (shown to the uploader, who has the file, and stored nowhere)."""
    try:
        check_start(head, _safe_name(source_name), fmt, text_column=text_column)
    except IngestError as exc:
        from opennrm.online.problems import describe_import_error

        field_name = "file"
        detail = {"code": exc.code}
        if exc.code == "csv.no_text_column":
            field_name = "text_column"
            # a name in the language's quotation marks
            columns = ", ".join(_("“%(name)s”") % {"name": c[:60]} for c in exc.columns[:40])
            detail["columns"] = columns  # an API says the sentence its own way
            if text_column:
                message = _(
                    "The CSV file has no text column “%(wanted)s”. Its columns are: "
                    "%(columns)s. Write the name of the column that holds the text in “Text "
                    "column (CSV only)”, then choose the file again."
                ) % {"wanted": text_column[:100], "columns": columns or "—"}
            else:
                message = _(
                    "None of the CSV file's columns has a name a text column usually has "
                    "(%(usual)s). Its columns are: %(columns)s. Write the name of the column "
                    "that holds the text in “Text column (CSV only)”, then choose the file "
                    "again."
                ) % {"usual": ", ".join(TEXT_COLUMNS), "columns": columns or "—"}
        else:
            reason = describe_import_error(exc.code, exc.params)
            message = _("The file could not be imported: %(reason)s") % {"reason": reason}
        raise ValidationFailed(message, field=field_name, details=[detail]) from None


def _queued_run(
    actor: User,
    path: Path,
    source_name: str,
    fmt: str,
    text_column: str | None,
    time_zone: str | None,
) -> ImportRun:
    """A new run of ``path`` waiting to be processed (an upload's or the command line's)."""
    return ImportRun.objects.create(
        agency_id=actor.agency_id,
        imported_by=actor,
        source_name=source_name[:255],
        state=ImportState.QUEUED,
        upload_path=str(path),
        fmt=fmt,
        text_column=(text_column or "")[:100],
        time_zone=(time_zone or "")[:64],
    )


def _check_format(fmt: str) -> None:
    if fmt != "auto" and fmt not in FORMATS:
        raise ValidationFailed(
            _("Unknown format %(fmt)s: use one of %(formats)s.")
            % {"fmt": fmt[:32], "formats": ", ".join(FORMATS)},
            field="format",
        )


def online_import(
    *,
    actor: User,
    path: Path,
    source_name: str,
    fmt: str = "auto",
    text_column: str | None = None,
    time_zone: str | None = None,
) -> ImportRun:
    """Import one file now, in this process (the command line): the same job the
    worker runs for an upload, in the same batches. The file is left where it is.

    Malformed records are skipped and reported (file and line); posts this agency
    already has are not stored twice. Times written without an offset are read in
    ``time_zone`` (default: the server's ``TIME_ZONE``); a post whose date cannot be read
    is kept with its date unknown, and reported. A file that cannot be read at all raises
    :class:`ValidationFailed` (the run is kept, marked failed).
    """
    _require(actor)
    _zone(time_zone)
    _check_format(fmt)
    with transaction.atomic():
        run = _queued_run(actor, path, source_name, fmt, text_column, time_zone)
        # ``actor`` is whom the operator named (``--user``): the entry also records who
        # ran the command on which machine, so an auditor can tell a command-line import
        # from an upload (which has its ``online.import_queue`` entry, by the signed-in
        # user) and find the operator; not the file's name or path (they may name someone)
        audit_record(
            actor=actor,
            action="online.import_command",
            object_type="import",
            object_ref=str(run.pk),
            detail={
                "os_user": _os_user(),
                "host": socket.gethostname()[:64],
                "bytes": _size(path),
                "format": fmt,
                "file_type": Path(path.name).suffix.lstrip(".")[:16],
            },
        )
    run = import_process(run_id=run.pk)
    if run.state == ImportState.FAILED:
        reason = (
            _("The file could not be imported: %(reason)s") % {"reason": run.error_text}
            if run.error
            else str(UNEXPECTED)
        )
        raise ValidationFailed(reason, field="file")
    return run


def _os_user() -> str:
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None  # unreadable: the import says so


PROBLEMS_KEPT = 200


def import_process(*, run_id: int) -> ImportRun:
    """The import job: read the file as a stream, score and store it in batches.

    An upload (a ``*.spool`` in the import folder) is read decrypted as it goes, never
    written in clear; a command-line file (and an upload queued in clear by an earlier
    version) is read as it is.

    Each batch of ``OPENNRM_IMPORT_BATCH_POSTS`` posts is scored outside any transaction
    and written in one short transaction (with the run's counters), so memory stays
    constant and other writers wait at most one batch's write. Campaigns grow across
    batches and imports through the agency's campaign index (``online/campaigns.py``),
    updated in the transaction that ends the batch; so do networks (posts that share a
    contact); contacts join the agency's persistent store across batches and imports. A run that is not
    queued (already taken, done or failed) is returned unchanged, so a job delivered
    twice imports once.
    """
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.state != ImportState.QUEUED:
            return run if run is not None else ImportRun.objects.get(pk=run_id)
        run.state = ImportState.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.save(update_fields=["state", "started_at", "heartbeat_at"])
    actor = User.objects.select_related("agency").get(pk=run.imported_by_id)
    path = Path(run.upload_path)
    spooled = _spooled(path)
    report = IngestReport()
    counts = {"stored": 0, "db_duplicates": 0}
    state, error, params = ImportState.DONE, "", {}
    flags_version = ""
    model = None
    reclaimed = False
    try:
        zone = _zone(run.time_zone or None)
        model = _model()
        config = PipelineConfig()
        posts = iter_posts(
            path,
            run.fmt,
            report=report,
            text_column=run.text_column or None,
            default_tz=zone,
            max_decompressed_bytes=settings.OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES,
            # an upload is read decrypted as a stream (the plaintext never on the disk),
            # named in problems and format guessing by the name it was uploaded under
            opener=_spool_opener(path) if spooled else None,
            name=_safe_name(run.source_name) if spooled else None,
        )
        holder = IndexHolder(run.agency_id, config) if settings.OPENNRM_CAMPAIGN_INDEX else None
        keyer = post_keyer(run.agency_id)
        for batch in batched(posts, max(1, settings.OPENNRM_IMPORT_BATCH_POSTS)):
            # the agency's ids from here on (scoring, campaigns, the index, the rows): the
            # library's content hash alone would let a copy of the database confirm a post
            batch = keyer.posts(batch)
            flags_version = _import_batch(run, actor, batch, report, counts, model, config, holder)
    except _Reclaimed:  # judged lost and continued elsewhere: leave the run and its file
        reclaimed = True
    except IngestError as exc:  # a code and its values, said in each reader's language
        state, error, params = ImportState.FAILED, exc.code, _json_safe(exc.params)
    except ValidationFailed as exc:
        if exc.field == "time_zone":
            state, error = ImportState.FAILED, "time_zone"
            params = {"zone": run.time_zone[:64]}
        else:
            state, error = ImportState.FAILED, exc.message
    except crypto_files.NoKey:  # the upload's key was removed before it was imported
        log.warning("import %s: its upload decrypts under no configured key", run.pk)
        state, error = ImportState.FAILED, "spool.undecryptable"
    except crypto_files.Damaged:  # a later part of the upload was altered or cut on the disk
        log.warning("import %s: its upload is damaged (a later part does not decrypt)", run.pk)
        state, error = ImportState.FAILED, "spool.damaged"
    except Exception as exc:  # the run must end in a state a person can read
        log.error("import %s stopped: %s", run.pk, type(exc).__name__)  # no content: no data
        state, error = ImportState.FAILED, ""
    finally:
        owned = _owned_upload(path)
        if not reclaimed:
            _remove_upload(path)
    if reclaimed:
        return ImportRun.objects.get(pk=run.pk)
    waited = time.monotonic()
    for attempt in itertools.count():  # the end must be recorded even on a busy database
        try:
            with transaction.atomic():
                if not _still_mine(run):
                    return ImportRun.objects.get(pk=run.pk)
                _counters(run, report, counts)
                run.state = state
                run.error = error
                run.error_params = params
                run.finished_at = timezone.now()
                run.upload_path = "" if owned else run.upload_path
                run.model_version = str(model.manifest.get("created_at", ""))[:64] if model else ""
                run.flags_version = flags_version[:64]
                run.save()
                audit_record(
                    actor=actor,
                    action="online.import",
                    object_type="import",
                    object_ref=str(run.pk),
                    detail={
                        "state": state,
                        "stored": run.stored,
                        "skipped": run.skipped,
                        "duplicates": run.duplicates,
                    },
                )
            break
        except OperationalError as exc:
            if not _wait_to_retry(exc, attempt, waited, tries=4):
                raise
    return run


def _spool_opener(path: Path) -> Callable[[], io.BufferedReader]:
    keys = spool_keys()

    def opener() -> io.BufferedReader:
        return crypto_files.open_decrypted(path, keys=keys)

    return opener


def _wait_to_retry(exc: Exception, attempt: int, since: float, *, tries: int) -> bool:
    """After a write of the import job failed with ``exc``: sleep and return True to try
    again, or False to give up. A database that stays locked (SQLite under many writers:
    its waiting is not first come, first served, so a long transaction can lose the lock
    again and again) is tried again for ``OPENNRM_IMPORT_LOCK_PATIENCE`` seconds from
    ``since``; any other failure ``tries`` times in all."""
    locked = isinstance(exc, OperationalError) and "locked" in str(exc)
    if locked and time.monotonic() - since < settings.OPENNRM_IMPORT_LOCK_PATIENCE:
        time.sleep(min(5.0, 0.2 * (attempt + 1)))
        return True
    if attempt + 1 >= tries:
        return False
    time.sleep(0.2 * (attempt + 1))
    return True


def _json_safe(params: dict[str, Any]) -> dict[str, str | int]:
    return {
        str(k)[:32]: v if isinstance(v, int) and not isinstance(v, bool) else str(v)[:200]
        for k, v in params.items()
    }


class _Reclaimed(Exception):
    """The run was judged lost (no heartbeat for too long) and reclaimed meanwhile."""


def _still_mine(run: ImportRun) -> bool:
    """Beat the run's heart, unless it was reclaimed: the first write of each transaction
    of the job (it takes the row's lock, as the reclaim does)."""
    run.heartbeat_at = timezone.now()
    return bool(
        ImportRun.objects.filter(pk=run.pk, state=ImportState.RUNNING).update(
            heartbeat_at=run.heartbeat_at
        )
    )


def import_reclaim_stale(*, now: datetime | None = None) -> list[ImportRun]:
    """Reclaim imports left "importing" by a worker that died (killed, machine restarted).

    A run whose heartbeat is older than ``OPENNRM_IMPORT_STALE_SECONDS`` is marked failed
    and, while its stored upload is still there and it was tried fewer than
    ``OPENNRM_IMPORT_MAX_ATTEMPTS`` times, continued in a new queued run over the same
    file (posts already stored count as duplicates there, so each post is stored once).
    A file given on the command line is never taken over: that run is only marked failed.
    The worker calls this when it starts and then every minute. Returns the runs reclaimed.
    """
    from opennrm.online.tasks import import_file

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=max(1, settings.OPENNRM_IMPORT_STALE_SECONDS))
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    reclaimed = []
    for pk in ImportRun.objects.filter(stale, state=ImportState.RUNNING).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            run = (
                ImportRun.objects.select_for_update()
                .filter(stale, pk=pk, state=ImportState.RUNNING)
                .first()
            )
            if run is None:  # it beat meanwhile, or another worker reclaimed it
                continue
            path = Path(run.upload_path) if run.upload_path else None
            ours = path is not None and _owned_upload(path) and path.is_file()
            detail: dict[str, Any] = {"attempt": run.attempt}
            fields = ["state", "error", "finished_at", "continued_as", "upload_path"]
            run.state, run.finished_at = ImportState.FAILED, now
            if ours and run.attempt < settings.OPENNRM_IMPORT_MAX_ATTEMPTS:
                nxt = ImportRun.objects.create(
                    agency_id=run.agency_id,
                    imported_by_id=run.imported_by_id,
                    source_name=run.source_name,
                    state=ImportState.QUEUED,
                    upload_path=run.upload_path,
                    fmt=run.fmt,
                    text_column=run.text_column,
                    time_zone=run.time_zone,
                    attempt=run.attempt + 1,
                )
                import_file.enqueue(run_id=nxt.pk)  # commits with the runs, or nothing does
                run.error, run.continued_as, run.upload_path = "resumed", nxt, ""
                detail.update(outcome="resumed", continued_as=nxt.pk)
            else:
                run.error = "gave_up" if ours else "interrupted"
                if ours:
                    run.upload_path = ""
                    transaction.on_commit(lambda p=path: _remove_upload(p))  # type: ignore[misc]
                detail["outcome"] = "failed"
            run.save(update_fields=fields)
            audit_record(
                actor=None,
                action="online.import_reclaim",
                object_type="import",
                object_ref=str(run.pk),
                detail=detail,
            )
        log.warning("import %s lost its worker: %s", run.pk, detail["outcome"])
        reclaimed.append(run)
    return reclaimed


def import_spools_rotate() -> crypto_files.Reencrypted:
    """Re-encrypt under the current key every upload still waiting for (or being read
    by) the worker (``opennrm keys rotate``): a queue can wait a while, and the key it
    was written under may be about to be removed. A worker reading one meanwhile goes
    on with the file it opened; one that removes its file waits for the rotation of that
    file to end (the folder's lock). Command-line files are never touched. An upload
    under no configured key is counted (``undecryptable``) and left: its run fails with
    ``spool.undecryptable`` when the worker takes it."""
    keys = spool_keys()
    counts = crypto_files.Reencrypted()
    waiting = ImportRun.objects.filter(state__in=[ImportState.QUEUED, ImportState.RUNNING])
    for upload_path in waiting.order_by("pk").values_list("upload_path", flat=True):
        path = Path(upload_path) if upload_path else None
        if path is None or not _spooled(path):
            continue
        with _spool_folder_lock(path):  # a missing file: imported (and removed) meanwhile
            counts.reencrypt(path.name, directory=path.parent, keys=keys)
    return counts


def _counters(run: ImportRun, report: IngestReport, counts: dict[str, int]) -> None:
    run.read = report.read
    run.skipped = report.skipped
    run.stored = counts["stored"]
    run.duplicates = report.duplicates + counts["db_duplicates"]
    run.problems = [
        {
            "where": d.where[:300],
            "why": _clip(d.text, 200),
            "code": d.code,
            "params": {str(k)[:32]: _clip(v, 40) for k, v in dict(d.params).items()},
        }
        for d in report.details[:PROBLEMS_KEPT]
    ]  # the code is said in the reader's language (online/problems.py), "why" in English


def _clip(value: Any, limit: int) -> Any:
    """A value quoted from a record (a "date" that holds a whole message, thousands of
    digits) kept to its first characters: the problem list names the record, it is no
    copy of it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _import_batch(
    run: ImportRun,
    actor: User,
    batch: list[Post],
    report: IngestReport,
    counts: dict[str, int],
    model: Any,
    config: PipelineConfig,
    holder: IndexHolder | None = None,
) -> str:
    """Score one batch and store it in short transactions, the last one with the run's
    counters and (with ``holder``) the agency's campaign index; returns the flags version."""
    ids = [p.id for p in batch]
    stored = set(
        MonitoredPost.objects.filter(agency_id=actor.agency_id, post_id__in=ids).values_list(
            "post_id", flat=True
        )
    )
    fresh = [p for p in batch if p.id not in stored]
    dropped = 0

    def score(posts: list[Post]) -> tuple[list[Any], Any]:
        parts = [
            process_batch(b, model=model, config=config) for b in batched(posts, config.batch_size)
        ]
        return parts, assemble(parts, config=config)

    try:
        parts, result = score(fresh)
    except Exception:  # one post the pipeline cannot handle must not cost the batch
        kept = []
        for post in fresh:
            try:
                score([post])
            except Exception as exc:
                report.problem(
                    post.record or "?",
                    f"could not be scored ({type(exc).__name__})",
                    "score.failed",
                )
            else:
                kept.append(post)
        dropped = len(fresh) - len(kept)
        fresh = kept
        parts, result = score(fresh)
    # Written in short transactions of OPENNRM_IMPORT_WRITE_POSTS posts: the write lock
    # (SQLite has one) is held for a fraction of a second at a time.
    # with the agency's index, campaigns and networks are its (across imports), not the batch's
    groups = () if holder is not None else (*result.campaigns, *result.networks)
    found = {(g.kind, g.id): g for g in groups}
    already = [p for p in batch if p.id in stored]
    made: dict[tuple[str, str], PostGroup] = {}
    step = max(1, settings.OPENNRM_IMPORT_WRITE_POSTS)
    starts = list(range(0, len(fresh), step)) or [0]
    for start in starts:
        end = min(start + step, len(fresh))
        last = start == starts[-1]
        before = counts["stored"], counts["db_duplicates"], run.batches, dict(made)
        waited = time.monotonic()
        for attempt in itertools.count():
            try:
                # the index grows outside the transaction; only its write is inside
                staged = holder.stage(parts, already) if holder is not None and last else None
                with transaction.atomic():
                    if not _still_mine(run):
                        raise _Reclaimed
                    created = (
                        _store_batch(run, actor, fresh, result, start, end, found, made)
                        if end > start
                        else 0
                    )
                    counts["stored"] += created
                    # stored a moment ago by a concurrent import
                    counts["db_duplicates"] += (end - start) - created
                    if last:  # already stored before this batch
                        counts["db_duplicates"] += len(batch) - dropped - len(fresh)
                        run.batches += 1
                    if staged is not None:
                        holder.commit(staged, run)  # type: ignore[union-attr]
                    _counters(run, report, counts)
                    run.save(
                        update_fields=[
                            "read", "skipped", "stored", "duplicates", "problems", "batches",
                            "heartbeat_at",
                        ]
                    )  # fmt: skip
                break
            except (OperationalError, IntegrityError, IndexMoved) as exc:
                # a deadlock or a lock wait past the timeout with a concurrent import or
                # other writers, or a newer campaign index: the transaction rolled back
                # whole, so it can simply be written again (the index reloaded)
                counts["stored"], counts["db_duplicates"], run.batches, made = before
                if holder is not None:
                    holder.invalidate()
                if not _wait_to_retry(exc, attempt, waited, tries=6):
                    raise
    return result.flags_version


def _store_batch(
    run: ImportRun,
    actor: User,
    posts: list[Post],
    result: Any,
    start: int,
    end: int,
    found: dict[tuple[str, str], Any],
    made: dict[tuple[str, str], PostGroup],
) -> int:
    """Store posts ``start:end`` of a scored batch (and the groups they belong to that
    are not stored yet); returns how many were new."""
    agency_id = actor.agency_id

    def group(kind: str, key: str | None) -> PostGroup | None:
        if key is None or (kind, key) not in found:
            return None
        if (kind, key) not in made:
            g = found[(kind, key)]
            made[(kind, key)] = PostGroup.objects.create(
                run=run,
                agency_id=agency_id,
                key=g.id,
                kind=g.kind,
                size=g.size,
                first_seen=g.first_seen,
                last_seen=g.last_seen,
                channels=[list(c) for c in g.channels],
                languages=[list(lang) for lang in g.languages],
                mean_risk=g.mean_risk,
                max_risk=g.max_risk,
                flagged=g.flagged,
                template=g.template,
                contacts=list(g.contacts),
            )
        return made[(kind, key)]

    rows = []
    cipher = data_cipher()
    indexes: dict[str, str] = {}
    for post, scored, cluster_id, network_id in zip(
        posts[start:end],
        result.posts[start:end],
        result.cluster_ids[start:end],
        result.network_ids[start:end],
        strict=True,
    ):
        channel = _storable(post.channel or "")[:255]
        if channel not in indexes:
            indexes[channel] = channel_index(agency_id, channel, cipher)
        rows.append(
            MonitoredPost(
                agency_id=agency_id,
                run=run,
                post_id=post.id,
                source=_storable(post.source)[:255],
                channel=channel,
                channel_index=indexes[channel],
                author=_storable(post.author or "")[:255],
                url=_storable(post.url or "")[:2000],
                posted_at=post.posted_at,
                record=_storable(post.record or "")[:300],
                text=_storable(post.text),
                language=scored.language or "",
                risk=scored.risk,
                model_score=scored.model_score,
                flag_score=scored.flag_score,
                flagged=scored.flagged,
                category=scored.category or "",
                reasons=[
                    {
                        "kind": r.kind,
                        "id": r.id,
                        "text": _storable(r.text),
                        "weight": r.weight,
                        "evidence": _storable(r.evidence),
                    }
                    for r in scored.reasons
                ],
                contacts=[_storable(c) for c in scored.contacts],
                campaign=group("campaign", cluster_id),
                network=group("network", network_id),
            )
        )
    # Another import of the same agency may store some of these posts first: theirs win,
    # ours are skipped as duplicates (no IntegrityError), and only ours are linked.
    MonitoredPost.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    mine = dict(
        MonitoredPost.objects.filter(run=run, post_id__in=[r.post_id for r in rows]).values_list(
            "post_id", "pk"
        )
    )
    kept = []
    for row in rows:
        pk = mine.get(row.post_id)
        if pk is not None:
            row.pk = pk
            kept.append(row)
    _link_contacts(agency_id, kept, run.at)
    return len(kept)


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL; the character carries nothing a reviewer needs
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _grow_contacts(rows: list[tuple[int, int, datetime, datetime]]) -> None:
    """Add (contact id, posts, first seen, last seen) to the stored counters in a few
    statements (``UPDATE … FROM (VALUES …)``, on SQLite and PostgreSQL alike), in the
    database: a concurrent import's additions are never lost, and the batch holds the
    write lock for milliseconds, not one statement per contact."""
    table = connection.ops.quote_name(Contact._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    for start in range(0, len(rows), 300):
        chunk = rows[start : start + 300]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        if connection.vendor == "postgresql":
            values = ", ".join(
                ["(%s::bigint, %s::integer, %s::timestamptz, %s::timestamptz)"] * len(chunk)
            )
        params: list[Any] = []
        for pk, count, first, last in chunk:
            params += [pk, count, adapt(first), adapt(last)]
        sql = (
            f"UPDATE {table} SET posts_count = posts_count + v.column2, "  # noqa: S608 - names are ours, values are parameters
            "first_seen = CASE WHEN v.column3 < first_seen THEN v.column3 ELSE first_seen END, "
            "last_seen = CASE WHEN v.column4 > last_seen THEN v.column4 ELSE last_seen END "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _link_contacts(agency_id: int, posts: list[MonitoredPost], now: datetime) -> None:
    """Add these posts' contacts to the agency's store and link the posts to them.

    A contact seen in an earlier import (or batch) is the same row: its first/last seen
    and post count grow, and its page lists every post, old and new. Safe against a
    concurrent import of the same agency: rows are created with ``ignore_conflicts``
    (never an IntegrityError) and counters grow in the database (``F``/``Least``/
    ``Greatest``), never read-modify-write.
    """
    seen: dict[tuple[str, str], list[MonitoredPost]] = {}
    for post in posts:
        for contact in post.contacts:
            kind, _sep, value = contact.partition(":")
            if kind in ContactKind.values and value:
                seen.setdefault((kind, value[:500]), []).append(post)
    if not seen:
        return

    def when(post: MonitoredPost) -> datetime:
        return post.posted_at or now

    spans = {
        key: (min(when(p) for p in linked), max(when(p) for p in linked))
        for key, linked in seen.items()
    }
    keys = sorted(seen)  # one order for every import: no lock-order deadlock
    # values are encrypted: a contact is found by its blind index (under every key, so a
    # row written before a key rotation is found too) and created with the current one
    cipher = data_cipher()
    current = {key: contact_index(agency_id, *key, cipher) for key in keys}
    known = _known_contacts(agency_id, keys)
    missing = [key for key in keys if key not in known]
    Contact.objects.bulk_create(
        [
            Contact(
                agency_id=agency_id,
                kind=kind,
                value=value,
                value_index=current[(kind, value)],
                first_seen=spans[(kind, value)][0],
                last_seen=spans[(kind, value)][1],
                posts_count=0,
            )
            for kind, value in missing
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    if missing:
        known.update(_known_contacts(agency_id, missing))
    _grow_contacts([(known[key], len(seen[key]), *spans[key]) for key in keys])
    ContactMention.objects.bulk_create(
        [
            ContactMention(contact_id=known[key], post_id=post.pk)
            for key in keys
            for post in seen[key]
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


def _known_contacts(agency_id: int, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """``(kind, value) -> pk`` of the agency's stored contacts among ``keys``."""
    by_index = {i: key for key in keys for i in contact_indexes(agency_id, *key)}
    wanted = sorted(by_index)
    known: dict[tuple[str, str], int] = {}
    for start in range(0, len(wanted), 500):
        for pk, index in Contact.objects.filter(
            agency_id=agency_id, value_index__in=wanted[start : start + 500]
        ).values_list("pk", "value_index"):
            known[by_index[index]] = pk
    return known


def _review(post: MonitoredPost, actor: User, status: str) -> None:
    post.status = status
    post.reviewed_by = actor
    post.reviewed_at = timezone.now()


def _no_post() -> NotFound:
    return NotFound(_("No such post, or you do not have access to it."))


def _visible(actor: User, posts: Iterable[MonitoredPost], what: str) -> list[MonitoredPost]:
    """``posts`` as the one access selector gives them to ``actor``, or ``NotFound`` when
    any is another agency's (the attempt audited): whoever calls a service (a page, an
    API handler, a command) cannot act on or export what the actor may not see."""
    from opennrm.online import selectors

    wanted = {p.pk for p in posts}
    seen = selectors.posts_get_for(actor, wanted, what=what)
    if len(seen) != len(wanted):
        raise _no_post()
    return seen


def _locked(actor: User, post: MonitoredPost) -> MonitoredPost:
    from opennrm.online import selectors

    locked = selectors.posts_visible_to(actor).select_for_update().filter(pk=post.pk).first()
    if locked is None:
        raise _no_post()
    return locked


def post_open_case(*, actor: User, post: MonitoredPost) -> Case:
    """Turn an alert into a case (a lead, in the flagged state) linked to the post."""
    _require(actor)
    _visible(actor, [post], "online.lead")  # a refusal is audited outside the transaction
    return _post_open_case(actor=actor, post=post)


@transaction.atomic
def _post_open_case(*, actor: User, post: MonitoredPost) -> Case:
    post = _locked(actor, post)  # two reviewers, one case
    if post.case_id is not None:
        raise Conflict(_("A case was already opened from this post."))
    # said in the officer's language, as the page showed them (never the stored "flag: …")
    reasons = "; ".join(describe_reason(r) for r in post.reasons[:5]) or "—"
    case = case_create(
        actor=actor,
        exploitation_type=ExploitationType.UNKNOWN,
        summary=_(
            "Lead from online monitoring (post %(id)s, channel %(channel)s, risk %(risk)s). Reasons: %(reasons)s"
        )
        % {
            "id": post.post_id[:12],
            "channel": post.channel or "—",
            "risk": floatformat(post.risk, 2),  # "0,80" in uk/ru, as the pages write it
            "reasons": reasons,
        },
    )
    _review(post, actor, PostStatus.LEAD)
    post.case = case
    post.save(update_fields=["status", "reviewed_by", "reviewed_at", "case"])
    Feedback.objects.create(post=post, label=1, given_by=actor)
    audit_record(
        actor=actor,
        action="online.lead",
        object_type="case",
        object_ref=case.reference,
        detail={"post": post.pk},
    )
    return case


def post_mark_false_positive(*, actor: User, post: MonitoredPost) -> MonitoredPost:
    _require(actor)
    _visible(actor, [post], "online.false_positive")  # refusal audited outside the transaction
    return _post_mark_false_positive(actor=actor, post=post)


@transaction.atomic
def _post_mark_false_positive(*, actor: User, post: MonitoredPost) -> MonitoredPost:
    post = _locked(actor, post)
    if post.status == PostStatus.LEAD:
        raise Conflict(_("A case was opened from this post; close the case instead."))
    if post.status == PostStatus.FALSE_POSITIVE:
        return post  # a double tap or a second press: one label for retraining, one entry
    _review(post, actor, PostStatus.FALSE_POSITIVE)
    post.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    Feedback.objects.create(post=post, label=0, given_by=actor)
    audit_record(
        actor=actor, action="online.false_positive", object_type="post", object_ref=str(post.pk)
    )
    return post


def post_undo_false_positive(*, actor: User, post: MonitoredPost) -> MonitoredPost:
    """Return a post marked false positive (a mistaken tap) to the queue: its status back
    to new, the one it had before (only a new post can be marked: a lead cannot), unreviewed
    again, and the label the marking stored for retraining removed, so the mistake does not
    teach the model. Who may mark may undo; another agency's post looks missing."""
    _require(actor)
    _visible(actor, [post], "online.false_positive_undo")  # refusal audited outside
    return _post_undo_false_positive(actor=actor, post=post)


@transaction.atomic
def _post_undo_false_positive(*, actor: User, post: MonitoredPost) -> MonitoredPost:
    post = _locked(actor, post)
    if post.status == PostStatus.LEAD:
        raise Conflict(_("A case was opened from this post; close the case instead."))
    if post.status != PostStatus.FALSE_POSITIVE:
        return post  # a double tap, or already returned by a colleague: nothing to undo
    post.status = PostStatus.NEW
    post.reviewed_by = None
    post.reviewed_at = None
    post.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    # the marking stores one "not recruitment" label (a second press stores none)
    removed, _by_model = Feedback.objects.filter(post=post, label=0).delete()
    audit_record(
        actor=actor,
        action="online.false_positive_undo",
        object_type="post",
        object_ref=str(post.pk),
        detail={"labels_removed": removed},
    )
    return post


def _shown(objects: Iterable[Any], key: str = "posts") -> dict[str, Any] | None:
    # which posts (or imports) a page put in front of the reader: their texts can name
    # people, and an auditor after a leak asks "who saw post 123", not only "who opened
    # the campaign"
    ids = [o.pk for o in objects]
    return {key: ids} if ids else None


def _list_audit(
    *, actor: User, action: str, object_type: str, detail: dict[str, Any] | None
) -> None:
    """A list page's entry: nothing when it listed nothing."""
    if detail is not None:
        audit_record(
            actor=actor, action=action, object_type=object_type, object_ref="", detail=detail
        )


def contact_view_audit(
    *, actor: User, contact: Contact, posts: Iterable[MonitoredPost] = ()
) -> None:
    """A contact page names a person's phone or account: opening one is recorded."""
    audit_record(
        actor=actor,
        action="online.contact_view",
        object_type="contact",
        object_ref=str(contact.pk),
        detail=_shown(posts),
    )


def group_view_audit(*, actor: User, group: PostGroup, posts: Iterable[MonitoredPost] = ()) -> None:
    """A campaign or network page lists the phones and accounts its posts share."""
    audit_record(
        actor=actor,
        action="online.group_view",
        object_type="group",
        object_ref=str(group.pk),
        detail=_shown(posts),
    )


def queue_view_audit(*, actor: User, posts: Iterable[MonitoredPost], channels: int = 0) -> None:
    """A page of the alert queue shows posts' texts, phones and handles highlighted: which
    posts were shown is recorded (nothing when the page is empty), and how many channel
    names it offered to filter by (a chat's name can be a person's)."""
    detail = _shown(posts)
    if channels:
        detail = (detail or {}) | {"channels": channels}
    _list_audit(actor=actor, action="online.queue_view", object_type="post", detail=detail)


def import_view_audit(*, actor: User, run: ImportRun) -> None:
    """An import's page and API answer show the file's name (which may name someone) and
    its problems, which quote a few characters of the records they skipped."""
    audit_record(
        actor=actor, action="online.import_view", object_type="import", object_ref=str(run.pk)
    )


def import_list_audit(*, actor: User, runs: Iterable[ImportRun]) -> None:
    """The import page lists the agency's recent files by name: which were listed is
    recorded (nothing when none was)."""
    _list_audit(
        actor=actor,
        action="online.import_view",
        object_type="import",
        detail=_shown(runs, key="imports"),
    )


def post_view_audit(*, actor: User, post: MonitoredPost) -> None:
    """Posts can name people (a phone number, a handle): opening one is recorded."""
    audit_record(
        actor=actor, action="online.post_view", object_type="post", object_ref=str(post.pk)
    )


def posts_stix_bundle(
    *, actor: User, posts: Iterable[MonitoredPost], group: PostGroup | None = None
) -> str:
    """A STIX 2.1 bundle (JSON) of the contacts in these posts (of ``group``, when the
    export is a campaign's or network's), for partners and MISP. Every exported post is
    named in the audit entry, however many."""
    _require(actor)
    chosen = list(posts)
    if not chosen:
        raise ValidationFailed(_("Choose at least one post to export."), field="posts")
    chosen = _visible(actor, chosen, "online.export_stix")
    if group is not None and (
        group.agency_id != actor.agency_id
        or any(group.pk not in (p.campaign_id, p.network_id) for p in chosen)
    ):
        raise NotFound(_("No such group, or you do not have access to it."))
    as_posts = [
        Post(
            source=p.source,
            text=p.text,
            channel=p.channel or None,
            author=p.author or None,
            posted_at=p.posted_at,
            url=p.url or None,
            id=p.post_id,
        )
        for p in chosen
    ]
    bundle = to_stix_bundle(
        as_posts,
        identity_name=actor.agency.name if actor.agency else "OpenNRM",
        risk={p.post_id: p.risk for p in chosen},
    )
    audit_record(
        actor=actor,
        action="online.export_stix",
        object_type="group" if group is not None else "post",
        object_ref=str(group.pk) if group is not None else "",
        detail={"posts": [p.pk for p in chosen]},
    )
    return bundle_json(bundle)


def feedback_export(*, actor: User) -> list[dict[str, Any]]:
    """The reviewers' labels of ``actor``'s agency as (text, label) rows, for a file an
    analyst trains with (`opennrm online feedback`). The texts leave the application:
    which posts went out, and to whom, is recorded (ids only)."""
    _require(actor)
    rows = list(feedback_rows(agency_id=actor.agency_id, with_post_ids=True))
    audit_record(
        actor=actor,
        action="online.feedback_export",
        object_type="post",
        object_ref="",
        detail={"posts": [row.pop("post_id") for row in rows]},
    )
    return rows


def feedback_rows(
    *, agency_id: int | None = None, with_post_ids: bool = False
) -> Iterator[dict[str, Any]]:
    """Reviewer labels as (text, label) rows, the CSV shape `opennrm monitor train` reads."""
    qs = Feedback.objects.select_related("post").order_by("id")
    if agency_id is not None:
        qs = qs.filter(post__agency_id=agency_id)
    # a reviewer may change their mind (a false positive later opened as a case): the last
    # label of a post is its label; both would teach the model the same text two ways
    last = Feedback.objects.filter(post_id=OuterRef("post_id")).order_by("-id").values("id")[:1]
    for fb in qs.filter(id=Subquery(last)).iterator():
        row: dict[str, Any] = {"message": fb.post.text, "label": fb.label}
        if with_post_ids:
            row["post_id"] = fb.post_id
        yield row


# --- retention ----------------------------------------------------------------------
#
# What is kept past OPENNRM_MONITORING_RETENTION_DAYS, counted from the end of the import
# that stored a post (``ImportRun.finished_at``; a post's own date is often unknown):
#   - posts that became evidence: a case was opened from them (``case`` set), with their
#     contacts, labels and import, as long as the case keeps personal data: when it is
#     pseudonymised (its retention), erased or turned into an anonymous report, the posts
#     are released (:func:`posts_release_case`) and go at the next purge past the period;
# everything else past the period is erased:
#   - the posts (new, and those marked false positive), their contact mentions and the
#     reviewers' labels on them (``Feedback``: a label cannot outlive its text; a model
#     trained before keeps what it learned, `opennrm online retrain` then learns from
#     the labels of the period only);
#   - contacts no longer on any post (the others: counts and first/last seen again);
#   - campaign and network rows left empty (the others counted again, templates and
#     shared contacts made again from the posts they keep);
#   - finished imports (done or failed) that hold no post any more, with their problems
#     (which quote records); an import still holding evidence keeps its row, its
#     problems are cleared;
#   - the erased posts in the agency's campaign index (rebuilt from the posts it keeps).
# Imports still queued or running are never touched.


@dataclass
class PurgeCounts:
    """What the purge erased (or, in a dry run, would erase) for one agency."""

    posts: int = 0
    kept: int = 0  # past the period, kept as evidence
    feedback: int = 0
    contacts: int = 0
    groups: int = 0
    imports: int = 0
    failed: int = 0  # posts that could not be erased (logged by id; tried again next run)
    index_rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.posts or self.feedback or self.contacts or self.groups or self.imports
            or self.failed or self.index_rebuilt
        )  # fmt: skip

    def audit_detail(self, days: int) -> dict[str, int | bool]:
        return {
            "days": days,
            "posts": self.posts,
            "kept": self.kept,
            "feedback": self.feedback,
            "contacts": self.contacts,
            "groups": self.groups,
            "imports": self.imports,
            "failed": self.failed,
            "index_rebuilt": self.index_rebuilt,
        }


@dataclass
class PurgeReport:
    days: int
    cutoff: datetime | None  # None: retention off
    dry_run: bool
    agencies: dict[int, PurgeCounts] = field(default_factory=dict)

    def total(self, name: str) -> int:
        return sum(int(getattr(c, name)) for c in self.agencies.values())


_FINISHED = (ImportState.DONE, ImportState.FAILED)


def _past(cutoff: datetime, prefix: str = "") -> Q:
    """Imports (``prefix`` ``"run__"``: posts of imports) that ended before ``cutoff``."""
    return Q(**{f"{prefix}state__in": _FINISHED}) & (
        Q(**{f"{prefix}finished_at__lt": cutoff})
        | Q(**{f"{prefix}finished_at__isnull": True, f"{prefix}at__lt": cutoff})
    )


_EVIDENCE = Q(case__isnull=False)


def posts_release_case(case: Case) -> None:
    """Registered with ``cases.hooks.case_anonymised_listeners``: the case's personal data
    goes (retention, erasure, anonymous report), so its posts are no longer evidence; they
    stay *lead* in the queue and are erased once past the retention period. In the
    caller's transaction; ids only in its audit entry."""
    released = list(MonitoredPost.objects.filter(case=case).values_list("pk", flat=True))
    if released:
        MonitoredPost.objects.filter(pk__in=released).update(case=None)
        audit_record(
            actor=None,
            action="online.case_released",
            object_type="case",
            object_ref=case.reference,
            detail={"posts": released},
        )


def _expired(agency_id: int, cutoff: datetime) -> Any:
    return MonitoredPost.objects.filter(_past(cutoff, "run__"), agency_id=agency_id).exclude(
        _EVIDENCE
    )


def purge_expired(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Erase the online-monitoring data past ``OPENNRM_MONITORING_RETENTION_DAYS`` (the
    rule is in the comment above), for every agency; the actor is the system.

    Big agencies: posts are erased ``OPENNRM_MONITORING_PURGE_BATCH`` at a time, each
    batch in its own short transaction (with its contacts), so other writers wait at most
    one batch; a batch that fails is tried post by post, and a post that cannot be
    erased is logged (its id), counted and left for the next run, never stopping the
    purge. An import running meanwhile is safe: posts are locked and checked again
    before they go (a case opened a moment ago keeps its post), and the campaign index
    is rebuilt under its version lock (:func:`opennrm.online.campaigns.rebuild_campaign_index`).
    One ``online.purge`` audit entry per agency with counts only. ``dry_run``: count what
    would go, change and record nothing.
    """
    now = now or timezone.now()
    days = int(settings.OPENNRM_MONITORING_RETENTION_DAYS)
    if days <= 0:
        return PurgeReport(days=days, cutoff=None, dry_run=dry_run)
    cutoff = now - timedelta(days=days)
    report = PurgeReport(days=days, cutoff=cutoff, dry_run=dry_run)
    agencies = set(
        MonitoredPost.objects.filter(_past(cutoff, "run__")).values_list("agency_id", flat=True)
    )
    agencies |= set(ImportRun.objects.filter(_past(cutoff)).values_list("agency_id", flat=True))
    agencies |= set(
        CampaignState.objects.filter(rebuild_needed=True).values_list("agency_id", flat=True)
    )
    for agency_id in sorted(agencies):
        if dry_run:
            counts = _purge_count(agency_id, cutoff)
        else:
            counts = _purge_agency(agency_id, cutoff)
            if counts.changed:
                audit_record(
                    actor=None,
                    action="online.purge",
                    object_type="agency",
                    object_ref=str(agency_id),
                    detail=counts.audit_detail(days),
                )
        if counts.changed or counts.kept:
            report.agencies[agency_id] = counts
    return report


def _purge_count(agency_id: int, cutoff: datetime) -> PurgeCounts:
    """What :func:`_purge_agency` would erase now (a dry run): read only."""
    expired = _expired(agency_id, cutoff)
    remaining = MonitoredPost.objects.filter(agency_id=agency_id).exclude(
        pk__in=expired.values("pk")
    )
    counts = PurgeCounts(
        posts=expired.count(),
        kept=MonitoredPost.objects.filter(_past(cutoff, "run__"), _EVIDENCE, agency_id=agency_id)
        .count(),
        feedback=Feedback.objects.filter(post__in=expired.values("pk")).count(),
    )  # fmt: skip
    counts.contacts = (
        Contact.objects.filter(agency_id=agency_id, mentions__post__in=expired.values("pk"))
        .exclude(pk__in=ContactMention.objects.filter(post__in=remaining).values("contact_id"))
        .distinct()
        .count()
    )
    for field_name in ("campaign", "network"):
        counts.groups += (
            PostGroup.objects.filter(agency_id=agency_id, kind=field_name)
            .filter(pk__in=expired.values(f"{field_name}_id"))
            .exclude(pk__in=remaining.exclude(**{f"{field_name}__isnull": True})
                     .values(f"{field_name}_id"))
            .count()
        )  # fmt: skip
    counts.imports = (
        ImportRun.objects.filter(_past(cutoff), agency_id=agency_id)
        .exclude(pk__in=remaining.values("run_id"))
        .count()
    )
    counts.index_rebuilt = CampaignState.objects.filter(agency_id=agency_id).exists() and bool(
        counts.posts
        or CampaignState.objects.filter(agency_id=agency_id, rebuild_needed=True).exists()
    )
    return counts


def _purge_agency(agency_id: int, cutoff: datetime) -> PurgeCounts:
    # still marked from an earlier run: that one may have stopped before the rows its
    # rebuild changed were counted, so this rebuild counts every row
    unfinished = CampaignState.objects.filter(agency_id=agency_id, rebuild_needed=True).exists()
    counts = PurgeCounts(
        kept=MonitoredPost.objects.filter(_past(cutoff, "run__"), _EVIDENCE, agency_id=agency_id)
        .count()
    )  # fmt: skip
    size = max(1, settings.OPENNRM_MONITORING_PURGE_BATCH)
    groups: set[int] = set()
    last = 0
    while True:
        pks = list(
            _expired(agency_id, cutoff)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not pks:
            break
        last = pks[-1]
        try:
            _erase_with_retry(agency_id, cutoff, pks, counts, groups)
        except Exception:  # one bad row must not cost the batch: post by post
            for pk in pks:
                try:
                    _erase_with_retry(agency_id, cutoff, [pk], counts, groups)
                except Exception as exc:
                    counts.failed += 1
                    log.error("purge: post %s not erased: %s", pk, type(exc).__name__)
    _purge_groups(sorted(groups), counts)
    if CampaignState.objects.filter(agency_id=agency_id, rebuild_needed=True).exists():
        from opennrm.online.campaigns import rebuild_campaign_index

        try:
            rebuilt = _with_retry(lambda: rebuild_campaign_index(agency_id, recount_all=unfinished))
        except Exception as exc:  # left marked: the next run rebuilds it
            counts.failed += 1
            log.error("purge: campaign index of agency %s: %s", agency_id, type(exc).__name__)
        else:
            counts.index_rebuilt = True
            counts.groups += rebuilt.groups_deleted
    _purge_runs(agency_id, cutoff, counts)
    return counts


def _with_retry(work: Callable[[], _R]) -> _R:
    waited = time.monotonic()
    for attempt in itertools.count():
        try:
            return work()
        except (OperationalError, IntegrityError) as exc:
            # a lock wait past its limit, a deadlock with an import, a contact an import
            # linked a moment ago: the transaction rolled back whole, try it again
            if not _wait_to_retry(exc, attempt, waited, tries=4):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _erase_with_retry(
    agency_id: int, cutoff: datetime, pks: list[int], counts: PurgeCounts, groups: set[int]
) -> None:
    def erase() -> tuple[int, int, int, set[int]]:
        with transaction.atomic():
            return _erase_posts(agency_id, cutoff, pks)

    posts, feedback, contacts, touched = _with_retry(erase)
    counts.posts += posts
    counts.feedback += feedback
    counts.contacts += contacts
    groups |= touched


def _erase_posts(
    agency_id: int, cutoff: datetime, pks: list[int]
) -> tuple[int, int, int, set[int]]:
    """Erase these posts if they are still past the period and no evidence (checked
    again under their row locks: a case opened meanwhile keeps its post), in the
    caller's transaction. Returns (posts, labels, contacts) erased and the group rows
    that lost posts."""
    rows = list(
        _expired(agency_id, cutoff)
        .select_for_update(of=("self",))
        .filter(pk__in=pks)
        .values_list("pk", "campaign_id", "network_id")
    )
    ids = [pk for pk, _c, _n in rows]
    if not ids:
        return 0, 0, 0, set()
    touched = {g for _pk, c, n in rows for g in (c, n) if g is not None}
    contact_ids = sorted(
        set(ContactMention.objects.filter(post_id__in=ids).values_list("contact_id", flat=True))
    )
    # only the keys: the rows' encrypted columns are never read (nor decrypted) to go
    _deleted, per_model = MonitoredPost.objects.filter(pk__in=ids).only("pk").delete()
    contacts = _recount_contacts(contact_ids)
    # the index still holds them until it is rebuilt (the same transaction order as an
    # import's: posts, contacts, then the index state)
    CampaignState.objects.filter(agency_id=agency_id).update(rebuild_needed=True)
    return (
        per_model.get(MonitoredPost._meta.label, 0),
        per_model.get(Feedback._meta.label, 0),
        contacts,
        touched,
    )


def _recount_contacts(contact_ids: list[int]) -> int:
    """After posts went: contacts on no post any more are deleted (returns how many), the
    others get their post count and first/last seen (the post's date, else its import's,
    as :func:`_link_contacts` counts them) from the posts that remain. Rows locked first:
    an import growing one waits, and its mentions are counted."""
    deleted = 0
    for start in range(0, len(contact_ids), 500):
        part = list(
            Contact.objects.select_for_update()
            .filter(pk__in=contact_ids[start : start + 500])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        seen = Coalesce("post__posted_at", "post__run__at")
        alive = {
            row["contact_id"]: row
            for row in ContactMention.objects.filter(contact_id__in=part)
            .values("contact_id")
            .annotate(n=Count("id"), first=Min(seen), last=Max(seen))
        }
        dead = [pk for pk in part if pk not in alive]
        if dead:
            gone = Contact.objects.filter(pk__in=dead).only("pk").delete()[1]  # never decrypted
            deleted += gone.get(Contact._meta.label, 0)
        for pk, row in alive.items():
            Contact.objects.filter(pk=pk).update(
                posts_count=row["n"], first_seen=row["first"], last_seen=row["last"]
            )
    return deleted


def _purge_groups(pks: list[int], counts: PurgeCounts) -> None:
    """Rows that lost posts: counted again, or deleted when empty (a few per transaction:
    a row's template and contacts are read from its posts)."""
    from opennrm.online.campaigns import refresh_groups

    for start in range(0, len(pks), 20):
        part = pks[start : start + 20]

        def refresh(part: list[int] = part) -> int:
            with transaction.atomic():
                return refresh_groups(part)

        try:
            counts.groups += _with_retry(refresh)
        except Exception as exc:
            counts.failed += 1
            log.error("purge: groups %s..%s: %s", part[0], part[-1], type(exc).__name__)


def _purge_runs(agency_id: int, cutoff: datetime, counts: PurgeCounts) -> None:
    """Finished imports past the period: deleted when they hold no post any more (a
    cross-import group they first found moves to the oldest import of its posts), else
    their problems (quotes of records) cleared."""
    for pk in list(
        ImportRun.objects.filter(_past(cutoff), agency_id=agency_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):

        def purge(pk: int = pk) -> int:
            with transaction.atomic():
                run = ImportRun.objects.select_for_update().filter(pk=pk).first()
                if run is None:
                    return 0
                if MonitoredPost.objects.filter(run_id=pk).exists():
                    if run.problems:
                        run.problems = []
                        run.save(update_fields=["problems"])
                    return 0
                for g in PostGroup.objects.filter(run_id=pk, across_imports=True):
                    field_name = "campaign" if g.kind == GroupKind.CAMPAIGN else "network"
                    oldest = (
                        MonitoredPost.objects.filter(**{field_name: g})
                        .order_by("run_id")
                        .values_list("run_id", flat=True)
                        .first()
                    )
                    if oldest is None:
                        g.delete()
                        counts.groups += 1
                    else:
                        PostGroup.objects.filter(pk=g.pk).update(run_id=oldest)
                counts.groups += PostGroup.objects.filter(run_id=pk).count()  # empty, with it
                run.delete()
                return 1

        try:
            counts.imports += _with_retry(purge)
        except Exception as exc:
            counts.failed += 1
            log.error("purge: import %s: %s", pk, type(exc).__name__)
