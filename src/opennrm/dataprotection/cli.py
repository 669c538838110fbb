"""`opennrm backup`, `opennrm restore`, `opennrm retention`, `opennrm subject`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from opennrm.cli._i18n import cli_gettext, cli_ngettext, current_language
from opennrm.cli.app import _setup


@click.command()
@click.option("--output", type=click.Path(dir_okay=False), help="The backup file to write.")
@click.option(
    "--generate-key",
    is_flag=True,
    help="Print a new random key for OPENNRM_BACKUP_KEY and exit (keep it apart from backups).",
)
def backup(output: str | None, generate_key: bool) -> None:
    """Back up the database and the attachments, encrypted with OPENNRM_BACKUP_KEY.

    Safe while the application runs: the copy is one consistent state (SQLite's online
    backup; pg_dump on PostgreSQL). The manifest inside records the row count of every
    table and the audit log's head, which `opennrm restore` checks.
    """
    if generate_key:
        from opennrm.dataprotection.sealed import generate_key as new_key

        click.echo(new_key())
        return
    if not output:
        raise click.UsageError(cli_gettext("give --output FILE (or --generate-key)"))
    _setup()
    from opennrm.dataprotection.backup import BackupError, backup_create, backup_key

    try:
        manifest = backup_create(output=Path(output), key=backup_key())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    said = cli_ngettext(
        "backup written to %(path)s: %(vendor)s, %(tables)s tables, %(rows)s rows, audit head "
        "#%(seq)s %(hash)s, %(count)s attachment(s)",
        "backup written to %(path)s: %(vendor)s, %(tables)s tables, %(rows)s rows, audit head "
        "#%(seq)s %(hash)s, %(count)s attachment(s)",
        manifest["attachments"]["count"],
    )
    click.echo(
        said
        % {
            "path": output,
            "vendor": manifest["vendor"],
            "tables": len(manifest["tables"]),
            "rows": sum(manifest["tables"].values()),
            "seq": manifest["audit"]["last_seq"],
            "hash": manifest["audit"]["last_hash"],
            "count": manifest["attachments"]["count"],
        }
    )
    if manifest["attachments"]["missing"]:
        missing = manifest["attachments"]["missing"]
        said = cli_ngettext(
            "WARNING: %(count)s attachment file(s) listed in the database were missing on disk "
            "and are not in the backup",
            "WARNING: %(count)s attachment file(s) listed in the database were missing on disk "
            "and are not in the backup",
            missing,
        )
        click.echo(said % {"count": missing}, err=True)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def restore(file: str) -> None:
    """Restore a backup into an empty deployment, then verify the audit chain and the counts.

    Exit 1 when the backup cannot be opened (wrong key, damaged or altered: nothing is
    restored), when the deployment is not empty, or when the verification fails.
    """
    _setup()
    from opennrm.dataprotection.backup import BackupError, backup_key, backup_restore

    try:
        report = backup_restore(source=Path(file), key=backup_key())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = report.manifest
    said = cli_ngettext(
        "restored backup %(id)s of %(created)s: %(tables)s tables, %(entries)s audit entries, "
        "%(count)s attachment(s)",
        "restored backup %(id)s of %(created)s: %(tables)s tables, %(entries)s audit entries, "
        "%(count)s attachment(s)",
        report.attachments,
    )
    restored = {
        "id": manifest.get("id"),
        "created": manifest.get("created_at"),
        "tables": report.tables_checked,
        "entries": report.audit_entries,
        "count": report.attachments,
    }
    click.echo(said % restored)
    if report.ok:
        said = cli_gettext(
            "OK: audit chain verifies (head #%(seq)s), every table's row count matches the manifest"
        )
        click.echo(said % {"seq": manifest["audit"]["last_seq"]})
        return
    n = len(report.problems)
    said = cli_ngettext(
        "VERIFICATION FAILED: %(count)s problem(s)", "VERIFICATION FAILED: %(count)s problem(s)", n
    )
    click.echo(said % {"count": n}, err=True)
    for problem in report.problems[:100]:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


def _json_out(data: object, output: str | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


@click.group()
def retention() -> None:
    """Retention periods per case state (OPENNRM_RETENTION_DAYS)."""


@retention.command("apply")
@click.option("--dry-run", is_flag=True, help="Count the cases that are due; change nothing.")
def retention_apply_command(dry_run: bool) -> None:
    """Pseudonymise the cases past the retention period of their state.

    Personal data goes (person, free text, notes, contact log, files, plan text); the
    case facts statistics count stay. Run it daily from cron or a systemd timer.
    """
    _setup()
    from opennrm.dataprotection.services import RetentionConfigError, retention_apply

    try:
        report = retention_apply(actor=None, dry_run=dry_run)
    except RetentionConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    days = cli_gettext("%(state)s %(days)s days")
    periods = ", ".join(
        days % {"state": _state(s), "days": d} for s, d in sorted(report.periods.items())
    )
    said = cli_gettext("retention periods: %(periods)s")
    click.echo(said % {"periods": periods or cli_gettext("none configured")})
    by_state = ", ".join(f"{_state(s)}: {n}" for s, n in sorted(report.by_state.items()))
    if dry_run:
        said = cli_ngettext(
            "%(count)s case(s) due (dry run, nothing changed)",
            "%(count)s case(s) due (dry run, nothing changed)",
            report.total,
        )
    else:
        said = cli_ngettext(
            "%(count)s case(s) pseudonymised", "%(count)s case(s) pseudonymised", report.total
        )
    click.echo(said % {"count": report.total} + (f" ({by_state})" if by_state else ""))


def _state(code: str) -> str:
    """A case state as OPENNRM_RETENTION_DAYS names it (English), else by its name."""
    if current_language() == "en":
        return code
    from opennrm.cases.workflow import State

    try:
        return str(State(code).label)
    except ValueError:
        return code


@click.group()
def subject() -> None:
    """The data subject's rights: export (access) and erasure of a person's data."""


def _user(username: str):  # type: ignore[no-untyped-def]
    from opennrm.accounts.models import User

    user = User.objects.select_related("agency").filter(username=username).first()
    if user is None or not user.is_active:
        raise click.ClickException(
            cli_gettext("No active user %(name)s.") % {"name": repr(username)}
        )
    return user


@subject.command("export")
@click.argument("reference")
@click.option("--user", "username", required=True, help="The case manager acting (audited).")
@click.option("--output", type=click.Path(dir_okay=False), help="JSON file (default: stdout).")
def subject_export_command(reference: str, username: str, output: str | None) -> None:
    """Everything held about the person of a case, as JSON (right of access)."""
    _setup()
    from opennrm.core.errors import DomainError
    from opennrm.dataprotection.services import subject_export

    try:
        data = subject_export(actor=_user(username), reference=reference)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    _json_out(data, output)


@subject.command("erase")
@click.argument("reference")
@click.option("--user", "username", required=True, help="The case manager acting (audited).")
@click.option("--confirm", required=True, help="Repeat the case reference to confirm.")
def subject_erase_command(reference: str, username: str, confirm: str) -> None:
    """Erase the person's data of a case everywhere (right to erasure); counts stay."""
    _setup()
    from opennrm.core.errors import DomainError
    from opennrm.dataprotection.services import subject_erase

    try:
        counts = subject_erase(actor=_user(username), reference=reference, confirm=confirm)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    erased = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    click.echo(cli_gettext("personal data erased: %(counts)s") % {"counts": erased})
