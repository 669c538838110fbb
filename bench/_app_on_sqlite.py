"""What the benches of the Django app share: a throwaway SQLite installation and the
synthetic posts of ``bench/imports.py``."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def generator() -> Any:
    """``bench/imports.py``'s ``generate(path, posts, seed)`` (synthetic posts, JSON Lines)."""
    spec = importlib.util.spec_from_file_location("bench_imports", ROOT / "bench" / "imports.py")
    assert spec is not None and spec.loader is not None  # noqa: S101
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def django_on_sqlite(tmp: Path) -> None:
    """Set the app up on a new SQLite database in ``tmp`` and migrate it."""
    os.environ.update(
        {
            "OPENNRM_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "OPENNRM_DATA_DIR": str(tmp / "data"),
            "OPENNRM_AUDIT_DB_TRIGGERS": "0",
            "DJANGO_SETTINGS_MODULE": "opennrm.settings",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
