"""Open Referral HSDS 3.0 records <-> the directory's models.

One HSDS ``service`` record carries its organisation, locations (``service_at_locations``),
languages, phones, contacts, schedules, service areas (regions) and eligibility. What HSDS
3.0 has no field for travels in the ``x-opennrm`` extension object (service type, genders
accepted, nationalities, country, demo flag); free places use the shape of the HSDS 3.1
``service_capacity`` object under ``capacities``. Records are checked against the schema in
``schema/hsds-3.0-service.schema.json`` (written for OpenNRM from the HSDS 3.0 field
definitions) and then against rules a schema cannot say (age range order, places within
the total). Every message names the field at fault and never repeats the offending value.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from opennrm.directory.models import Location, Service, ServiceType

HSDS_VERSION = "3.0"
SCHEMA_PATH = Path(__file__).parent / "schema" / "hsds-3.0-service.schema.json"
MAX_RECORDS = 5000
MAX_ERRORS_PER_RECORD = 10
_NS = uuid.UUID("3f1c2a52-5b7e-4f0e-9a39-6f1d8a6c0d11")  # derives stable ids of sub-records


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


def _short(value: object, limit: int = 80) -> str:
    text = value if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


def _path(error: SchemaError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        if missing:
            parts.append(str(missing[0]))
    return ".".join(parts) or "record"


def _message(error: SchemaError) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "required":
        return _("required but missing")
    if kind == "anyOf" and not error.absolute_path:
        return _("give the organisation (organization or organization_id)")
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        names = {
            "string": _("text"),
            "integer": _("a whole number"),
            "number": _("a number"),
            "boolean": _("true or false"),
            "array": _("a list"),
            "object": _("an object"),
            "null": _("empty (null)"),
        }
        return _("must be %(kind)s") % {"kind": _(" or ").join(names.get(k, k) for k in kinds)}
    if kind == "enum":
        return _("must be one of: %(values)s") % {"values": ", ".join(str(v) for v in value)}
    if kind == "maxLength":
        return _("too long (at most %(n)s characters)") % {"n": value}
    if kind == "minLength":
        return _("must not be empty")
    if kind == "maxItems":
        return _("too many entries (at most %(n)s)") % {"n": value}
    if kind in ("minimum", "maximum"):
        return _("out of range")
    if kind == "pattern":
        return _("not in the expected format")
    return _("not valid here")


TAXONOMY = "OpenNRM service types"


def service_type_of(record: dict[str, Any]) -> str | None:
    """The service type: ``x-opennrm.service_type``, else the first HSDS attribute whose
    taxonomy term code is one of OpenNRM's service types (the standard HSDS way to classify)."""
    ext = record.get("x-opennrm") or {}
    if ext.get("service_type"):
        return str(ext["service_type"])
    for attribute in record.get("attributes", []):
        code = (attribute.get("taxonomy_term") or {}).get("code", "")
        if code in ServiceType.values:
            return str(code)
    return None


def record_errors(record: Any) -> list[FieldError]:
    """Everything wrong with one record (empty: it can be imported)."""
    if not isinstance(record, dict):
        return [FieldError("record", _("must be an object"))]
    errors = sorted(_validator().iter_errors(record), key=lambda e: [str(p) for p in e.path])
    found = [FieldError(_path(e), _message(e)) for e in errors[:MAX_ERRORS_PER_RECORD]]
    if found:
        return found
    if service_type_of(record) is None:
        found.append(
            FieldError(
                "x-opennrm.service_type",
                _(
                    "required but missing: give x-opennrm.service_type, or an attribute whose "
                    "taxonomy_term code is a service type (%(codes)s)"
                )
                % {"codes": ", ".join(ServiceType.values)},
            )
        )
    low, high = record.get("minimum_age"), record.get("maximum_age")
    if low is not None and high is not None and low > high:
        found.append(FieldError("minimum_age", _("is above maximum_age")))
    for i, cap in enumerate(record.get("capacities", [])):
        if cap.get("maximum") is not None and cap["available"] > cap["maximum"]:
            found.append(
                FieldError(f"capacities.{i}.available", _("more places free than in total"))
            )
    return found


