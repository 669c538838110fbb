"""Steps of the chunked-body test, each its own process against a throwaway database
(``python -m tests.httpguard.flow STEP`` with OPENNRM_DATABASE_URL set)."""

from __future__ import annotations

import json
import os
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opennrm.settings")
    import django

    django.setup()


def setup() -> None:
    """A monitoring user with a second factor: a verified session and an API token."""
    _django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from opennrm.accounts.models import Agency, User
    from opennrm.accounts.roles import AgencyType, Role
    from opennrm.accounts.services import api_token_create

    agency = Agency.objects.create(name="Cyber Police", type=AgencyType.POLICE, country="UA")
    user = User.objects.create_user(
        username="watcher", password="not-used-here-1234", agency=agency, role=Role.FRONTLINE
    )
    device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["otp_device_id"] = device.persistent_id
    session.create()
    _token, raw = api_token_create(actor=user, user=user, name="t", scope="write")
    print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "session": session.session_key,
                      "token": raw}))  # fmt: skip


def runs() -> None:
    _django()
    from opennrm.online.models import ImportRun

    print(json.dumps([{"state": r.state, "path": r.upload_path, "name": r.source_name,
                       "body": _waiting(r.upload_path)}
                      for r in ImportRun.objects.order_by("pk")]))  # fmt: skip


def _waiting(path: str) -> str | None:
    """What a queued upload holds, as the worker reads it (decrypted), or None."""
    from opennrm.crypto.files import open_decrypted
    from opennrm.online.services import spool_keys

    if not path or not os.path.isfile(path):
        return None
    with open_decrypted(path, keys=spool_keys()) as plain:
        return plain.read().decode("utf-8", "replace")


if __name__ == "__main__":
    {"setup": setup, "runs": runs}[sys.argv[1]](*sys.argv[2:])
