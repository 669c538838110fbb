"""Case endpoints. Same rules as the pages: every handler goes through
``case_get_for`` (need-to-know) and the services (role, workflow, audit)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from opennrm.accounts.models import Agency, User
from opennrm.cases import selectors, services
from opennrm.cases.models import (
    AccessPurpose,
    Case,
    CaseGrant,
    Consent,
    ConsentKind,
    ConsentMethod,
    ExploitationType,
    GuardianRole,
    LegalBasis,
)
from opennrm.cases.policy import ACTIONS, CASE_FIELDS, CASEWORK_FIELDS, PERSON_FIELDS
from opennrm.cases.selectors import CaseAccess
from opennrm.cases.workflow import TRANSITIONS, State
from opennrm.core.errors import Forbidden, NotFound, ValidationFailed
from opennrm.core.schemas import JsonDate, JsonDateTime, JsonIn, json_code, omittable

router = Router(tags=["cases"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class _Strict(JsonIn):
    """Request bodies: strict JSON, unknown fields refused (opennrm.core.schemas)."""


class CaseOut(Schema):
    """A case row; facts your access does not show are null."""

    reference: str
    state: State
    exploitation_type: ExploitationType | None
    country: str
    region: str | None
    is_child: bool | None
    forced_criminality: bool | None
    screening_outcome: str | None
    owning_agency: str = Field(..., alias="owning_agency.name")
    rg_due: date | None
    reflection_starts: date | None
    reflection_ends: date | None
    deadline: date | None
    deadline_kind: str | None
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


class AccessOut(Schema):
    purpose: str = Field(..., description="the purpose your access rests on (audited)")
    owner: bool
    case_fields: list[str] = Field(..., description="case facts your access shows")
    case_editable: list[str]
    person_fields: list[str] = Field(..., description="personal data your access shows")
    person_editable: list[str]
    actions: list[str]


class CaseDetailOut(Schema):
    """A case as one user's access shows it: facts outside the profile are null."""

    reference: str
    state: State
    owning_agency: str
    country: str
    version: int
    created_at: datetime
    updated_at: datetime
    anonymous_report: bool
    exploitation_type: ExploitationType | None = None
    region: str | None = None
    is_child: bool | None = None
    forced_criminality: bool | None = None
    forced_criminality_note: str | None = None
    summary: str | None = None
    screening_outcome: str | None = None
    rg_due: date | None = None
    reflection_starts: date | None = None
    reflection_ends: date | None = None
    deadline: date | None = None
    deadline_kind: str | None = None
    timeline: list[EventOut] | None = None
    available_transitions: list[TransitionOut]
    access: AccessOut


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
    legal_basis: json_code(LegalBasis) | None = None
    legal_basis_note: str = Field("", max_length=1000)


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
    """Only the fields your access shows; the others are null and listed in ``hidden``."""

    version: int
    given_name: str | None = None
    family_name: str | None = None
    other_names: str | None = None
    date_of_birth: date | None = None
    age_band: str | None = None
    gender: str | None = None
    citizenship: str | None = None
    languages: str | None = None
    contact: str | None = None
    documents: str | None = None
    hidden: list[str] = []


class ConsentIn(_Strict):
    kind: json_code(ConsentKind)
    given: bool = True
    purpose: json_code(AccessPurpose) | None = None
    recipient_agency_id: int | None = None
    service_ref: str = Field("", max_length=64)
    partner: str = Field("", max_length=100)
    fields: list[str] = Field(default_factory=list, max_length=len(PERSON_FIELDS))
    obtained_on: JsonDate
    method: json_code(ConsentMethod)
    interpreter_language: str = Field("", max_length=8)
    guardian: json_code(GuardianRole) = GuardianRole.NONE
    expires_on: JsonDate | None = None