def record_label(record: Any) -> tuple[str, str]:
    """(id, name) of a record for an error report, shortened and only if they are text."""
    if not isinstance(record, dict):
        return "", ""
    return _short(record.get("id"), 40), _short(record.get("name"))


# --- HSDS record -> field values ------------------------------------------------------


@dataclass
class ParsedLocation:
    id: uuid.UUID
    link_id: uuid.UUID
    fields: dict[str, Any]


@dataclass
class ParsedService:
    id: uuid.UUID
    organization_id: uuid.UUID
    organization: dict[str, Any] | None  # None: refers to an existing organisation
    agency_name: str | None  # None: leave the organisation's agency as it is
    fields: dict[str, Any]
    locations: list[ParsedLocation] = field(default_factory=list)


def _time(value: str) -> str:
    return value[:5]


def parse_record(record: dict[str, Any]) -> ParsedService:
    """Field values of a record that passed ``record_errors``."""
    ext = record.get("x-opennrm", {})
    org = record.get("organization")
    org_fields = None
    agency_name = None
    if org is not None:
        org_ext = org.get("x-opennrm", {})
        org_fields = {
            "name": org["name"].strip(),
            "description": org.get("description", ""),
            "email": org.get("email", ""),
            "website": org.get("website", ""),
            "is_synthetic": bool(org_ext.get("is_synthetic", False)),
        }
        if "agency" in org_ext:
            agency_name = org_ext["agency"] or ""
    capacity = (record.get("capacities") or [None])[0]
    fields: dict[str, Any] = {
        "name": record["name"].strip(),
        "description": record.get("description", ""),
        "service_type": service_type_of(record),
        "status": record["status"],
        "email": record.get("email", ""),
        "url": record.get("url", ""),
        "languages": sorted({lang["code"] for lang in record.get("languages", [])}),
        "genders": ext.get("genders", "any"),
        "age_min": record.get("minimum_age"),
        "age_max": record.get("maximum_age"),
        "nationalities": sorted({n.strip() for n in ext.get("nationalities", []) if n.strip()}),
        "eligibility_description": record.get("eligibility_description", ""),
        "country": ext.get("country", "UA"),
        "regions": [a["name"].strip() for a in record.get("service_areas", []) if a.get("name")],
        "capacity_total": capacity.get("maximum") if capacity else None,
        "capacity_available": capacity["available"] if capacity else None,
        "capacity_unit": capacity["unit"]["name"] if capacity else "",
        "capacity_updated_at": datetime.fromisoformat(capacity["updated"]) if capacity else None,
        "schedules": [
            {
                "id": s["id"],
                "byday": s.get("byday", ""),
                "opens_at": _time(s.get("opens_at", "")),
                "closes_at": _time(s.get("closes_at", "")),
                "description": s.get("description", ""),
            }
            for s in record.get("schedules", [])
        ],
        "phones": [
            {
                "id": p["id"],
                "number": p["number"],
                "type": p.get("type", "voice"),
                "description": p.get("description", ""),
            }
            for p in record.get("phones", [])
        ],
        "contacts": [
            {
                "id": c["id"],
                "name": c.get("name", ""),
                "title": c.get("title", ""),
                "email": c.get("email", ""),
            }
            for c in record.get("contacts", [])
        ],
    }
    if capacity:
        fields["capacity_id"] = uuid.UUID(capacity["id"])
    locations = []
    for link in record.get("service_at_locations", []):
        loc = link["location"]
        address = (loc.get("addresses") or [{}])[0]
        loc_fields: dict[str, Any] = {
            "name": loc.get("name", ""),
            "address": address.get("address_1", ""),
            "city": address.get("city", ""),
            "region": address.get("state_province", ""),
            "postal_code": address.get("postal_code", ""),
            "country": address.get("country", fields["country"]),
            "latitude": loc.get("latitude"),
            "longitude": loc.get("longitude"),
        }
        if address.get("id"):
            loc_fields["address_id"] = uuid.UUID(address["id"])
        locations.append(
            ParsedLocation(
                id=uuid.UUID(loc["id"]), link_id=uuid.UUID(link["id"]), fields=loc_fields
            )
        )
    org_id = org["id"] if org is not None else record["organization_id"]
    return ParsedService(
        id=uuid.UUID(record["id"]),
        organization_id=uuid.UUID(org_id),
        organization=org_fields,
        agency_name=agency_name,
        fields=fields,
        locations=locations,
    )


