"""Referral endpoints: the same services and access rules as the pages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from opennrm.accounts.models import User
from opennrm.cases import selectors as case_selectors
from opennrm.cases.api import _ERRORS
from opennrm.cases.models import LegalBasis
from opennrm.core.errors import Forbidden, ValidationFailed
from opennrm.referrals import selectors, services
from opennrm.referrals.models import Referral, ReferralStatus

router = Router(tags=["referrals"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class ReferralOut(Schema):
    id: int
    case_reference: str = Field(..., alias="case.reference")
    service_id: uuid.UUID | None
    service_name: str
    service_type: str
    sending_agency: str = Field(..., alias="sending_agency.name")
    receiving_agency: str = Field(..., alias="receiving_agency.name")
    purpose: str
    status: ReferralStatus
    consent_id: int | None
    legal_basis: str
    note: str
    decline_reason: str
    response_due: datetime | None
    sent_at: datetime | None
    closed_at: datetime | None
    version: int


class ReferralIn(Schema):
    model_config = ConfigDict(extra="forbid")
    service_id: uuid.UUID
    needs: list[str] = Field(default_factory=list, max_length=8)
    note: str = Field("", max_length=services.NOTE_MAX)
    legal_basis: LegalBasis | None = None
    legal_basis_note: str = Field("", max_length=1000)


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(..., max_length=20, description=", ".join(services.ACTIONS))
    version: int
    reason: str = Field("", max_length=services.REASON_MAX)


class RankedOut(Schema):
    service_id: uuid.UUID
    name: str
    service_type: str
    organization: str
    score: float
    eligible: bool
    receives_in_opennrm: bool
    reasons: list[str]
    problems: list[str]


def _refused(user: User, access: case_selectors.CaseAccess) -> Forbidden:
    """A refused look at a case's referrals is audited, like every refused attempt."""
    case_selectors.access_refused_audit(
        user, reference=access.case.reference, what="refer", purpose=access.purpose
    )
    return Forbidden(_("Your access to this case does not let you refer it to a service."))


@router.get(
    "/cases/{reference}/services",
    response={200: list[RankedOut], **_ERRORS},
    summary="Services ranked for the person of a case, each with the reasons for its rank",
)
def services_for_case(request: HttpRequest, reference: str, needs: str = "") -> Any:
    from opennrm.directory.selectors import services_ranked

    user = _actor(request)
    access = case_selectors.case_access_for(user, reference)
    if not access.may("refer"):
        raise _refused(user, access)
    wanted = [n for n in needs.split(",") if n.strip()][:8]
    ranked = services_ranked(
        needs=wanted, country=access.case.country, **services.person_needs_profile(access.case)
    )
    return [
        {
            "service_id": r.service.pk,
            "name": r.service.name,
            "service_type": r.service.service_type,
            "organization": r.service.organization.name,
            "score": r.score,
            "eligible": r.eligible,
            "receives_in_opennrm": r.service.organization.agency_id is not None,
            "reasons": r.reasons,
            "problems": r.problems,
        }
        for r in ranked[:50]
    ]


@router.get(
    "/cases/{reference}/referrals",
    response={200: list[ReferralOut], **_ERRORS},
    summary="Referrals of a case",
)
def case_referrals(request: HttpRequest, reference: str) -> Any:
    user = _actor(request)
    access = case_selectors.case_access_for(user, reference)
    if not access.may("refer"):
        raise _refused(user, access)
    return list(selectors.referrals_of_case(access.case))


@router.post(
    "/cases/{reference}/referrals",
    response={201: ReferralOut, **_ERRORS},
    summary="Refer the person to a service (needs their consent to that service)",
)
def referral_create(request: HttpRequest, reference: str, payload: ReferralIn) -> Status[Referral]:
    from opennrm.directory.models import Service

    user = _actor(request)
    case = case_selectors.case_get_for(user, reference)
    service = (
        Service.objects.select_related("organization__agency").filter(pk=payload.service_id).first()
    )
    if service is None:
        raise ValidationFailed(_("No service with this id."), field="service_id")
    referral = services.referral_create(
        actor=user,
        case=case,
        service=service,
        needs=payload.needs,
        note=payload.note,
        legal_basis=payload.legal_basis or "",
        legal_basis_note=payload.legal_basis_note,
    )
    return Status(201, referral)


@router.get(
    "/referrals",
    response={200: list[ReferralOut], **_ERRORS},
    summary="Referrals your agency received (incoming) or sent",
)
def referral_list(request: HttpRequest, box: str = "incoming") -> Any:
    user = _actor(request)
    if box not in ("incoming", "sent"):
        raise ValidationFailed(_("Choose incoming or sent."), field="box")
    qs = selectors.referrals_incoming(user) if box == "incoming" else selectors.referrals_sent(user)
    return list(qs[:200])


@router.get("/referrals/{pk}", response={200: ReferralOut, **_ERRORS}, summary="One referral")
def referral_get(request: HttpRequest, pk: int) -> Referral:
    return selectors.referral_get_for(_actor(request), pk)


@router.post(
    "/referrals/{pk}/actions",
    response={200: ReferralOut, **_ERRORS},
    summary="Acknowledge, accept, decline (reason), start, complete; or withdraw (sender)",
)
def referral_act(request: HttpRequest, pk: int, payload: ActionIn) -> Referral:
    user = _actor(request)
    referral = selectors.referral_get_for(user, pk)
    return services.referral_transition(
        actor=user,
        referral=referral,
        action=payload.action,
        expected_version=payload.version,
        reason=payload.reason,
    )
