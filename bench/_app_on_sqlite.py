"""What the benches of the Django app share: a throwaway SQLite installation and the
synthetic posts of ``bench/imports.py``."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
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


def bench_main(
    doc: str | None,
    run: Callable[[argparse.Namespace, Path], dict[str, Any]],
    *,
    posts: int,
    posts_help: str | None = None,
    prefix: str = "bench-",
) -> None:
    """The command line these benches share: ``--posts``, ``--seed``, ``--json``; ``run``
    gets the arguments and a throwaway folder (removed after), its figures are printed as
    JSON and written to ``--json``."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=posts, help=posts_help)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        figures = run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