class ConsentOut(Schema):
    id: int
    kind: str
    given: bool
    purpose: str
    recipient_agency_id: int | None
    service_ref: str
    partner: str
    fields: list[str]
    obtained_on: date
    method: str
    interpreter_language: str
    guardian: str
    expires_on: date | None
    recorded_at: datetime
    withdrawn_at: datetime | None


class AnonymousIn(_Strict):
    reason: str = Field("", max_length=1000)


class AccessRequestIn(_Strict):
    reference: str = Field(..., max_length=32)
    purpose: json_code(AccessPurpose)
    reason: str = Field(..., max_length=1000)


class AccessRequestOut(Schema):
    message: str


class GrantIn(_Strict):
    agency_id: int | None = None
    user_id: int | None = None
    purpose: json_code(AccessPurpose)
    note: str = Field("", max_length=500, description="kept on the grant only; no personal data")
    expires_at: JsonDateTime
    legal_basis: json_code(LegalBasis) | None = None
    legal_basis_note: str = Field("", max_length=1000)


class GrantOut(Schema):
    id: int
    agency_id: int | None
    user_id: int | None
    purpose: str
    note: str
    expires_at: datetime
    granted_at: datetime
    consent_id: int | None
    legal_basis: str


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


def _transitions_out(access: CaseAccess) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "label": str(t.label),
            "target": t.target,
            "requires_reason": t.requires_reason,
            "requires_screening_outcome": t.requires_screening_outcome,
            "requires_referral_agency": t.requires_referral_agency,
        }
        for t in access.steps
    ]


_DEADLINE_COLUMNS = ("rg_due", "reflection_starts", "reflection_ends", "deadline", "deadline_kind")


def _detail(access: CaseAccess) -> dict[str, Any]:
    """The case as this access shows it: the policy table decides each fact."""
    case = access.case
    out: dict[str, Any] = {
        "reference": case.reference,
        "state": case.state,
        "owning_agency": case.owning_agency.name,
        "country": case.country,
        "version": case.version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "anonymous_report": case.anonymous_report,
        "available_transitions": _transitions_out(access),
    }
    for field in CASE_FIELDS:
        if not access.sees(field):
            continue
        if field == "deadlines":
            out |= {column: getattr(case, column) for column in _DEADLINE_COLUMNS}
        elif field == "timeline":
            out["timeline"] = list(selectors.case_timeline(case))
        elif field != "screenings":
            out[field] = getattr(case, field)
    out["access"] = {
        "purpose": access.purpose,
        "owner": access.owner,
        # the casework records (opennrm.casework) are listed too: the table's whole answer
        "case_fields": [f for f in (*CASE_FIELDS, *CASEWORK_FIELDS) if access.sees(f)],
        "case_editable": list(access.case_editable_fields),
        "person_fields": list(access.person_fields),
        "person_editable": list(access.person_editable_fields),
        "actions": sorted(a for a in ACTIONS if access.may(a)),
    }
    return out


