"""Case endpoints. Same rules as the pages: every handler goes through
``case_get_for`` (need-to-know) and the services (role, workflow, audit)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from opennrm.accounts.models import Agency, User
from opennrm.cases import selectors, services
from opennrm.cases.models import AccessPurpose, Case, CaseGrant, ExploitationType
from opennrm.cases.workflow import TRANSITIONS, State, transitions_for
from opennrm.core.errors import NotFound, ValidationFailed
from opennrm.core.schemas import JsonDate, JsonDateTime, JsonIn, json_code, omittable

router = Router(tags=["cases"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class _Strict(JsonIn):
    """Request bodies: strict JSON, unknown fields refused (opennrm.core.schemas)."""


class CaseOut(Schema):
    reference: str
    state: State
    exploitation_type: ExploitationType
    country: str
    region: str
    is_child: bool
    forced_criminality: bool
    screening_outcome: str
    owning_agency: str = Field(..., alias="owning_agency.name")
    rg_due: date | None
    reflection_starts: date | None
    reflection_ends: date | None
    deadline: date | None
    deadline_kind: str
    version: int
    created_at: datetime
    updated_at: datetime


class EventOut(Schema):
    kind: str
    transition: str
    from_state: str
    to_state: str
    actor: str = Field(..., alias="actor.username")
    at: datetime
    reason: str


class TransitionOut(Schema):
    name: str
    label: str
    target: State
    requires_reason: bool
    requires_screening_outcome: bool
    requires_referral_agency: bool


class CaseDetailOut(CaseOut):
    forced_criminality_note: str
    summary: str
    timeline: list[EventOut]
    available_transitions: list[TransitionOut]


class CaseFilters(Schema):
    state: State | None = None
    region: str | None = None
    overdue: bool | None = None
    is_child: bool | None = None
    forced_criminality: bool | None = None
    reference: str | None = None
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(25, ge=1, le=200)


class CasePage(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[CaseOut]


class CaseCreateIn(_Strict):
    exploitation_type: json_code(ExploitationType) = ExploitationType.UNKNOWN
    region: str = Field("", max_length=100)
    is_child: bool = False
    summary: str = Field("", max_length=5000)
    forced_criminality: bool = False
    forced_criminality_note: str = Field("", max_length=2000)


class CaseUpdateIn(_Strict):
    version: int
    # each may be left out, none may be null
    exploitation_type: json_code(ExploitationType) = omittable()
    region: str = omittable(max_length=100)
    is_child: bool = omittable()
    summary: str = omittable(max_length=5000)
    forced_criminality: bool = omittable()
    forced_criminality_note: str = omittable(max_length=2000)


class TransitionIn(_Strict):
    name: str = Field(..., max_length=40)
    version: int
    reason: str = Field("", max_length=5000)
    screening_outcome: str = ""
    referral_agency_id: int | None = None


class PersonIn(_Strict):
    version: int | None = None
    given_name: str = Field("", max_length=150)
    family_name: str = Field("", max_length=150)
    other_names: str = Field("", max_length=300)
    date_of_birth: JsonDate | None = None
    age_band: str = Field("", max_length=16)
    gender: str = Field("", max_length=32)
    citizenship: str = Field("", max_length=100)
    languages: str = Field("", max_length=200)
    contact: str = Field("", max_length=2000)
    documents: str = Field("", max_length=2000)


class PersonOut(Schema):
    version: int
    given_name: str
    family_name: str
    other_names: str
    date_of_birth: date | None
    age_band: str
    gender: str
    citizenship: str
    languages: str
    contact: str
    documents: str


class GrantIn(_Strict):
    agency_id: int | None = None
    user_id: int | None = None
    purpose: json_code(AccessPurpose)
    note: str = Field("", max_length=500, description="kept on the grant only; no personal data")
    expires_at: JsonDateTime


class GrantOut(Schema):
    id: int
    agency_id: int | None
    user_id: int | None
    purpose: str
    note: str
    expires_at: datetime
    granted_at: datetime


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def _transitions_out(case: Case, user: User) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "label": str(t.label),
            "target": t.target,
            "requires_reason": t.requires_reason,
            "requires_screening_outcome": t.requires_screening_outcome,
            "requires_referral_agency": t.requires_referral_agency,
        }
        for t in transitions_for(case.state, user.role)
    ]


def _detail(case: Case, user: User) -> Case:
    case.timeline = list(selectors.case_timeline(case))  # type: ignore[attr-defined]
    case.available_transitions = _transitions_out(case, user)  # type: ignore[attr-defined]
    return case


def _case_row_out(row: dict[str, Any]) -> CaseOut:
    """A ``CaseOut`` from a ``case_search_page_rows`` row, without per-field validation:
    the values come straight from the database columns the schema describes."""
    row["state"] = State(row["state"])
    row["exploitation_type"] = ExploitationType(row["exploitation_type"])
    return CaseOut.model_construct(**row)


@router.get("", response=CasePage, summary="Search cases you may see")
def case_list(request: HttpRequest, filters: Query[CaseFilters]) -> CasePage:
    rows = selectors.case_search_page_rows(
        _actor(request),
        offset=(filters.page - 1) * filters.page_size,
        limit=filters.page_size + 1,
        state=filters.state,
        region=filters.region,
        overdue=filters.overdue,
        is_child=filters.is_child,
        forced_criminality=filters.forced_criminality,
        reference=filters.reference,
    )
    # Built, not validated: ninja then only dumps it (a page is the hot path of the API).
    return CasePage.model_construct(
        page=filters.page,
        page_size=filters.page_size,
        has_next=len(rows) > filters.page_size,
        items=[_case_row_out(row) for row in rows[: filters.page_size]],
    )


@router.post("", response={201: CaseOut, **_ERRORS}, summary="Open a case")
def case_create(request: HttpRequest, payload: CaseCreateIn) -> Status[Case]:
    return Status(201, services.case_create(actor=_actor(request), **payload.model_dump()))


@router.get(
    "/{reference}", response={200: CaseDetailOut, **_ERRORS}, summary="One case, with its timeline"
)
def case_detail(request: HttpRequest, reference: str) -> Case:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    services.case_view_audit(actor=user, case=case)
    return _detail(case, user)


@router.patch("/{reference}", response={200: CaseOut, **_ERRORS}, summary="Edit case facts")
def case_update(request: HttpRequest, reference: str, payload: CaseUpdateIn) -> Case:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    if not changes:
        raise ValidationFailed(
            "Nothing to change: send at least one field besides version.", field="body"
        )
    return services.case_update(actor=user, case=case, expected_version=version, changes=changes)


@router.get(
    "/{reference}/transitions",
    response={200: list[TransitionOut], **_ERRORS},
    summary="Workflow steps you may take now",
)
def case_transitions(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _actor(request)
    return _transitions_out(selectors.case_get_for(user, reference), user)


@router.post(
    "/{reference}/transitions",
    response={200: CaseOut, **_ERRORS},
    summary=f"Take a workflow step ({', '.join(TRANSITIONS)})",
)
def case_transition(request: HttpRequest, reference: str, payload: TransitionIn) -> Case:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    agency = None
    if payload.referral_agency_id is not None:
        agency = Agency.objects.filter(pk=payload.referral_agency_id).first()
        if agency is None:
            raise ValidationFailed("No agency with this id.", field="referral_agency_id")
    return services.case_transition(
        actor=user,
        case=case,
        name=payload.name,
        expected_version=payload.version,
        reason=payload.reason,
        screening_outcome=payload.screening_outcome,
        referral_agency=agency,
    )


@router.get(
    "/{reference}/person",
    response={200: PersonOut, **_ERRORS},
    summary="Personal data of the case (audited read)",
)
def person_get(
    request: HttpRequest, reference: str, purpose: AccessPurpose = AccessPurpose.CASE_WORK
) -> Any:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    person = services.person_read(actor=user, case=case, purpose=purpose)
    if person is None:
        raise NotFound("This case has no personal record yet.")
    return person


@router.put(
    "/{reference}/person",
    response={200: PersonOut, **_ERRORS},
    summary="Create or replace the personal data (send version when replacing)",
)
def person_put(request: HttpRequest, reference: str, payload: PersonIn) -> Any:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    data = payload.model_dump()
    version = data.pop("version")
    return services.person_save(actor=user, case=case, data=data, expected_version=version)


@router.get(
    "/{reference}/grants", response={200: list[GrantOut], **_ERRORS}, summary="Active access grants"
)
def grant_list(request: HttpRequest, reference: str) -> Any:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    services.case_view_audit(actor=user, case=case)
    return list(selectors.case_active_grants(case))


@router.post(
    "/{reference}/grants",
    response={201: GrantOut, **_ERRORS},
    summary="Grant need-to-know access to an agency or user",
)
def grant_create(request: HttpRequest, reference: str, payload: GrantIn) -> Status[CaseGrant]:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    agency = grantee = None
    if payload.agency_id is not None:
        agency = Agency.objects.filter(pk=payload.agency_id).first()
    if payload.user_id is not None:
        grantee = User.objects.filter(pk=payload.user_id, is_active=True).first()
    missing = (payload.agency_id is not None and agency is None) or (
        payload.user_id is not None and grantee is None
    )
    # A missing id answers like any other refusal: the service's permission checks
    # come first, and a user who may not receive the grant reads the same as none.
    unknown = ValidationFailed(
        "No agency or active case-working user with this id.",
        field="agency_id" if payload.agency_id is not None else "user_id",
    )
    try:
        grant = services.grant_create(
            actor=user,
            case=case,
            agency=None if missing else agency,
            user=None if missing else grantee,
            purpose=payload.purpose,
            note=payload.note,
            expires_at=payload.expires_at,
        )
    except ValidationFailed as exc:
        if missing or exc.field == "user":
            raise unknown from None
        raise
    if missing:  # pragma: no cover - the service refuses a grant to nobody
        raise unknown
    return Status(201, grant)


@router.delete(
    "/{reference}/grants/{grant_id}", response={204: None, **_ERRORS}, summary="Revoke a grant"
)
def grant_revoke(request: HttpRequest, reference: str, grant_id: int) -> Status[None]:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    grant = selectors.case_active_grants(case).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("No active grant with this id on this case.")
    services.grant_revoke(actor=user, grant=grant)
    return Status(204, None)
