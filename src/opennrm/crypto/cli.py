"""`opennrm keys`: make a data key; re-encrypt everything under the current one."""

from __future__ import annotations

import click

from opennrm.cli._i18n import cli_gettext, cli_ngettext


@click.group()
def keys() -> None:
    """Keys of the personal data encrypted at rest (OPENNRM_DATA_KEYS)."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new random key for OPENNRM_DATA_KEYS (or OPENNRM_FILE_KEYS).

    To rotate: put the new key FIRST in the list, keep the old ones after it, restart,
    run `opennrm keys rotate`, then remove the old keys."""
    from opennrm.crypto.keys import generate_key

    click.echo(generate_key())


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def keys_rotate(batch_size: int) -> None:
    """Re-encrypt every encrypted value, attachment and queued upload with the first key
    (audited)."""
    from opennrm.cli.app import _setup

    _setup()
    from opennrm.crypto.services import keys_rotate as rotate

    report = rotate(actor=None, batch_size=batch_size)
    for label, counts in report.tables.items():
        said = cli_gettext(
            "%(table)s: %(rows)s rows, %(changed)s values re-encrypted, %(unchanged)s already "
            "under the current key"
        )
        line = said % {
            "table": label,  # the model's label (app.Model), as in the audit log
            "rows": counts.rows,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
        }
        if counts.skipped:
            left = cli_gettext(", %(count)s changed meanwhile (left)")
            line += left % {"count": counts.skipped}
        click.echo(line)
    if report.files_skipped_no_key:
        click.echo(cli_gettext("attachments: skipped, OPENNRM_FILE_KEYS is not set"), err=True)
    else:
        said = cli_gettext(
            "attachments: %(rotated)s re-encrypted, %(current)s already under the current key, "
            "%(missing)s missing on disk"
        )
        line = said % {
            "rotated": report.files.rotated,
            "current": report.files.current,
            "missing": report.files.missing,
        }
        if report.files.undecryptable:
            left = cli_gettext(", %(count)s under no configured key (left)")
            line += left % {"count": report.files.undecryptable}
        click.echo(line)
    said = cli_gettext(
        "uploads waiting for the import worker: %(rotated)s re-encrypted, %(current)s already "
        "under the current key"
    )
    line = said % {"rotated": report.spools.rotated, "current": report.spools.current}
    if report.spools.undecryptable:
        left = cli_gettext(", %(count)s under no configured key (left)")
        line += left % {"count": report.spools.undecryptable}
    click.echo(line)
    if report.spools.undecryptable:
        said = cli_ngettext(
            "%(count)s upload waiting for the import worker is under no configured key: its "
            "import will fail. Put the old key back in OPENNRM_FILE_KEYS or OPENNRM_DATA_KEYS, "
            "after the current one, and run `opennrm keys rotate` again; or have the file "
            "uploaded again.",
            "%(count)s uploads waiting for the import worker are under no configured key: their "
            "imports will fail. Put the old key back in OPENNRM_FILE_KEYS or OPENNRM_DATA_KEYS, "
            "after the current one, and run `opennrm keys rotate` again; or have the files "
            "uploaded again.",
            report.spools.undecryptable,
        )
        click.echo(said % {"count": report.spools.undecryptable}, err=True)
    files = report.files.rotated + report.spools.rotated
    said = cli_ngettext(
        "total: %(values)s values and %(count)s files re-encrypted",
        "total: %(values)s values and %(count)s files re-encrypted",
        files,
    )
    click.echo(said % {"values": report.values_rotated, "count": files})