def _case_row_out(row: dict[str, Any]) -> CaseOut:
    """A ``CaseOut`` from a ``case_search_page_rows`` row, without per-field validation:
    the values come straight from the database columns the schema describes."""
    row["state"] = State(row["state"])
    if row["exploitation_type"] is not None:
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
def case_detail(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = _actor(request)
    access = selectors.case_access_for(user, reference)
    services.case_view_audit(actor=user, case=access.case, purpose=access.purpose)
    return _detail(access)


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
    return _transitions_out(selectors.case_access_for(_actor(request), reference))


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
            # refused first as for any agency: a missing id tells nothing to who may not refer
            services.case_step_naming_agency_check(actor=user, case=case, name=payload.name)
            raise ValidationFailed(_("No agency with this id."), field="referral_agency_id")
    return services.case_transition(
        actor=user,
        case=case,
        name=payload.name,
        expected_version=payload.version,
        reason=payload.reason,
        screening_outcome=payload.screening_outcome,
        referral_agency=agency,
        legal_basis=payload.legal_basis or "",
        legal_basis_note=payload.legal_basis_note,
    )


@router.get(
    "/{reference}/person",
    response={200: PersonOut, **_ERRORS},
    summary="Personal data of the case (audited read)",
)
def person_get(request: HttpRequest, reference: str, purpose: AccessPurpose | None = None) -> Any:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    person = services.person_read(actor=user, case=case, purpose=purpose or "")
    if person is None:
        raise NotFound(_("This case has no personal record yet."))
    return {"version": person.version, "hidden": list(person.hidden), **person.fields}


@router.put(
    "/{reference}/person",
    response={200: PersonOut, **_ERRORS},
    summary="Create the personal data, or change the fields sent (send version when changing)",
)
def person_put(request: HttpRequest, reference: str, payload: PersonIn) -> Any:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    services.person_save(actor=user, case=case, data=data, expected_version=version)
    person = services.person_read(actor=user, case=case)
    return {"version": person.version, "hidden": list(person.hidden), **person.fields}  # type: ignore[union-attr]


@router.get(
    "/{reference}/grants", response={200: list[GrantOut], **_ERRORS}, summary="Active access grants"
)
def grant_list(request: HttpRequest, reference: str) -> Any:
    """Who else sees the case: for the owner and those who may share it (as on the page);
    a grantee for a service purpose does not learn the other recipients."""
    user = _actor(request)
    access = selectors.case_access_for(user, reference)
    if not (access.owner or access.may("share")):
        selectors.access_refused_audit(
            user, reference=access.case.reference, what="grants", purpose=access.purpose
        )
        raise Forbidden(_("Your access to this case does not let you share it."))
    services.case_view_audit(actor=user, case=access.case, purpose=access.purpose)
    return list(selectors.case_active_grants(access.case))


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
    missing_agency = payload.agency_id is not None and agency is None
    if payload.user_id is not None and grantee is None:
        # stands in for the missing user: refused exactly where a user who does not work
        # with cases is, so an unknown id reads like any existing one that cannot receive it
        grantee = User(role="")
    unknown = ValidationFailed(
        "No agency or active case-working user with this id.",
        field="agency_id" if payload.agency_id is not None else "user_id",
    )
    try:
        grant = services.grant_create(
            actor=user,
            case=case,
            # a missing agency is refused after the permission checks (nothing to learn
            # for someone who may not share); agencies are listed to those who may
            agency=None if missing_agency else agency,
            user=None if missing_agency else grantee,
            purpose=payload.purpose,
            note=payload.note,
            expires_at=payload.expires_at,
            legal_basis=payload.legal_basis or "",
            legal_basis_note=payload.legal_basis_note,
        )
    except ValidationFailed as exc:
        if missing_agency or exc.field == "user":
            raise unknown from None
        raise
    return Status(201, grant)


@router.delete(
    "/{reference}/grants/{grant_id}", response={204: None, **_ERRORS}, summary="Revoke a grant"
)
def grant_revoke(request: HttpRequest, reference: str, grant_id: int) -> Status[None]:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    grant = selectors.case_active_grants(case).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound(_("No active grant with this id on this case."))
    services.grant_revoke(actor=user, grant=grant)
    return Status(204, None)


# --- consent, anonymous report, access requests ------------------------------------


@router.get(
    "/{reference}/consents",
    response={200: list[ConsentOut], **_ERRORS},
    summary="The person's consents on this case",
)
def consent_list(request: HttpRequest, reference: str) -> Any:
    user = _actor(request)
    access = selectors.case_access_for(user, reference)
    if not access.may("consent"):
        raise NotFound(_("No such case, or you do not have access to it."))
    return list(selectors.case_consents(access.case))


@router.post(
    "/{reference}/consents",
    response={201: ConsentOut, **_ERRORS},
    summary="Record the person's consent (or refusal) for one purpose of sharing",
)
def consent_create(request: HttpRequest, reference: str, payload: ConsentIn) -> Status[Consent]:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    agency = None
    if payload.recipient_agency_id is not None:
        agency = Agency.objects.filter(pk=payload.recipient_agency_id).first()
        if agency is None:
            services.case_consent_check(actor=user, case=case)  # refused first, as for any id
            raise ValidationFailed(_("No agency with this id."), field="recipient_agency_id")
    data = payload.model_dump(exclude={"recipient_agency_id"})
    data["purpose"] = data["purpose"] or ""
    consent = services.consent_record(actor=user, case=case, recipient_agency=agency, **data)
    return Status(201, consent)


@router.post(
    "/{reference}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **_ERRORS},
    summary="Withdraw a consent: the shares resting on it end at once",
)
def consent_withdraw(request: HttpRequest, reference: str, consent_id: int) -> Any:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    consent = selectors.case_consents(case).filter(pk=consent_id).first()
    if consent is None:
        raise NotFound(_("No such consent on this case."))
    return services.consent_withdraw(actor=user, consent=consent)


@router.post(
    "/{reference}/anonymous",
    response={200: CaseOut, **_ERRORS},
    summary="The adult declined consent: keep the case as an anonymous report",
)
def case_anonymous(request: HttpRequest, reference: str, payload: AnonymousIn) -> Case:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    return services.case_make_anonymous(actor=user, case=case, reason=payload.reason)


access_router = Router(tags=["cases"])


@access_router.post(
    "",
    response={202: AccessRequestOut, **_ERRORS},
    summary="Ask a case's owner for access (whether the case exists is not revealed)",
)
def access_request(request: HttpRequest, payload: AccessRequestIn) -> Status[dict[str, str]]:
    services.access_request_create(
        actor=_actor(request),
        reference=payload.reference,
        purpose=payload.purpose,
        reason=payload.reason,
    )
    return Status(
        202, {"message": _("If a case with this reference exists, its owner has been asked.")}
    )


class HandoverIn(_Strict):
    to_agency_id: int
    reason: str = Field(..., max_length=1000)


class HandoverOut(Schema):
    id: int
    case_reference: str = Field(..., alias="case.reference")
    from_agency_id: int
    to_agency_id: int
    status: str
    reason: str
    answer: str
    requested_at: datetime
    decided_at: datetime | None


class AnswerIn(_Strict):
    accept: bool
    answer: str = Field("", max_length=1000)


@router.post(
    "/{reference}/handovers",
    response={201: HandoverOut, **_ERRORS},
    summary="Ask another agency to take the case over (ownership transfer)",
)
def handover_create(request: HttpRequest, reference: str, payload: HandoverIn) -> Any:
    user = _actor(request)
    case = selectors.case_get_for(user, reference)
    agency = Agency.objects.filter(pk=payload.to_agency_id).first()
    if agency is None:
        services.case_handover_check(actor=user, case=case)  # refused first, as for any id
        raise ValidationFailed(_("No agency with this id."), field="to_agency_id")
    handover = services.handover_request(
        actor=user, case=case, to_agency=agency, reason=payload.reason
    )
    return Status(201, handover)


handover_router = Router(tags=["cases"])


@handover_router.get(
    "", response={200: list[HandoverOut], **_ERRORS}, summary="Cases offered to your agency"
)
def handovers_incoming(request: HttpRequest) -> Any:
    return list(selectors.handovers_to(_actor(request)))


@handover_router.post(
    "/{handover_id}/answer",
    response={200: HandoverOut, **_ERRORS},
    summary="Take the case over, or refuse with a reason",
)
def handover_answer(request: HttpRequest, handover_id: int, payload: AnswerIn) -> Any:
    user = _actor(request)
    handover = selectors.handover_get_for(user, handover_id)
    return services.handover_decide(
        actor=user, handover=handover, accept=payload.accept, answer=payload.answer
    )
