"""Background jobs of online monitoring, run by ``opennrm worker``.

Tasks follow Django's task framework (DEP 14: ``django.tasks`` from Django 6.0, the
``django_tasks`` backport before it); the queue is a table in the application's own
database (``django_tasks_db``), so no other server is needed.
"""

from __future__ import annotations

from typing import Any

try:  # Django 6.0+
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2: the backport
    from django_tasks import task


@task()
def import_file(run_id: int) -> dict[str, Any]:
    """Import one queued file (an :class:`~opennrm.online.models.ImportRun`)."""
    from opennrm.online.services import import_process

    run = import_process(run_id=run_id)
    return {"run": run.pk, "state": run.state, "stored": run.stored}
