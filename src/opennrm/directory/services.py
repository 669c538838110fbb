"""Writes on the directory: HSDS import and providers' updates of free places.

Each takes the acting user (``None`` only for the command line run by the operator),
checks what that user may do, and writes the audit entry in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opennrm.accounts.models import Agency, User
from opennrm.audit.services import audit_record
from opennrm.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from opennrm.directory import hsds
from opennrm.directory.models import Location, Organization, Service, ServiceAtLocation
from opennrm.directory.selectors import IMPORT_ROLES, capacity_editable_by

MAX_IMPORT_BYTES = 5_000_000
MAX_CAPACITY = 100_000


@dataclass(frozen=True)
class RecordProblem:
    """One thing wrong with one record of an import file (``index`` counts from 1)."""

    index: int
    record_id: str
    name: str
    field: str
    message: str


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[RecordProblem] = field(default_factory=list)


def _load_json(data: bytes | str) -> Any:
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > MAX_IMPORT_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": MAX_IMPORT_BYTES // 1_000_000},
            field="file",
        )
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        return json.loads(text)
    except UnicodeDecodeError:
        raise ValidationFailed(_("The file is not UTF-8 text."), field="file") from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            _("The file is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": exc.lineno, "column": exc.colno},
            field="file",
        ) from None
    except RecursionError:
        raise ValidationFailed(_("The file is nested too deeply."), field="file") from None


def _set_fields(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _apply(parsed: hsds.ParsedService) -> str:
    """Create or update one service (and its organisation and locations): 'created',
    'updated' or 'unchanged'. Raises DomainError naming the field at fault."""
    changed = False
    org = Organization.objects.filter(pk=parsed.organization_id).first()
    if parsed.organization is not None:
        values = dict(parsed.organization)
        if parsed.agency_name is not None:
            agency = None
            if parsed.agency_name:
                agency = Agency.objects.filter(name=parsed.agency_name).first()
                if agency is None:
                    raise ValidationFailed(
                        _("no agency of this name in OpenNRM"),
                        field="organization.x-opennrm.agency",
                    )
            values["agency"] = agency
        if org is None:
            org = Organization.objects.create(id=parsed.organization_id, **values)
        elif _set_fields(org, values):
            org.save()
            changed = True
    elif org is None:
        raise ValidationFailed(
            _("no organisation with this id: include the organization object"),
            field="organization_id",
        )
    service = Service.objects.filter(pk=parsed.id).first()
    created = service is None
    if service is None:
        service = Service.objects.create(id=parsed.id, organization=org, **parsed.fields)
    elif _set_fields(service, {"organization_id": org.pk, **parsed.fields}):
        service.version += 1
        service.save()
        changed = True
    keep = set()
    for item in parsed.locations:
        location = Location.objects.filter(pk=item.id).first()
        if location is None:
            location = Location.objects.create(id=item.id, organization=org, **item.fields)
        elif _set_fields(location, item.fields):
            location.save()
            changed = True
        link = ServiceAtLocation.objects.filter(pk=item.link_id).first()
        if link is None:
            ServiceAtLocation.objects.filter(service=service, location=location).delete()
            ServiceAtLocation.objects.create(id=item.link_id, service=service, location=location)
            changed = True
        elif (link.service_id, link.location_id) != (service.pk, location.pk):
            raise ValidationFailed(
                _("this id already links another service and location"),
                field="service_at_locations.id",
            )
        keep.add(item.link_id)
    stale = ServiceAtLocation.objects.filter(service=service).exclude(pk__in=keep)
    if stale.exists():
        stale.delete()
        changed = True
    if created:
        return "created"
    return "updated" if changed else "unchanged"


def directory_import(*, actor: User | None, data: bytes | str) -> ImportReport:
    """Import HSDS 3.0 service records. Each record is checked and stored on its own: a bad
    record is reported (by its position, id, name and the field at fault) and skipped; the
    good ones are kept. Importing the same file again changes nothing (records are matched
    by their HSDS id). A file that is not JSON or holds no records is refused as a whole."""
    if actor is not None and actor.role not in IMPORT_ROLES:
        raise Forbidden(_("Only administrators and NRM coordinators may import the directory."))
    parsed = _load_json(data)
    records = hsds.records_of(parsed)
    if records is None:
        raise ValidationFailed(
            _(
                "The file holds no service records: expected a JSON list of HSDS services, "
                "or an object with a 'contents' or 'services' list."
            ),
            field="file",
        )
    if len(records) > hsds.MAX_RECORDS:
        raise ValidationFailed(
            _("The file has more than %(n)s records. Split it into smaller files.")
            % {"n": hsds.MAX_RECORDS},
            field="file",
        )
    report = ImportReport(read=len(records))
    seen: set[str] = set()
    with transaction.atomic():
        for index, record in enumerate(records, start=1):
            record_id, name = hsds.record_label(record)
            errors = hsds.record_errors(record)
            if not errors and record["id"].lower() in seen:
                errors = [
                    hsds.FieldError("id", _("appears twice in this file; the first was kept"))
                ]
            if not errors:
                seen.add(record["id"].lower())
                try:
                    with transaction.atomic():
                        outcome = _apply(hsds.parse_record(record))
                except DomainError as error:
                    errors = [hsds.FieldError(error.field or "record", error.message)]
                except (DatabaseError, ValueError, OverflowError):
                    errors = [hsds.FieldError("record", _("could not be stored"))]
                else:
                    setattr(report, outcome, getattr(report, outcome) + 1)
                    continue
            report.rejected += 1
            report.problems.extend(
                RecordProblem(index, record_id, name, e.field, e.message) for e in errors
            )
        audit_record(
            actor=actor,
            action="directory.import",
            object_type="directory",
            object_ref="hsds",
            detail={
                "read": report.read,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": report.rejected,
            },
        )
    return report


def directory_export(*, actor: User | None) -> dict[str, Any]:
    """The whole directory as an HSDS 3.0 document (an audited read)."""
    from opennrm.directory.selectors import services_for_export

    with transaction.atomic():
        services = services_for_export()
        audit_record(
            actor=actor,
            action="directory.export",
            object_type="directory",
            object_ref="hsds",
            detail={"services": len(services)},
        )
    return hsds.document(services)


def service_capacity_update(
    *, actor: User, service: Service, available: int, expected_version: int
) -> Service:
    """Set the free places of a service (staff of the organisation's agency only)."""
    if not capacity_editable_by(actor, service):
        raise Forbidden(
            _("Only staff of the agency that runs this service can update its free places.")
        )
    if isinstance(available, bool) or not isinstance(available, int):
        raise ValidationFailed(
            _("Give the number of free places as a whole number."), field="available"
        )
    if available < 0:
        raise ValidationFailed(_("Free places cannot be fewer than zero."), field="available")
    total = service.capacity_total
    if total is not None and available > total:
        raise ValidationFailed(
            _("This service has %(total)s places in total; free places cannot be more.")
            % {"total": total},
            field="available",
        )
    if available > MAX_CAPACITY:
        raise ValidationFailed(_("That number is too large."), field="available")
    now = timezone.now()
    with transaction.atomic():
        updated = Service.objects.filter(pk=service.pk, version=expected_version).update(
            capacity_available=available,
            capacity_updated_at=now,
            version=F("version") + 1,
            updated_at=now,
        )
        if not updated:
            raise Conflict(
                _(
                    "Someone else updated this service after you opened it. "
                    "Check the number now shown and send yours again."
                ),
                field="version",
            )
        audit_record(
            actor=actor,
            action="directory.capacity_update",
            object_type="service",
            object_ref=str(service.pk),
            detail={"previous": service.capacity_available, "available": available},
        )
    service.refresh_from_db()
    return service
