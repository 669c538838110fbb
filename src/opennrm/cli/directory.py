"""``opennrm directory``: import and export the service directory as Open Referral HSDS 3.0."""

from __future__ import annotations

import json
from pathlib import Path

import click

from opennrm.cli._i18n import CommandError, gettext, ngettext
from opennrm.cli.app import _setup

_ = gettext


@click.group(name="directory")
def directory() -> None:
    """The service directory (organisations, services, locations) as HSDS 3.0 JSON."""


@directory.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def directory_import(path: str) -> None:
    """Import HSDS 3.0 service records from PATH. Bad records are listed and skipped; the
    good ones are kept. Exit code 1 if any record was refused."""
    _setup()
    from opennrm.core.errors import DomainError
    from opennrm.directory.services import directory_import as do_import

    try:
        report = do_import(actor=None, data=Path(path).read_bytes())
    except DomainError as exc:
        raise CommandError(str(exc.message)) from exc
    said = _(
        "read %(read)s: created %(created)s, updated %(updated)s, unchanged %(unchanged)s, "
        "refused %(rejected)s"
    )
    counts = {
        "read": report.read,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    }
    click.echo(said % counts)
    for p in report.problems:
        label = " ".join(x for x in (p.record_id, p.name) if x)
        where = {"index": p.index, "label": label, "field": p.field, "message": p.message}
        click.echo("  " + _("record %(index)s %(label)s: %(field)s: %(message)s") % where, err=True)
    if report.rejected:
        raise SystemExit(1)


@directory.command("export")
@click.option("--output", type=click.Path(dir_okay=False), required=True)
def directory_export(output: str) -> None:
    """Write the whole directory to OUTPUT as one HSDS 3.0 JSON document."""
    _setup()
    from opennrm.directory.services import directory_export as do_export

    document = do_export(actor=None)
    Path(output).write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    count = document["total_items"]
    said = ngettext(
        "%(count)s services written to %(path)s", "%(count)s services written to %(path)s", count
    )
    click.echo(said % {"count": count, "path": output})
