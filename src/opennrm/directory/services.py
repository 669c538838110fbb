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


class _Known:
    """What the database already holds for the records of one file, loaded in a few
    queries up front instead of several per record."""

    def __init__(self, records: list[hsds.ParsedService]) -> None:
        self.org_ids = {r.organization_id for r in records}
        self.service_ids = {r.id for r in records}
        self.location_ids = {loc.id for r in records for loc in r.locations}
        self.link_ids = {loc.link_id for r in records for loc in r.locations}
        self.agency_names = {r.agency_name for r in records if r.agency_name}
        self.reload()

    def reload(self) -> None:
        self.orgs = Organization.objects.in_bulk(list(self.org_ids))
        self.services = Service.objects.in_bulk(list(self.service_ids))
        self.locations = Location.objects.in_bulk(list(self.location_ids))
        links = ServiceAtLocation.objects.in_bulk(list(self.link_ids))
        links.update(
            ServiceAtLocation.objects.in_bulk(
                list(
                    ServiceAtLocation.objects.filter(
                        service_id__in=list(self.services)
                    ).values_list("pk", flat=True)
                )
            )
        )
        self.links = links
        self.agencies = {
            a.name: a for a in Agency.objects.filter(name__in=sorted(self.agency_names))
        }


def _apply(parsed: hsds.ParsedService, known: _Known) -> str:
    """Create or update one service (and its organisation and locations): 'created',
    'updated' or 'unchanged'. Raises DomainError naming the field at fault."""
    changed = False
    org = known.orgs.get(parsed.organization_id)
    if parsed.organization is not None:
        values = dict(parsed.organization)
        if parsed.agency_name is not None:
            agency = None
            if parsed.agency_name:
                agency = known.agencies.get(parsed.agency_name)
                if agency is None:
                    raise ValidationFailed(
                        _("no agency of this name in OpenNRM"),
                        field="organization.x-opennrm.agency",
                    )
            values["agency"] = agency
        if org is None:
            org = Organization.objects.create(id=parsed.organization_id, **values)
            known.orgs[org.pk] = org
        elif _set_fields(org, values):
            org.save()
            changed = True
    elif org is None:
        raise ValidationFailed(
            _("no organisation with this id: include the organization object"),
            field="organization_id",
        )
    service = known.services.get(parsed.id)
    created = service is None
    if service is None:
        service = Service.objects.create(id=parsed.id, organization=org, **parsed.fields)
        known.services[service.pk] = service
    elif _set_fields(service, {"organization_id": org.pk, **parsed.fields}):
        service.version += 1
        service.save()
        changed = True
    keep = set()
    for item in parsed.locations:
        location = known.locations.get(item.id)
        if location is None:
            location = Location.objects.create(id=item.id, organization=org, **item.fields)
            known.locations[location.pk] = location
        elif _set_fields(location, item.fields):
            location.save()
            changed = True
        link = known.links.get(item.link_id)
        if link is None:
            for other in [k for k, v in known.links.items() if v.service_id == service.pk]:
                if known.links[other].location_id == location.pk:
                    known.links.pop(other).delete()
            link = ServiceAtLocation.objects.create(
                id=item.link_id, service=service, location=location
            )
            known.links[link.pk] = link
            changed = True
        elif (link.service_id, link.location_id) != (service.pk, location.pk):
            raise ValidationFailed(
                _("this id already links another service and location"),
                field="service_at_locations.id",
            )
        keep.add(item.link_id)
    stale = [k for k, v in known.links.items() if v.service_id == service.pk and k not in keep]
    if stale:
        ServiceAtLocation.objects.filter(pk__in=stale).delete()
        for k in stale:
            known.links.pop(k)
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
    loaded = _load_json(data)
    records = hsds.records_of(loaded)
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
    problems: dict[int, list[hsds.FieldError]] = {}
    valid: list[tuple[int, hsds.ParsedService]] = []
    seen: set[str] = set()
    for index, record in enumerate(records, start=1):
        errors = hsds.record_errors(record)
        if not errors and record["id"].lower() in seen:
            errors = [hsds.FieldError("id", _("appears twice in this file; the first was kept"))]
        if errors:
            problems[index] = errors
            continue
        seen.add(record["id"].lower())
        try:
            valid.append((index, hsds.parse_record(record)))
        except (ValueError, OverflowError):
            problems[index] = [hsds.FieldError("record", _("could not be stored"))]
    with transaction.atomic():
        known = _Known([parsed for _index, parsed in valid])
        for index, parsed in valid:
            try:
                with transaction.atomic():
                    outcome = _apply(parsed, known)
            except DomainError as error:
                problems[index] = [hsds.FieldError(error.field or "record", error.message)]
                known.reload()  # what the rolled-back record changed in memory is gone
            except (DatabaseError, ValueError, OverflowError):
                problems[index] = [hsds.FieldError("record", _("could not be stored"))]
                known.reload()
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
        for index in sorted(problems):
            record_id, name = hsds.record_label(records[index - 1])
            report.rejected += 1
            report.problems.extend(
                RecordProblem(index, record_id, name, e.field, e.message) for e in problems[index]
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
