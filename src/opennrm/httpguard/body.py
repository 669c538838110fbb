"""Request bodies sent without a Content-Length (``Transfer-Encoding: chunked``).

Django reads exactly ``CONTENT_LENGTH`` bytes of a body, so a chunked one reaches a view
empty and no size check sees it. :class:`ChunkedBodyLimit` (wrapped around the WSGI
application) reads such a body, as the server decodes it, into an anonymous temporary
file (in memory up to the attachment limit; beyond, a file that is already unlinked, so
nothing is ever left behind) and stops reading as soon as it passes the largest body the
application accepts at that address. A body within that bound is handed to Django with its length, so every
per-page limit applies as for any other request; a larger one is answered 413 by
:class:`BodyTooLargeMiddleware`, in the caller's language and, under ``/api/``, in the API's
error shape.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

TOO_LARGE = "opennrm.body_too_large"
_SLACK = 64 * 1024  # multipart headers and form fields around the largest file
_READ = 64 * 1024


#: the one page that takes monitoring uploads (OPENNRM_MAX_UPLOAD_BYTES)
_IMPORT_PATH = "/online/import/"
#: and its API twin (``POST /api/online/imports``)
_IMPORT_API_PATHS = ("/api/online/imports", "/api/online/imports/")


def largest_body(path: str = _IMPORT_PATH) -> int:
    """The most bytes a request body to ``path`` may have: the monitoring-upload limit on
    the import page and its API address, elsewhere the larger of the attachment and plain-body limits (plus
    slack for the form around a file)."""
    small = max(settings.OPENNRM_ATTACHMENT_MAX_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
    if path == _IMPORT_PATH or path in _IMPORT_API_PATHS:
        return max(small, settings.OPENNRM_MAX_UPLOAD_BYTES) + _SLACK
    return small + _SLACK


class _Closing:
    """The application's answer, closing the spooled body after it was sent."""

    def __init__(self, result: Iterable[bytes], spool: Any) -> None:
        self._result, self._spool = result, spool

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._result)

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            self._spool.close()


class ChunkedBodyLimit:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        # only where the server decodes the chunks and ends the stream (gunicorn does);
        # elsewhere Django reads nothing of the body, as before
        if not chunked or environ.get("CONTENT_LENGTH") or not environ.get("wsgi.input_terminated"):
            return self.app(environ, start_response)
        spool = _spool(environ)
        result = self.app(environ, start_response)
        return result if spool is None else _Closing(result, spool)


def _spool(environ: dict[str, Any]) -> Any:
    limit = largest_body(environ.get("PATH_INFO", ""))
    source = environ["wsgi.input"]
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed when the answer is sent)
        max_size=settings.OPENNRM_ATTACHMENT_MAX_BYTES + _SLACK
    )
    size = 0
    try:
        while chunk := source.read(_READ):
            size += len(chunk)
            if size > limit:  # stop reading: what came so far is dropped with the spool
                spool.close()
                environ[TOO_LARGE] = True
                environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(), "0"
                return None
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = spool, str(size)
    return spool


class BodyTooLargeMiddleware:
    """Answers 413 for a body :class:`ChunkedBodyLimit` stopped reading. Placed after the
    language and the user are known (the page shows the usual navigation); every view
    hook (CSRF included) comes after all middleware calls, so nothing reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.META.get(TOO_LARGE):
            return self.get_response(request)
        message = _(
            "The request is larger than %(mb)s MB, the most this server accepts. "
            "Send a smaller file: split a large import into smaller files, or ask the "
            "administrator to import it on the server (opennrm online import)."
        ) % {"mb": f"{largest_body(request.path_info) / 1_000_000:.1f}"}
        if request.path_info.startswith("/api/"):
            body = {"error": "too_large", "message": message, "field": "body"}
            return JsonResponse(body, status=413)
        return render(request, "httpguard/413.html", {"message": message}, status=413)
