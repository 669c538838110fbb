"""``opennrm monitor train|score|cluster``."""

from __future__ import annotations

from opennrm.cli.monitor import monitor  # noqa: F401
