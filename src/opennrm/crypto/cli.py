"""`opennrm keys`: make a data key; re-encrypt everything under the current one."""

from __future__ import annotations

import click


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
    """Re-encrypt every encrypted value and attachment with the first key (audited)."""
    from opennrm.cli.app import _setup

    _setup()
    from opennrm.crypto.services import keys_rotate as rotate

    report = rotate(actor=None, batch_size=batch_size)
    for label, counts in report.tables.items():
        click.echo(
            f"{label}: {counts.rows} rows, {counts.changed} values re-encrypted, "
            f"{counts.unchanged} already under the current key"
            + (f", {counts.skipped} changed meanwhile (left)" if counts.skipped else "")
        )
    if report.files_skipped_no_key:
        click.echo("attachments: skipped, OPENNRM_FILE_KEYS is not set", err=True)
    else:
        click.echo(
            f"attachments: {report.files_rotated} re-encrypted, {report.files_current} "
            f"already under the current key, {report.files_missing} missing on disk"
            + (
                f", {report.files_undecryptable} under no configured key (left)"
                if report.files_undecryptable
                else ""
            )
        )
    click.echo(
        f"total: {report.values_rotated} values and {report.files_rotated} files re-encrypted"
    )
