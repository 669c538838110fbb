"""Screening endpoints: evaluate answers (stored with the explanation), list a case's screenings."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from opennrm.accounts.models import User
from opennrm.cases.selectors import case_get_for
from opennrm.core.schemas import JsonIn
from opennrm.screenings import selectors, services
from opennrm.screenings.models import Screening

router = Router(tags=["screening"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class ScreeningIn(JsonIn):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    set_id: str = Field(
        ...,
        alias="set",
        max_length=32,
        description="adult_labour, adult_sexual, child_labour, child_sexual",
    )
    age: int | None = Field(..., ge=0, le=120, description="null if unknown")
    answers: dict[str, str] = Field(..., description='indicator id -> "yes" | "no" | "unknown"')
    case_reference: str | None = Field(None, max_length=16, description="store with this case")
    interviewee_language: str = Field("", max_length=8)


class ScreeningOut(Schema):
    id: UUID = Field(..., alias="public_id")
    set_id: str
    age: int | None
    status: str
    outcome: str
    forced_criminality: bool
    catalogue_version: str
    case_reference: str | None = None
    created_at: datetime
    result: dict[str, Any]

    @staticmethod
    def resolve_case_reference(obj: Screening) -> str | None:
        return obj.case.reference if obj.case_id else None


class InterviewIn(JsonIn):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    set_id: str = Field(..., alias="set", max_length=32)
    age: int | None = Field(..., ge=0, le=120, description="null if unknown")
    answers: dict[str, str] = Field(
        ..., description='answers so far: indicator id -> "yes" | "no" | "unknown"'
    )


class DimensionProgressOut(Schema):
    dimension: str
    asked: int
    total: int


class InterviewOut(Schema):
    outcome: str = Field(..., description="the outcome of the answers so far")
    lowest: str = Field(..., description="the lowest outcome the questions not asked can give")
    highest: str = Field(..., description="the highest outcome the questions not asked can give")
    settled: bool = Field(..., description="outcome and forced-criminality flag cannot change")
    outcome_settled: bool
    asked: int
    total: int
    next_question: str | None = Field(None, description="indicator id to ask next, or null")
    progress: list[DimensionProgressOut]


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None
    details: list[dict[str, str]] | None = None


_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post(
    "/screenings",
    response={201: ScreeningOut, **_ERRORS},
    summary="Evaluate a screening (answers by indicator id) and store it with its explanation",
)
def screening_create(request: HttpRequest, payload: ScreeningIn) -> Status[Screening]:
    user = _actor(request)
    case = case_get_for(user, payload.case_reference) if payload.case_reference else None
    screening = services.screening_record(
        actor=user,
        set_id=payload.set_id,
        age=payload.age,
        answers=payload.answers,
        case=case,
        interviewee_language=payload.interviewee_language,
    )
    return Status(201, screening)


@router.post(
    "/screenings/interview",
    response={200: InterviewOut, **_ERRORS},
    summary="Adaptive interview: the next question to ask and whether the outcome is settled "
    "(nothing is stored)",
)
def screening_interview(request: HttpRequest, payload: InterviewIn) -> dict[str, Any]:
    state = services.screening_interview(
        actor=_actor(request), set_id=payload.set_id, age=payload.age, answers=payload.answers
    )
    return state.to_dict() | {"outcome_settled": state.outcome_settled}


@router.get(
    "/screenings/{public_id}", response={200: ScreeningOut, **_ERRORS}, summary="One screening"
)
def screening_detail(request: HttpRequest, public_id: str) -> Screening:
    screening = selectors.screening_get_for(_actor(request), public_id)
    services.screening_view_audit(actor=_actor(request), screening=screening)
    return screening


@router.get(
    "/cases/{reference}/screenings",
    response={200: list[ScreeningOut], **_ERRORS},
    summary="Screenings stored with a case",
)
def case_screenings(request: HttpRequest, reference: str) -> list[Screening]:
    case = case_get_for(_actor(request), reference)
    screenings = list(selectors.screenings_of_case(case))
    for screening in screenings:
        services.screening_view_audit(actor=_actor(request), screening=screening)
    return screenings
