"""``POST /api/exchange/inbox``: partners push packages and receipts here.

No sign-in: a package is accepted only when it is encrypted to this deployment's
key and signed by a partner key a person trusted. The body (the compact token,
``application/jose``) is refused above 64 KiB before it is read.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from opennrm.exchange import services
from opennrm.transnational import MAX_PACKAGE_BYTES

router = Router(tags=["exchange"])


@router.post("/inbox", auth=None, response={202: dict, 413: dict, 422: dict, 503: dict})
def inbox(request: HttpRequest) -> HttpResponse:
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = MAX_PACKAGE_BYTES + 1
    if length > MAX_PACKAGE_BYTES:
        return JsonResponse(
            {"error": "too_large", "reason": "too_large", "message": "The package is too large."},
            status=413,
        )
    kind = services.package_receive(token=request.body)
    return JsonResponse({"status": "received", "kind": kind}, status=202)
