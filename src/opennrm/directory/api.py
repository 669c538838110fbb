"""Directory endpoints: list and read services, and providers' updates of free places."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from opennrm.accounts.models import User
from opennrm.directory import selectors, services
from opennrm.directory.models import GenderServed, Service, ServiceStatus, ServiceType

router = Router(tags=["directory"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class OrganizationOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    email: str
    website: str
    agency_id: int | None


class LocationOut(Schema):
    id: uuid.UUID
    name: str
    address: str
    city: str
    region: str
    country: str
    latitude: float | None
    longitude: float | None


class ServiceOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    service_type: ServiceType
    status: ServiceStatus
    organization: OrganizationOut
    languages: list[str]
    genders: GenderServed
    age_min: int | None
    age_max: int | None
    nationalities: list[str]
    country: str
    regions: list[str]
    capacity_total: int | None
    capacity_available: int | None
    capacity_updated_at: datetime | None
    version: int


class ServiceDetailOut(ServiceOut):
    email: str
    url: str
    eligibility_description: str
    schedules: list[dict[str, str]]
    phones: list[dict[str, str]]
    contacts: list[dict[str, str]]
    locations: list[LocationOut]
    capacity_editable: bool


class ServiceFilters(Schema):
    service_type: ServiceType | None = None
    region: str | None = Field(None, max_length=100)
    language: str | None = Field(None, max_length=8)
    include_inactive: bool = False


class CapacityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    available: int = Field(..., description="free places now")
    version: int = Field(..., description="the service's version you last read")


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


def _detail(service: Service, user: User) -> dict[str, Any]:
    out = ServiceOut.model_validate(service).model_dump()
    out.update(
        email=service.email,
        url=service.url,
        eligibility_description=service.eligibility_description,
        schedules=service.schedules,
        phones=service.phones,
        contacts=service.contacts,
        locations=[link.location for link in service.at_locations.all()],
        capacity_editable=selectors.capacity_editable_by(user, service),
    )
    return out


@router.get("/services", response=list[ServiceOut], summary="Services in the directory")
def service_list(request: HttpRequest, filters: Query[ServiceFilters]) -> list[Service]:
    return selectors.services_list(
        service_type=filters.service_type,
        region=filters.region,
        language=filters.language,
        include_inactive=filters.include_inactive,
    )


@router.get(
    "/services/{service_id}", response={200: ServiceDetailOut, **_ERRORS}, summary="One service"
)
def service_detail(request: HttpRequest, service_id: str) -> dict[str, Any]:
    return _detail(selectors.service_get(service_id), _actor(request))


@router.patch(
    "/services/{service_id}/capacity",
    response={200: ServiceDetailOut, **_ERRORS},
    summary="Update free places (staff of the service's agency; send the version you read)",
)
def service_capacity(request: HttpRequest, service_id: str, payload: CapacityIn) -> dict[str, Any]:
    user = _actor(request)
    service = services.service_capacity_update(
        actor=user,
        service=selectors.service_get(service_id),
        available=payload.available,
        expected_version=payload.version,
    )
    return _detail(selectors.service_get(service.pk), user)


class RankIn(Schema):
    model_config = ConfigDict(extra="forbid")

    needs: list[ServiceType] = Field(default_factory=list, max_length=8)
    language: str | None = Field(None, max_length=8, description="ISO 639-1 code")
    gender: Literal["female", "male", ""] | None = None
    age: int | None = Field(None, ge=0, le=130)
    region: str | None = Field(None, max_length=100)
    country: str = Field("UA", pattern="^[A-Z]{2}$")
    nationality: str | None = Field(None, max_length=50)


class RankedOut(Schema):
    service: ServiceOut
    score: float
    eligible: bool
    reasons: list[str]
    problems: list[str]


@router.post(
    "/rank",
    response={200: list[RankedOut], **_ERRORS},
    summary="Services ranked for what is known of a person (in the body: nothing is stored)",
)
def service_rank(request: HttpRequest, payload: RankIn) -> list[selectors.RankedService]:
    return selectors.services_ranked(**payload.model_dump())
