"""Steps of the worker test, each run as its own process against a throwaway database
(``python -m tests.online.worker_flow STEP ...`` with OPENNRM_DATABASE_URL set)."""

from __future__ import annotations

import json
import os
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opennrm.settings")
    import django

    django.setup()


def upload(path: str) -> None:
    """Create a monitoring user, upload ``path`` through the import page, print the run."""
    _django()
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.online.models import ImportRun

    agency = Agency.objects.create(name="Cyber Police", type=AgencyType.POLICE, country="UA")
    user = User.objects.create_user(
        username="watcher", password="not-used-here-1234", agency=agency, role=Role.FRONTLINE
    )
    device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    with open(path, "rb") as fh:
        response = client.post("/online/import/", {"file": fh})
    run = ImportRun.objects.get()
    print(json.dumps({"status": response.status_code, "location": response.get("Location", ""),
                      "run": run.pk, "state": run.state}))  # fmt: skip


def status(run_id: str) -> None:
    _django()
    from opennrm.online.models import ImportRun

    run = ImportRun.objects.get(pk=int(run_id))
    print(json.dumps({"state": run.state, "read": run.read, "stored": run.stored,
                      "skipped": run.skipped, "problems": run.problems,
                      "upload_path": run.upload_path}))  # fmt: skip


def runs() -> None:
    _django()
    from opennrm.online.models import ImportRun

    print(json.dumps([{"id": r.pk, "state": r.state, "error": r.error, "stored": r.stored}
                      for r in ImportRun.objects.order_by("pk")]))  # fmt: skip


def posts() -> None:
    _django()
    from opennrm.online.models import MonitoredPost

    print(json.dumps({"posts": MonitoredPost.objects.count(),
                      "distinct": MonitoredPost.objects.values("post_id").distinct().count()}))  # fmt: skip


if __name__ == "__main__":
    {"upload": upload, "status": status, "runs": runs, "posts": posts}[sys.argv[1]](*sys.argv[2:])
