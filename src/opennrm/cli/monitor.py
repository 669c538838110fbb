"""``opennrm monitor``: online monitoring of high-risk locations (pure library, no Django)."""

from __future__ import annotations

import click


@click.group()
def monitor() -> None:
    """Ingest, extract, score, cluster and export online posts."""


# Commands are defined in two modules that register themselves on the group above.
from opennrm.cli import _monitor_io, _monitor_model  # noqa: E402, F401