# --- model -> HSDS record ------------------------------------------------------------


def _sub_id(parent: uuid.UUID, kind: str, key: str) -> str:
    return str(uuid.uuid5(_NS, f"{parent}:{kind}:{key}"))


def _term_id(code: str) -> str:
    return str(uuid.uuid5(_NS, f"taxonomy_term:{code}"))


def _location_record(location: Location) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": str(location.id),
        "location_type": "physical",
        "name": location.name,
        "addresses": [
            {
                "id": str(location.address_id),
                "address_1": location.address,
                "city": location.city,
                "state_province": location.region,
                "postal_code": location.postal_code,
                "country": location.country,
                "address_type": "physical",
            }
        ],
    }
    if location.latitude is not None and location.longitude is not None:
        record["latitude"] = location.latitude
        record["longitude"] = location.longitude
    return record


def _schedule_record(item: dict[str, str]) -> dict[str, str]:
    record = {key: value for key, value in item.items() if value}
    if record.get("byday"):
        record["freq"] = "WEEKLY"
    return record


def service_record(service: Service) -> dict[str, Any]:
    """One service as an HSDS 3.0 record (expects organisation, agency and locations loaded)."""
    from opennrm.directory.labels import language_name

    org = service.organization
    record: dict[str, Any] = {
        "id": str(service.id),
        "organization_id": str(org.id),
        "name": service.name,
        "description": service.description,
        "url": service.url,
        "email": service.email,
        "status": service.status,
        "eligibility_description": service.eligibility_description,
        "organization": {
            "id": str(org.id),
            "name": org.name,
            "description": org.description,
            "email": org.email,
            "website": org.website,
            "x-opennrm": {
                "agency": org.agency.name if org.agency else None,
                "is_synthetic": org.is_synthetic,
            },
        },
        "languages": [
            {"id": _sub_id(service.id, "language", code), "code": code, "name": language_name(code)}
            for code in service.languages
        ],
        "phones": list(service.phones),
        "contacts": list(service.contacts),
        "schedules": [_schedule_record(s) for s in service.schedules],
        "service_areas": [
            {"id": _sub_id(service.id, "area", region), "name": region}
            for region in service.regions
        ],
        "service_at_locations": [
            {"id": str(link.id), "location": _location_record(link.location)}
            for link in service.at_locations.all()
        ],
        "attributes": [
            {
                "id": _sub_id(service.id, "attribute", service.service_type),
                "taxonomy_term_id": _term_id(service.service_type),
                "taxonomy_term": {
                    "id": _term_id(service.service_type),
                    "code": service.service_type,
                    "name": str(ServiceType(service.service_type).label),
                    "taxonomy": TAXONOMY,
                },
            }
        ],
        "x-opennrm": {
            "service_type": service.service_type,
            "genders": service.genders,
            "nationalities": list(service.nationalities),
            "country": service.country,
        },
    }
    if service.age_min is not None:
        record["minimum_age"] = service.age_min
    if service.age_max is not None:
        record["maximum_age"] = service.age_max
    if service.capacity_available is not None:
        updated = service.capacity_updated_at or service.updated_at
        record["capacities"] = [
            {
                "id": str(service.capacity_id),
                "unit": {
                    "id": _sub_id(service.id, "unit", service.capacity_unit or "places"),
                    "name": service.capacity_unit or "places",
                },
                "available": service.capacity_available,
                "maximum": service.capacity_total,
                "updated": updated.isoformat(),
            }
        ]
    return record


def document(services: list[Service]) -> dict[str, Any]:
    """The directory as one page of an HSDS 3.0 API ``/services`` response."""
    with translation.override("en"):  # language names in the file are English
        contents = [service_record(s) for s in services]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "hsds_version": HSDS_VERSION,
        "contents": contents,
    }


def records_of(data: Any) -> list[Any] | None:
    """The records of a parsed file: a list, or an object with ``contents`` (an HSDS API
    page) or ``services``. None when the file has neither."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("contents", "services"):
            if isinstance(data.get(key), list):
                return data[key]  # type: ignore[no-any-return]
    return None
