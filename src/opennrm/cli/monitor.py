"""``opennrm monitor``: online monitoring of high-risk locations (pure library, no Django)."""

from __future__ import annotations

import click

from opennrm.cli._i18n import language_option


@click.group()
@language_option
def monitor() -> None:
    """Ingest, extract, score, cluster and export online posts.

    Messages are in English, Ukrainian or Russian (--language, here or after the command;
    default: $OPENNRM_LANGUAGE, else the locale); the files written are the same in all."""


# Commands are defined in two modules that register themselves on the group above.
from opennrm.cli import _monitor_io, _monitor_model  # noqa: E402, F401
