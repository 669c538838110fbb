"""Keep case references and personal data out of the server's log.

Django's request logger writes the path of every 4xx and 5xx answer
(``Not Found: /cases/C-7KXQ2M4P/``) and the exception text of server errors
(which can quote stored values); django-axes writes the user name and address
of failed sign-ins. ``RedactFilter`` sits on the log handler: request lines keep
only the URL pattern (``/cases/<str:reference>/``), exception texts keep only the
exception's type, and anything that still looks like a case reference is masked.
``axes_client`` replaces axes' description of a client with a keyed pseudonym, so
repeated failures can still be correlated without naming anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import traceback
from typing import Any

_CASE_REF = re.compile(r"C-[2-9A-HJ-NP-Z]{8}")
_REQUEST_LOGGERS = ("django.request", "django.server", "django.security")


def redact_path(path: str, request: Any = None) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match, "route", None):
        return "/" + match.route
    first = path.lstrip("/").split("/", 1)[0]
    return f"/{first}/…" if first else "/"


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_REQUEST_LOGGERS):
            request = getattr(record, "request", None)
            path = getattr(request, "path", None)
            if path and isinstance(record.args, tuple):
                record.args = tuple(
                    a.replace(path, redact_path(path, request)) if isinstance(a, str) else a
                    for a in record.args
                )
            if record.exc_info and record.exc_info[1] is not None:
                exc_type, _exc, tb = record.exc_info
                record.exc_text = (
                    "Traceback (most recent call last):\n"
                    + "".join(traceback.format_tb(tb))
                    + (exc_type.__name__ if exc_type else "Exception")
                )
                record.exc_info = None
        message = record.getMessage()
        if _CASE_REF.search(message):
            record.msg = _CASE_REF.sub("C-…", message)
            record.args = ()
        return True


def axes_client(
    username: str, ip_address: str, user_agent: str, path_info: str, request: Any
) -> str:
    """A keyed pseudonym of the user name and address (django-axes' log text)."""
    from django.conf import settings

    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{username}\x00{ip_address}".encode(), hashlib.sha256
    ).hexdigest()
    return f"client {digest[:12]}"
