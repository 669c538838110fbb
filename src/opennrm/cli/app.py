"""Commands that run the Django application: demo, serve, migrate, admin tasks."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import click

from opennrm.cli._i18n import CommandError, gettext, language_option, ngettext

_ = gettext


def _setup(**env_defaults: str) -> None:
    for key, value in env_defaults.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opennrm.settings")
    import django

    django.setup()
    _speak_django()


def _speak_django() -> None:
    """Django's sentences (the services' errors, role and state labels) in the command's
    language until the command ends."""
    from django.utils import translation

    from opennrm.cli._i18n import current_language

    ctx = click.get_current_context(silent=True)
    if ctx is None:  # not a command (a test, a script): the language stays as it is
        return
    before = translation.get_language()
    translation.activate(current_language())
    ctx.find_root().call_on_close(
        lambda: translation.activate(before) if before else translation.deactivate()
    )


def _migrate(verbosity: int = 0) -> None:
    from django.conf import settings
    from django.core.management import call_command

    data_dir = settings.DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=verbosity)


# Local, plain-HTTP conveniences for the demo only. Production reads its own environment.
_LOCAL_HTTP = {
    "OPENNRM_SECURE_COOKIES": "0",
    "OPENNRM_SSL_REDIRECT": "0",
    "OPENNRM_HSTS_SECONDS": "0",
}


@click.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    _setup()
    _migrate(verbosity=1)


def _serve(host: str, port: int, threads: int, workers: int = 1, keepalive: int = 5) -> None:
    """Serve with gunicorn: ``workers`` processes (to use every core) of ``threads`` threads.

    ``keepalive``: seconds an idle connection stays open. Whatever sits in front (a reverse
    proxy, a load balancer, a client that reuses connections) must close its idle connections
    *sooner*, or a request sent on a connection the server is just closing fails in transit.
    """
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from opennrm.wsgi import application

    connections.close_all()  # never share a database connection with forked workers
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": keepalive,
        "accesslog": None,  # request lines can carry case references: no access log by default
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "opennrm",
    }

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> object:
            return application

    click.echo(
        _(
            "OpenNRM is running on http://%(bind)s/  (%(workers)s processes × %(threads)s "
            "threads; Ctrl+C to stop)"
        )
        % {"bind": bind, "workers": workers, "threads": threads}
    )
    _Server().run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--workers",
    default=min(4, os.cpu_count() or 1),
    show_default=True,
    type=int,
    help="Processes, each with --threads threads.",
)
@click.option(
    "--keepalive",
    default=5,
    show_default=True,
    type=click.IntRange(1, 300),
    help="Seconds an idle connection stays open; a proxy in front must close idle ones sooner.",
)
@click.option(
    "--insecure-local",
    is_flag=True,
    help="Plain HTTP on a loopback address for tests and benchmarks: skips the production checks.",
)
def serve(
    host: str, port: int, threads: int, workers: int, keepalive: int, insecure_local: bool
) -> None:
    """Serve the application with gunicorn (put HTTPS in front of it in production).

    Refuses to start when the production checks fail (no secret key, insecure
    cookies, 2FA off, no HTTPS): see `opennrm manage check --deploy`.
    """
    import ipaddress

    if insecure_local:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise CommandError(
                _("--insecure-local only serves a loopback address (127.0.0.1, ::1).")
            )
        _setup(**_LOCAL_HTTP)
        click.echo(
            _(
                "WARNING: production checks skipped (--insecure-local); never use this for "
                "real data."
            ),
            err=True,
        )
        _serve(host, port, threads, workers, keepalive)
        return
    _setup()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=True, fail_level="ERROR", stdout=io.StringIO())
    except SystemCheckError as exc:
        raise CommandError(_("refusing to start:\n%(checks)s") % {"checks": exc}) from exc
    _serve(host, port, threads, workers, keepalive)


@click.command()
@click.option(
    "--cases", default=200, show_default=True, type=int, help="Synthetic cases to create."
)
@click.option(
    "--serve/--no-serve", "do_serve", default=True, help="Start the web server afterwards."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo(cases: int, do_serve: bool, host: str, port: int) -> None:
    """Migrate, load clearly labelled synthetic demo data, print the logins and serve."""
    _setup(**_LOCAL_HTTP)
    _migrate()
    from opennrm.demo import _USERS, DEMO_PASSWORD, demo_exists, load_demo

    if demo_exists():
        click.echo(_("Demo data is already loaded."))
        users = [(u, r.label, "") for u, _i, r in _USERS]
        password = DEMO_PASSWORD
    else:
        click.echo(
            ngettext(
                "Loading synthetic demo data (%(count)s cases)…",
                "Loading synthetic demo data (%(count)s cases)…",
                cases,
            )
            % {"count": cases}
        )
        summary = load_demo(cases=cases)
        users, password = summary.users, summary.password
    from opennrm.online.model import ensure_default_model

    click.echo(ensure_default_model())
    click.echo(
        "\n"
        + _("Demo logins (synthetic data only; password for all: %(password)s):")
        % {"password": password}
    )
    for username, role, agency in users:
        click.echo(f"  {username:<16} {role:<28} {agency}")
    said = _(
        "Every role except analyst sets up two-factor sign-in on first login: scan the QR code "
        "with an authenticator app, or print the current code for a demo user with"
    )
    command = Path(sys.argv[0]).resolve().parent / "opennrm"
    click.echo(f"\n{said}\n  {command} demo-code USERNAME\n")
    if do_serve:
        from opennrm.cli.worker import start_background_worker

        start_background_worker()  # uploads are imported by a background job
        click.echo(_("Background worker started (imports of uploaded files)."))
        _serve(host, port, threads=8, workers=2)


@click.command("demo-code")
@click.argument("username")
def demo_code(username: str) -> None:
    """Print the current 2FA code of a DEMO user (refused for real users)."""
    _setup()
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = (
        TOTPDevice.objects.filter(user__username=username, user__agency__is_synthetic=True)
        .order_by("-confirmed")
        .first()
    )
    if device is None:
        raise CommandError(
            _("No demo user with a 2FA device of that name: sign in once to reach the setup page.")
        )
    click.echo(f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}")


@click.command()
@click.option("--name", required=True)
@click.option(
    "--type",
    "kind",
    required=True,
    help="police, athb_police, border_guard, labour_inspectorate, "
    "migration, social_protection, ngo, health, prosecutor, international",
)
@click.option("--country", required=True, help="ISO 3166-1 alpha-2, e.g. UA")
@click.option("--region", default="")
def createagency(name: str, kind: str, country: str, region: str) -> None:
    """Register an agency."""
    _setup()
    from opennrm.accounts.services import agency_create
    from opennrm.core.errors import DomainError

    try:
        agency = agency_create(actor=None, name=name, type=kind, country=country, region=region)
    except DomainError as exc:
        raise CommandError(str(exc.message)) from exc
    click.echo(_("Agency %(id)s: %(name)s") % {"id": agency.pk, "name": agency.name})


@click.command()
@click.option("--username", required=True)
@click.option("--agency", "agency_name", default="", help="Agency name (not needed for admin).")
@click.option("--role", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="OPENNRM_NEW_USER_PASSWORD",
)
def createuser(username: str, agency_name: str, role: str, password: str) -> None:
    """Create a user in an agency with a role."""
    _setup()
    from opennrm.accounts.models import Agency
    from opennrm.accounts.services import user_create
    from opennrm.core.errors import DomainError

    agency = Agency.objects.filter(name=agency_name).first() if agency_name else None
    if agency_name and agency is None:
        raise CommandError(_("No agency named %(name)s.") % {"name": repr(agency_name)})
    try:
        user = user_create(
            actor=None, username=username, password=password, agency=agency, role=role
        )
    except DomainError as exc:
        raise CommandError(str(exc.message)) from exc
    said = _("User %(username)s (%(role)s) created.")
    click.echo(said % {"username": user.username, "role": user.get_role_display()})


@click.group()
def audit() -> None:
    """Audit-log tools."""


def _load_checkpoint_docs(
    files: tuple[str, ...], checkpoints_dir: str | None, append_logs: tuple[str, ...]
) -> list[dict[str, object]]:
    from opennrm.audit.anchor import CheckpointError, read_checkpoints

    paths = [Path(p) for p in files]
    if checkpoints_dir:
        paths += sorted(p for p in Path(checkpoints_dir).glob("*.json") if p.is_file())
    paths += [Path(p) for p in append_logs]
    docs: list[dict[str, object]] = []
    for path in paths:
        try:
            docs += read_checkpoints(path.read_text(encoding="utf-8"), source=str(path))
        except (OSError, UnicodeDecodeError) as exc:
            said = _("cannot read checkpoints from %(path)s: %(error)s")
            raise CommandError(said % {"path": path, "error": exc}) from exc
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
    return docs


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint file from `opennrm audit checkpoint --output` (repeatable).",
)
@click.option(
    "--checkpoints-dir",
    type=click.Path(exists=True, file_okay=False),
    help="Every *.json checkpoint in this folder.",
)
@click.option(
    "--append-log",
    "append_logs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Every checkpoint in an append log from `opennrm audit checkpoint --append-to`.",
)
def audit_verify(
    checkpoint_files: tuple[str, ...], checkpoints_dir: str | None, append_logs: tuple[str, ...]
) -> None:
    """Recompute the hash chain; exit 1 if any entry was altered, removed or reordered.

    With checkpoints, also exit 1 when the log no longer contains a signed state
    (rewritten and re-hashed, cut at the end, or rolled back to an older copy).
    """
    docs = _load_checkpoint_docs(checkpoint_files, checkpoints_dir, append_logs)
    _setup()
    from opennrm.audit.anchor import AuditKeyError
    from opennrm.audit.selectors import audit_verify as verify
    from opennrm.audit.selectors import audit_verify_checkpoints

    wanted = bool(checkpoint_files or checkpoints_dir or append_logs)
    if wanted and not docs:
        raise CommandError(_("no checkpoint found in the given files"))
    try:
        checked = audit_verify_checkpoints(docs) if wanted else None
    except AuditKeyError as exc:
        raise CommandError(str(exc)) from exc
    report = checked.chain if checked is not None else verify()
    problems = [*report.problems, *(checked.problems if checked is not None else [])]
    if not problems:
        # English says "(s)" for every count; uk and ru take the plural form of the count
        anchored = ""
        if checked is not None:
            n = checked.checkpoints
            said = ngettext(
                "; %(count)s signed checkpoint(s) hold", "; %(count)s signed checkpoint(s) hold", n
            )
            anchored += said % {"count": n}
        if checked is not None and checked.stamps:
            n = checked.stamps
            said = ngettext(
                "; %(count)s RFC 3161 time-stamp(s) hold",
                "; %(count)s RFC 3161 time-stamp(s) hold",
                n,
            )
            anchored += said % {"count": n}
        if checked is not None and checked.unchecked_stamps:
            n = checked.unchecked_stamps
            said = ngettext(
                "; %(count)s time-stamp(s) not checked (set OPENNRM_AUDIT_TSA_CA_FILE)",
                "; %(count)s time-stamp(s) not checked (set OPENNRM_AUDIT_TSA_CA_FILE)",
                n,
            )
            anchored += said % {"count": n}
        said = ngettext(
            "OK: %(count)s entries, chain head #%(seq)s %(hash)s",
            "OK: %(count)s entries, chain head #%(seq)s %(hash)s",
            report.checked,
        )
        head = {"count": report.checked, "seq": report.last_seq, "hash": report.last_hash}
        click.echo(said % head + anchored)
        return
    said = ngettext(
        "BROKEN: %(problems)s problem(s) in %(count)s entries",
        "BROKEN: %(problems)s problem(s) in %(count)s entries",
        report.checked,
    )
    click.echo(said % {"problems": len(problems), "count": report.checked}, err=True)
    for problem in problems[:100]:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


def _send_to_syslog(line: str, address: str) -> None:
    import logging
    import logging.handlers

    target: str | tuple[str, int] = address
    if not address.startswith("/") and ":" in address:
        host, _sep, port = address.rpartition(":")
        target = (host.strip("[]"), int(port))
    handler = logging.handlers.SysLogHandler(
        address=target, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV
    )
    try:
        record = logging.LogRecord(
            "opennrm.audit",
            logging.WARNING,
            __file__,
            0,
            "opennrm-audit-checkpoint %s",
            (line,),
            None,
        )
        handler.emit(record)
    finally:
        handler.close()


@audit.command("checkpoint")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the checkpoint (JSON) here.")
@click.option(
    "--append-to",
    type=click.Path(dir_okay=False),
    help="Append it as one line to this log (on another volume). Refused when the database "
    "no longer contains the last checkpoint already there.",
)
@click.option(
    "--syslog",
    is_flag=True,
    help="Also send it to syslog (OPENNRM_AUDIT_SYSLOG_ADDRESS: a socket path or host:port).",
)
def audit_checkpoint(output: str | None, append_to: str | None, syslog: bool) -> None:
    """Sign the audit chain's head (sequence number, hash, time, key id) with the audit key."""
    _setup()
    import json
    import os

    from django.conf import settings

    from opennrm.audit.anchor import AuditKeyError, checkpoint_line
    from opennrm.audit.selectors import (
        CheckpointRefused,
        audit_verify_checkpoints,
    )
    from opennrm.audit.selectors import audit_checkpoint as make_checkpoint

    if append_to and Path(append_to).exists():
        previous = _load_checkpoint_docs((), None, (append_to,))
        if previous:
            report = audit_verify_checkpoints(previous[-1:])
            if not report.ok:
                said = _("REFUSED: the log no longer holds the last stored checkpoint")
                click.echo(said, err=True)
                for problem in [*report.chain.problems, *report.problems][:100]:
                    click.echo(f"  {problem}", err=True)
                sys.exit(1)
    try:
        doc = make_checkpoint()
    except (AuditKeyError, CheckpointRefused) as exc:
        raise CommandError(str(exc)) from exc
    doc, stamp_error = _timestamped(doc)
    line = checkpoint_line(doc)
    if output:
        Path(output).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _write_tsr(doc, output)
    if append_to:
        fd = os.open(append_to, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
    if syslog:
        _send_to_syslog(line, settings.OPENNRM_AUDIT_SYSLOG_ADDRESS)
    if not (output or append_to):
        click.echo(line)
    else:
        said = _("checkpoint #%(seq)s %(hash)s signed with key %(key)s")
        click.echo(said % {"seq": doc["seq"], "hash": doc["head_hash"], "key": doc["key_id"]})
    if stamp_error:  # the signed checkpoint is stored; the missing stamp fails the job
        click.echo(_("NOT TIME-STAMPED: %(error)s") % {"error": stamp_error}, err=True)
        sys.exit(1)


def _timestamped(doc: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The checkpoint with an RFC 3161 stamp when OPENNRM_AUDIT_TSA_URL is set."""
    from opennrm.audit.selectors import audit_checkpoint_timestamp
    from opennrm.audit.timestamp import TimestampError

    try:
        return audit_checkpoint_timestamp(doc), None
    except TimestampError as exc:
        return doc, str(exc)


def _write_tsr(doc: dict[str, Any], output: str) -> None:
    """The stamp also beside the checkpoint, as FILE.tsr (for `openssl ts -verify`)."""
    from opennrm.audit.timestamp import timestamp_token

    token = timestamp_token(doc)
    if token is not None:
        Path(output + ".tsr").write_bytes(token)


@audit.group("keys")
def audit_keys() -> None:
    """The Ed25519 key that signs audit checkpoints."""


@audit_keys.command("generate")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Private key file to create (PEM, mode 0600). Keep it off the database host's disk "
    "backups; point OPENNRM_AUDIT_KEY_FILE at it.",
)
def audit_keys_generate(output: str) -> None:
    """Make a new signing key; print its key id and public key."""
    import os

    from opennrm.audit import anchor

    private = anchor.generate_private_key()
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CommandError(
            _("%(path)s exists already; not overwritten") % {"path": output}
        ) from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(anchor.private_key_pem(private))
    public = private.public_key()
    click.echo(_("key id:     %(key)s") % {"key": anchor.key_id(public)})
    click.echo(_("public key: %(key)s") % {"key": anchor.public_key_text(public)})
    click.echo(
        _(
            "When rotating, add the OLD public key to OPENNRM_AUDIT_VERIFY_KEYS so that older "
            "checkpoints still verify."
        )
    )


@audit_keys.command("show")
def audit_keys_show() -> None:
    """Show the configured signing key and every key accepted for verifying."""
    _setup()
    from opennrm.audit import anchor
    from opennrm.audit.selectors import audit_keyring

    try:
        ring = audit_keyring()
    except anchor.AuditKeyError as exc:
        raise CommandError(str(exc)) from exc
    signing = ring.signing_key_id or _("none configured")
    click.echo(_("signing key: %(key)s") % {"key": signing})
    for kid, public in ring.verifying.items():
        said = _("verifies:    %(id)s  %(key)s")
        click.echo(said % {"id": kid, "key": anchor.public_key_text(public)})


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (e.g. `opennrm manage check --deploy`)."""
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opennrm manage", *args])


def _online_language(own: str = "") -> str:
    """The language ``opennrm online ...`` speaks: ``--language`` (the command's, else the
    group's), else the named user's own (``own``), else the environment's (see
    :mod:`opennrm.cli._i18n`). It becomes the command's current language."""
    from opennrm.cli._i18n import LANGUAGES, chosen_language, environment_language, set_language

    language = chosen_language() or (own if own in LANGUAGES else environment_language())
    set_language(language)
    return language


@click.group()
@language_option
def online() -> None:
    """Online monitoring inside the app (imports into an agency's alert queue).

    Messages are in English, Ukrainian or Russian (--language, here or after the command;
    default: the named user's language, else $OPENNRM_LANGUAGE, else the locale)."""


@online.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--user", "username", required=True, help="The reviewing user (their agency owns the posts)."
)
@click.option("--format", "fmt", default="auto", show_default=True)
@click.option("--text-column", default=None, help="CSV text column.")
@click.option(
    "--time-zone", default=None, help="Read times without an offset in this zone (Europe/Kyiv)."
)
@language_option(
    help="Language of the report (default: the user's own language, else $OPENNRM_LANGUAGE, "
    "else the locale, else en)."
)
def online_import(
    path: str,
    username: str,
    fmt: str,
    text_column: str | None,
    time_zone: str | None,
) -> None:
    """Ingest, score and cluster a file into the alert queue of USER's agency."""
    _setup()
    from pathlib import Path

    from django.utils import translation

    from opennrm.accounts.models import User
    from opennrm.core.errors import DomainError
    from opennrm.online import problems as said
    from opennrm.online.services import online_import as do_import

    user = User.objects.filter(username=username, is_active=True).first()
    language = _online_language(user.preferred_language if user is not None else "")
    with translation.override(language):
        if user is None:
            raise CommandError(str(said.NO_USER) % {"name": username})
        try:
            run = do_import(
                actor=user,
                path=Path(path),
                source_name=Path(path).name,
                fmt=fmt,
                text_column=text_column,
                time_zone=time_zone,
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        click.echo(
            str(said.IMPORT_SUMMARY)
            % {
                "read": run.read,
                "stored": run.stored,
                "skipped": run.skipped,
                "duplicates": run.duplicates,
            }
        )
        problems = run.problem_list  # each sentence says whether the record was skipped
        for problem in problems[:20]:
            click.echo(f"  {problem['where']}: {problem['why']}", err=True)
        if len(problems) > 20:
            click.echo("  " + str(said.MORE_PROBLEMS) % {"count": len(problems) - 20}, err=True)


@online.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@language_option
def online_purge(dry_run: bool) -> None:
    """Erase online-monitoring data past OPENNRM_MONITORING_RETENTION_DAYS.

    Posts imported before the period (with their contact mentions and labels, contacts
    and groups left empty, finished imports left without posts) are erased unless a case
    was opened from them; the campaign index is rebuilt from the posts kept. The worker
    does this every OPENNRM_MONITORING_PURGE_HOURS; or run it daily from cron."""
    _setup()
    from django.utils import formats, timezone

    from opennrm.accounts.models import Agency
    from opennrm.online.services import purge_expired

    _online_language()
    report = purge_expired(dry_run=dry_run)
    if report.cutoff is None:
        click.echo(
            _(
                "Retention of online monitoring is off (OPENNRM_MONITORING_RETENTION_DAYS=0): "
                "nothing is erased."
            )
        )
        return
    cutoff = formats.date_format(timezone.localtime(report.cutoff), "DATETIME_FORMAT")
    click.echo(
        _(
            "Retention of online monitoring: %(days)s days; posts imported before %(cutoff)s "
            "are erased unless a case was opened from them."
        )
        % {"days": report.days, "cutoff": cutoff}
    )
    if not report.agencies:
        click.echo(_("Nothing is past the retention period."))
    names = dict(Agency.objects.filter(pk__in=report.agencies).values_list("pk", "name"))
    said = (
        _(
            "%(agency)s: would be erased: posts %(posts)s, reviewer labels %(feedback)s, "
            "contacts %(contacts)s, campaigns and networks %(groups)s, imports %(imports)s; "
            "kept as evidence: posts %(kept)s"
        )
        if dry_run
        else _(
            "%(agency)s: erased: posts %(posts)s, reviewer labels %(feedback)s, "
            "contacts %(contacts)s, campaigns and networks %(groups)s, imports %(imports)s; "
            "kept as evidence: posts %(kept)s"
        )
    )
    for agency_id, counts in report.agencies.items():
        click.echo(
            said
            % {
                "agency": names.get(agency_id, agency_id),
                "posts": counts.posts,
                "feedback": counts.feedback,
                "contacts": counts.contacts,
                "groups": counts.groups,
                "imports": counts.imports,
                "kept": counts.kept,
            }
        )
        if counts.failed:
            click.echo(
                _(
                    "%(agency)s: could not be erased (see the log; tried again at the next "
                    "run): %(count)s"
                )
                % {"agency": names.get(agency_id, agency_id), "count": counts.failed},
                err=True,
            )
    if dry_run:
        click.echo(_("Dry run: nothing was changed."))


@online.command("retrain")
@click.option("--shared/--no-shared", default=True, help="Also train on the shared data sets.")
@click.option("--false-alarm-rate", default=0.02, show_default=True, type=click.FloatRange(0, 0.5))
@language_option
def online_retrain(shared: bool, false_alarm_rate: float) -> None:
    """Retrain the app's model from reviewers' labels (and the shared data sets)."""
    _setup()
    from django.utils import translation
    from django.utils.formats import number_format

    from opennrm.online import problems as said
    from opennrm.online.model import NotEnoughData, model_dir, model_train

    with translation.override(_online_language()):
        try:
            report = model_train(shared=shared, false_alarm_rate=false_alarm_rate)
        except NotEnoughData as exc:
            counts = {"count": exc.count, "positive": exc.positive, "needed": exc.needed}
            raise CommandError(str(said.NOT_ENOUGH_DATA) % counts) from exc
        m = report.combined_metrics
        sources = report.model.manifest["training_sources"]
        said_sources = ", ".join(said.describe_training_source(s) for s in sources)
        click.echo(
            str(said.RETRAINED)
            % {
                "count": report.model.manifest["n_samples"],
                "sources": said_sources,
                "precision": number_format(m.precision, 3),
                "recall": number_format(m.recall, 3),
                "path": model_dir(),
            }
        )


@online.command("feedback")
@click.option("--output", type=click.Path(dir_okay=False), required=True)
@click.option(
    "--user", "username", required=True, help="Whose agency's labels (a reviewer's username)."
)
@language_option
def online_feedback(output: str, username: str) -> None:
    """Write USER's agency's reviewer labels as message,label CSV for `opennrm monitor
    train` (a file only its owner may read; the export is recorded in the audit log)."""
    _setup()
    import csv
    import os

    from django.utils import translation

    from opennrm.accounts.models import User
    from opennrm.cli._i18n import gettext, os_reason
    from opennrm.core.errors import DomainError
    from opennrm.online import problems as said
    from opennrm.online.services import feedback_export

    user = User.objects.filter(username=username, is_active=True).first()
    language = _online_language(user.preferred_language if user is not None else "")
    with translation.override(language):
        if user is None:
            raise click.ClickException(str(said.NO_USER) % {"name": username})
        try:
            rows = feedback_export(actor=user)
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
    count = 0
    try:
        # post texts name people: the file is the owner's alone, even if it existed before
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["message", "label"])
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                count += 1
    except OSError as exc:
        said_why = {"path": output, "error": os_reason(exc)}
        raise CommandError(gettext("%(path)s: cannot write (%(error)s)") % said_why) from exc
    with translation.override(language):
        click.echo(str(said.FEEDBACK_WRITTEN % {"count": count, "path": output}))
