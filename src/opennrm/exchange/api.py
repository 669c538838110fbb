"""``POST /api/exchange/inbox``: partners push packages and receipts here.

No sign-in: a package is accepted only when it is encrypted to this deployment's
key and signed by a partner key a person trusted. The body (the compact token,
``application/jose``) is refused above 64 KiB before it is read.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema

from opennrm.exchange import selectors, services
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


class ReceiptOut(Schema):
    status: str
    reason: str
    at: str
    received_at: str


class OutgoingOut(Schema):
    package_id: str
    partner: str
    partner_name: str
    purpose: str
    fields_sent: list[str]
    status: str
    status_label: str
    sent_at: datetime
    expires_at: datetime
    receipts: list[ReceiptOut]


@router.get("/cases/{reference}/outgoing", response=list[OutgoingOut])
def outgoing(request: HttpRequest, reference: str) -> list[OutgoingOut]:
    """The case's transnational referrals and what each partner answered."""
    return [
        OutgoingOut(
            package_id=p.jti,
            partner=p.partner_id,
            partner_name=p.partner_name,
            purpose=p.purpose,
            fields_sent=p.fields_sent,
            status=p.status,
            status_label=str(p.get_status_display()),
            sent_at=p.sent_at,
            expires_at=p.expires_at,
            receipts=[
                ReceiptOut(
                    status=r["status"],
                    reason=r.get("reason", ""),
                    at=r["at"],
                    received_at=r["received_at"],
                )
                for r in p.receipts
            ],
        )
        for p in selectors.outgoing_for(request.auth, reference)  # type: ignore[arg-type]
    ]
