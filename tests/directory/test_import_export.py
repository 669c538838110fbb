"""HSDS 3.0 import and export: per-record errors, good records kept, round trip, idempotent."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opennrm.audit.models import AuditEntry
from opennrm.core.errors import Forbidden, ValidationFailed
from opennrm.directory import hsds
from opennrm.directory.demo import directory_load_demo
from opennrm.directory.models import Location, Organization, Service
from opennrm.directory.services import directory_export, directory_import
from tests.directory.factories import hsds_record

pytestmark = pytest.mark.django_db


def _import(records, actor=None):
    return directory_import(actor=actor, data=json.dumps(records))


def _problems(report):
    return {(p.index, p.field) for p in report.problems}


def test_good_record_is_stored_with_everything(world):
    record = hsds_record()
    report = _import([record])
    assert (report.created, report.rejected) == (1, 0)
    service = Service.objects.get(pk=record["id"])
    assert service.organization.name == "Example Org"
    assert service.languages == ["uk"] and service.regions == ["Lviv"]
    assert (service.age_min, service.age_max) == (18, 65)
    assert (service.capacity_total, service.capacity_available) == (10, 2)
    assert service.schedules[0]["opens_at"] == "09:00"
    location = service.locations.get()
    assert (location.city, location.region, location.latitude) == ("Lviv", "Lviv", 49.84)
    entry = AuditEntry.objects.filter(action="directory.import").get()
    assert entry.detail == {"read": 1, "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.pop("name"), "name"),
        (lambda r: r.update(name=""), "name"),
        (lambda r: r.update(name=42), "name"),
        (lambda r: r.update(status="open"), "status"),
        (lambda r: r.update(id="not-a-uuid"), "id"),
        (lambda r: r.update(minimum_age="eighteen"), "minimum_age"),
        (lambda r: r.update(minimum_age=-1), "minimum_age"),
        (lambda r: r.update(minimum_age=70), "minimum_age"),
        (lambda r: r["x-opennrm"].update(service_type="spa"), "x-opennrm.service_type"),
        (lambda r: r.pop("x-opennrm"), "x-opennrm.service_type"),
        (lambda r: r.update(attributes=[{"id": "bad"}]), "attributes.0.id"),
        (lambda r: r.update(description="x" * 100_000), "description"),
        (lambda r: r.update(url="javascript:alert(1)"), "url"),
        (lambda r: r["languages"][0].update(code="Ukrainian"), "languages.0.code"),
        (lambda r: r["phones"][0].update(number="<script>"), "phones.0.number"),
        (lambda r: r["schedules"][0].update(opens_at="9am"), "schedules.0.opens_at"),
        (lambda r: r["capacities"][0].update(available=11), "capacities.0.available"),
        (lambda r: r["capacities"][0].update(available=True), "capacities.0.available"),
        (lambda r: r["organization"].pop("description"), "organization.description"),
        (
            lambda r: r["service_at_locations"][0]["location"]["addresses"][0].pop("city"),
            "service_at_locations.0.location.addresses.0.city",
        ),
        (
            lambda r: r["organization"]["x-opennrm"].update(agency="No Such"),
            "organization.x-opennrm.agency",
        ),
    ],
)
def test_bad_record_is_refused_naming_the_field_and_the_good_one_is_kept(world, change, field):
    bad, good = hsds_record(), hsds_record()
    change(bad)
    report = _import([bad, good])
    assert report.created == 1 and report.rejected == 1
    assert (1, field) in _problems(report)
    assert Service.objects.filter(pk=good["id"]).exists()
    assert Service.objects.count() == 1
    # the message never repeats a hostile value
    assert all(len(p.message) < 300 and "<script>" not in p.message for p in report.problems)


def test_records_that_are_not_objects_and_duplicate_ids(world):
    good = hsds_record()
    twin = hsds_record(id=good["id"].upper(), name="Twin")
    report = _import([None, "text", 7, [], good, twin])
    assert report.read == 6 and report.created == 1 and report.rejected == 5
    assert (6, "id") in _problems(report)
    assert Service.objects.get().name == "Night shelter"


def test_huge_name_and_id_are_shortened_in_the_report(world):
    record = hsds_record(name="N" * 5000)
    report = _import([record])
    (problem,) = report.problems
    assert problem.field == "name" and len(problem.name) <= 80


def test_reference_to_unknown_organisation(world):
    record = hsds_record()
    del record["organization"]
    record["organization_id"] = str(uuid.uuid4())
    report = _import([record])
    assert _problems(report) == {(1, "organization_id")}
    first = hsds_record()
    second = hsds_record()
    del second["organization"]
    second["organization_id"] = first["organization"]["id"]
    assert _import([first, second]).created == 2


@pytest.mark.parametrize(
    "data", [b"", b"{", b"\xff\xfe", b'{"a": 1}', b"42", b"[" * 100_000 + b"]" * 100_000]
)
def test_a_file_that_is_not_a_directory_is_refused_as_a_whole(world, data):
    with pytest.raises(ValidationFailed) as exc:
        directory_import(actor=None, data=data)
    assert exc.value.field == "file"
    assert Service.objects.count() == 0


def test_only_administrators_and_coordinators_import(world):
    with pytest.raises(Forbidden):
        directory_import(actor=world.ngo_worker, data="[]")
    assert directory_import(actor=world.coordinator, data="[]").read == 0


def test_reimport_is_idempotent_and_updates_by_id(world):
    record = hsds_record()
    _import([record])
    again = _import([record])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    version = Service.objects.get().version
    record["name"] = "Renamed shelter"
    record["service_at_locations"] = []
    changed = _import([record])
    assert changed.updated == 1
    service = Service.objects.get()
    assert service.name == "Renamed shelter" and service.version == version + 1
    assert service.locations.count() == 0 and Location.objects.count() == 1
    assert Organization.objects.count() == 1


def test_export_validates_and_round_trips(world):
    world.ngo.name = "Safe Harbour NGO (DEMO)"
    world.ngo.is_synthetic = True
    world.ngo.type = "ngo"
    world.ngo.save()
    directory_load_demo()
    document = directory_export(actor=world.coordinator)
    assert document["total_items"] == Service.objects.count() >= 10
    for record in document["contents"]:
        assert hsds.record_errors(record) == [], record["name"]
    before = {
        s.pk: (s.name, s.languages, s.capacity_available, s.version) for s in Service.objects.all()
    }
    report = directory_import(actor=world.coordinator, data=json.dumps(document))
    assert report.unchanged == len(before) and report.rejected == 0
    # into an empty directory: everything comes back as it was
    Service.objects.all().delete()
    Organization.objects.all().delete()
    Location.objects.all().delete()
    report = directory_import(actor=world.coordinator, data=json.dumps(document))
    assert report.created == len(before)
    after = {s.pk: (s.name, s.languages, s.capacity_available, 1) for s in Service.objects.all()}
    assert after == {k: (*v[:3], 1) for k, v in before.items()}
    assert directory_export(actor=world.coordinator)["contents"] == document["contents"]
    linked = Organization.objects.get(name="Safe Harbour NGO (DEMO)")
    assert linked.agency == world.ngo


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=30),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "name",
                        "status",
                        "organization",
                        "x-opennrm",
                        "languages",
                        "minimum_age",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_arbitrary_json_records_never_crash_the_import(db, record):
    report = directory_import(actor=None, data=json.dumps([record, hsds_record()]))
    assert report.read == 2 and report.created + report.updated == 1


def test_cli_import_and_export(world, tmp_path):
    from opennrm.cli import main

    source = tmp_path / "in.json"
    source.write_text(json.dumps({"contents": [hsds_record(), {"id": "x"}]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["directory", "import", str(source)])
    assert result.exit_code == 1
    assert "created 1" in result.output and "refused 1" in result.output
    assert "record 2 x: name: required but missing" in result.output
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["directory", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["total_items"] == 1


def test_plain_hsds_record_classified_by_a_taxonomy_term(world):
    record = hsds_record()
    del record["x-opennrm"]
    record["attributes"] = [
        {"id": str(uuid.uuid4()), "taxonomy_term": {"id": str(uuid.uuid4()), "code": "other"}},
        {
            "id": str(uuid.uuid4()),
            "taxonomy_term": {"id": str(uuid.uuid4()), "code": "legal_aid", "name": "Legal aid"},
        },
    ]
    assert _import([record]).created == 1
    service = Service.objects.get()
    assert (service.service_type, service.genders, service.country) == ("legal_aid", "any", "UA")
    exported = directory_export(actor=None)["contents"][0]
    assert exported["attributes"][0]["taxonomy_term"]["code"] == "legal_aid"
    del record["attributes"]
    report = _import([record])
    assert _problems(report) == {(1, "x-opennrm.service_type")}


def test_a_record_refused_half_way_leaves_nothing_behind_for_the_next(world):
    first = hsds_record()
    _import([first])
    taken_link = first["service_at_locations"][0]["id"]
    half_way = hsds_record()  # its new organisation is created, then its link id clashes
    half_way["service_at_locations"][0]["id"] = taken_link
    follower = hsds_record()
    del follower["organization"]
    follower["organization_id"] = half_way["organization"]["id"]
    good = hsds_record()
    report = _import([half_way, follower, good])
    assert _problems(report) == {(1, "service_at_locations.id"), (2, "organization_id")}
    assert report.created == 1
    assert not Organization.objects.filter(pk=half_way["organization"]["id"]).exists()
    assert Service.objects.count() == 2
