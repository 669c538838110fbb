"""`opennrm backup`, `opennrm restore`, `opennrm retention`, `opennrm subject`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

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
        raise click.UsageError("give --output FILE (or --generate-key)")
    _setup()
    from opennrm.dataprotection.backup import BackupError, backup_create, backup_key

    try:
        manifest = backup_create(output=Path(output), key=backup_key())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["tables"].values())
    click.echo(
        f"backup written to {output}: {manifest['vendor']}, {len(manifest['tables'])} tables, "
        f"{rows} rows, audit head #{manifest['audit']['last_seq']} "
        f"{manifest['audit']['last_hash']}, {manifest['attachments']['count']} attachment(s)"
    )
    if manifest["attachments"]["missing"]:
        click.echo(
            f"WARNING: {manifest['attachments']['missing']} attachment file(s) listed in the "
            "database were missing on disk and are not in the backup",
            err=True,
        )


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
    click.echo(
        f"restored backup {manifest.get('id')} of {manifest.get('created_at')}: "
        f"{report.tables_checked} tables, {report.audit_entries} audit entries, "
        f"{report.attachments} attachment(s)"
    )
    if report.ok:
        click.echo(
            f"OK: audit chain verifies (head #{manifest['audit']['last_seq']}), every table's "
            "row count matches the manifest"
        )
        return
    click.echo(f"VERIFICATION FAILED: {len(report.problems)} problem(s)", err=True)
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
    periods = ", ".join(f"{s} {d} days" for s, d in sorted(report.periods.items()))
    click.echo(f"retention periods: {periods or 'none configured'}")
    verb = "due (dry run, nothing changed)" if dry_run else "pseudonymised"
    by_state = ", ".join(f"{s}: {n}" for s, n in sorted(report.by_state.items()))
    click.echo(f"{report.total} case(s) {verb}" + (f" ({by_state})" if by_state else ""))


@click.group()
def subject() -> None:
    """The data subject's rights: export (access) and erasure of a person's data."""


def _user(username: str):  # type: ignore[no-untyped-def]
    from opennrm.accounts.models import User

    user = User.objects.select_related("agency").filter(username=username).first()
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user {username!r}.")
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
    click.echo("personal data erased: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
