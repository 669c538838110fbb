"""The data subject's rights over the API: export everything about the person of a case,
and erase it. Same services, same policy actions (``subject_access``, ``erase``) as the
page; both audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from opennrm.accounts.models import User
from opennrm.core.schemas import JsonIn
from opennrm.dataprotection import services

router = Router(tags=["data subject"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class _Error(Schema):
    error: str
    message: str
    field: str | None = None
    details: list[dict[str, str]] | None = None


_ERRORS: dict[int, Any] = {403: _Error, 404: _Error, 422: _Error}


class EraseIn(JsonIn):
    confirm: str = Field(..., max_length=32, description="The case reference, repeated")


class ErasedOut(Schema):
    reference: str
    counts: dict[str, int] = Field(..., description="Records changed, per kind (no data)")


@router.get(
    "/{reference}/personal-data",
    response={200: dict[str, Any], **_ERRORS},
    summary="Everything held about the person of a case (right of access; audited)",
)
def subject_export(request: HttpRequest, reference: str) -> dict[str, Any]:
    return services.subject_export(actor=_actor(request), reference=reference)


@router.post(
    "/{reference}/personal-data/erasure",
    response={200: ErasedOut, **_ERRORS},
    summary="Erase the person's data of a case everywhere; its counts stay (audited)",
)
def subject_erase(request: HttpRequest, reference: str, payload: EraseIn) -> dict[str, Any]:
    counts = services.subject_erase(
        actor=_actor(request), reference=reference, confirm=payload.confirm
    )
    return {"reference": reference, "counts": counts}
