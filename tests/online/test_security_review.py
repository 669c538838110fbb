"""Security review of online monitoring, as an auditor after a breach and as an insider.

Posts hold victims' and suspects' phones, handles and e-mails. Deny by default: another
agency's post, contact, campaign/network, import or export looks exactly like a missing
one (404, never a 403 that confirms it exists) and the attempt is audited; roles outside
``MONITORING_ROLES`` get nothing; every read and write is audited with ids and codes only;
nothing personal reaches a log; state changes are POST with CSRF; the return address stays
on the queue.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case
from opennrm.core.errors import NotFound
from opennrm.online import services
from opennrm.online.models import (
    Contact,
    Feedback,
    ImportRun,
    MonitoredPost,
    PostGroup,
    PostStatus,
)
from opennrm.online.services import online_import
from opennrm.web.online_views import _back
from tests.conftest import verified_client
from tests.online.posts import first_with_contacts, write_jsonl

pytestmark = pytest.mark.django_db

#: personas that work in another agency with a monitoring role (the insider of agency B)
OTHER_AGENCY = ["border_guard", "coordinator", "inspector"]
#: personas whose role never sees monitored posts, of any agency
NO_MONITORING = ["analyst", "auditor", "ngo_worker"]


@pytest.fixture
def victim(world, tmp_path):
    """Agency A (Kyiv police): an import with posts, contacts, a campaign and a network."""
    run = online_import(
        actor=world.officer,
        path=write_jsonl(tmp_path / "Ivanenko +380671234567.jsonl"),
        source_name="Ivanenko +380671234567.jsonl",
    )
    posts = MonitoredPost.objects.filter(agency=world.police)
    post = first_with_contacts(posts)
    return {
        "run": run,
        "post": post,
        "contact": Contact.objects.filter(agency=world.police).order_by("pk").first(),
        "campaign": PostGroup.objects.filter(agency=world.police, kind="campaign").first(),
        "network": PostGroup.objects.filter(agency=world.police, kind="network").first(),
    }


def _secrets(world) -> list[str]:
    """Every piece of personal data agency A holds: texts, contacts, the file's name."""
    out = ["Ivanenko", "380671234567"]
    for post in MonitoredPost.objects.filter(agency=world.police):
        out += [post.text[:30], *(c.partition(":")[2] for c in post.contacts)]
    out += [c.value for c in Contact.objects.filter(agency=world.police)]
    return [s for s in out if len(s) >= 6]


# (name, method, url, data): every page and action on one object of agency A
ENDPOINTS = {
    "post page": ("get", "/online/posts/{post}/", None),
    "contact page": ("get", "/online/contacts/{contact}/", None),
    "campaign page": ("get", "/online/groups/{campaign}/", None),
    "network page": ("get", "/online/groups/{network}/", None),
    "import page": ("get", "/online/imports/{run}/", None),
    "open case": ("post", "/online/posts/{post}/case/", {}),
    "false positive": ("post", "/online/posts/{post}/false-positive/", {}),
    "confirmed false positive": (
        "post",
        "/online/posts/{post}/false-positive/",
        {"confirm": "yes"},
    ),
    "undo false positive": ("post", "/online/posts/{post}/false-positive/undo/", {}),
    "STIX of a campaign": ("post", "/online/export/stix/", {"group": "{campaign}"}),
}
#: what the refusal names in the audit (object type, the object of ``victim``)
REFUSED_AS = {
    "post page": ("post", "post"),
    "contact page": ("contact", "contact"),
    "campaign page": ("group", "campaign"),
    "network page": ("group", "network"),
    "import page": ("import", "run"),
    "open case": ("post", "post"),
    "false positive": ("post", "post"),
    "confirmed false positive": ("post", "post"),
    "undo false positive": ("post", "post"),
    "STIX of a campaign": ("group", "campaign"),
}


def _call(client: Client, victim: dict, name: str):
    method, url, data = ENDPOINTS[name]
    ids = {k: getattr(v, "pk", None) for k, v in victim.items()}
    url = url.format(**ids)
    if data is not None:
        data = {k: v.format(**ids) for k, v in data.items()}
        return getattr(client, method)(url, data)
    return getattr(client, method)(url)


def _unchanged(world, victim) -> None:
    post = MonitoredPost.objects.get(pk=victim["post"].pk)
    assert post.status == PostStatus.NEW and post.case_id is None
    assert not Feedback.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize("persona", OTHER_AGENCY)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_another_agency_finds_nothing_and_the_attempt_is_audited(world, victim, persona, endpoint):
    user = getattr(world, persona)
    response = _call(verified_client(user), victim, endpoint)
    assert response.status_code == 404, (persona, endpoint, response.status_code)
    body = response.content.decode()
    for secret in _secrets(world):
        assert secret not in body, (endpoint, secret)
    _unchanged(world, victim)
    object_type, key = REFUSED_AS[endpoint]
    refused = AuditEntry.objects.filter(action="access.refused", user_id=user.pk)
    assert refused.filter(object_type=object_type, object_ref=str(victim[key].pk)).exists(), [
        (e.object_type, e.object_ref, e.detail) for e in refused
    ]
    assert not AuditEntry.objects.filter(user_id=user.pk, action__startswith="online.").exists()


@pytest.mark.parametrize("persona", OTHER_AGENCY)
@pytest.mark.parametrize("endpoint", ["post page", "contact page", "campaign page", "import page"])
def test_a_foreign_object_reads_exactly_like_a_missing_one(world, victim, persona, endpoint):
    client = verified_client(getattr(world, persona))
    foreign = _call(client, victim, endpoint)
    missing = _call(client, {k: type("X", (), {"pk": 10**9}) for k in victim}, endpoint)
    assert foreign.status_code == missing.status_code == 404

    def message(r) -> str:
        return re.sub(r"\s+", " ", re.sub(r'nonce="[^"]*"|value="[^"]*"', "", r.content.decode()))

    assert message(foreign) == message(missing)


@pytest.mark.parametrize("persona", NO_MONITORING)
@pytest.mark.parametrize("endpoint", [*ENDPOINTS, "queue", "import form", "STIX of a post"])
def test_roles_outside_monitoring_get_nothing(world, victim, persona, endpoint):
    client = verified_client(getattr(world, persona))
    if endpoint == "queue":
        response = client.get("/online/", {"status": "", "category": ""})
    elif endpoint == "import form":
        response = client.get("/online/import/")
    elif endpoint == "STIX of a post":
        response = client.post("/online/export/stix/", {"post": [victim["post"].pk]})
    else:
        response = _call(client, victim, endpoint)
    assert response.status_code in (403, 404), (persona, endpoint, response.status_code)
    body = response.content.decode()
    for secret in _secrets(world):
        assert secret not in body
    _unchanged(world, victim)
    assert not AuditEntry.objects.filter(
        action__startswith="online.", user_id=getattr(world, persona).pk
    ).exists()


@pytest.mark.parametrize("persona", OTHER_AGENCY)
def test_the_queue_of_another_agency_shows_none_of_its_posts(world, victim, persona):
    html = verified_client(getattr(world, persona)).get(
        "/online/", {"status": "", "category": "", "channel": victim["post"].channel}
    )
    assert html.status_code == 200
    for secret in _secrets(world):
        assert secret not in html.content.decode()


@pytest.mark.parametrize("persona", OTHER_AGENCY)
def test_stix_of_foreign_post_ids_exports_nothing_and_is_audited(world, victim, persona):
    user = getattr(world, persona)
    ids = list(MonitoredPost.objects.filter(agency=world.police).values_list("pk", flat=True))
    response = verified_client(user).post("/online/export/stix/", {"post": ids})
    assert response.status_code in (302, 400, 404)
    assert "stix" not in response.get("Content-Type", "")
    for secret in _secrets(world):
        assert secret not in response.content.decode()
    refused = AuditEntry.objects.get(action="access.refused", user_id=user.pk)
    assert refused.object_type == "post"
    assert sorted(refused.detail["posts"]) == sorted(ids)
    assert not AuditEntry.objects.filter(action="online.export_stix").exists()


@pytest.mark.parametrize("persona", [*OTHER_AGENCY, *NO_MONITORING])
def test_api_import_of_another_agency_is_404_and_audited(world, victim, api, persona):
    """Another agency's import looks missing (404); a role outside monitoring is refused
    whatever the id (403), as the pages refuse it."""
    user = getattr(world, persona)
    client = api(user)
    foreign = client.get(f"/online/imports/{victim['run'].pk}")
    missing = client.get("/online/imports/999999999")
    status = 404 if persona in OTHER_AGENCY else 403
    assert foreign.status_code == missing.status_code == status
    assert foreign.json() == missing.json()
    assert "Ivanenko" not in foreign.text
    if persona in OTHER_AGENCY:
        assert AuditEntry.objects.filter(
            action="access.refused", user_id=user.pk, object_type="import",
            object_ref=str(victim["run"].pk),
        ).exists()  # fmt: skip


# --- services defend themselves: access decided in one place, whoever calls ----------------


@pytest.mark.parametrize(
    "action",
    [
        lambda actor, post: services.post_mark_false_positive(actor=actor, post=post),
        lambda actor, post: services.post_undo_false_positive(actor=actor, post=post),
        lambda actor, post: services.post_open_case(actor=actor, post=post),
        lambda actor, post: services.posts_stix_bundle(actor=actor, posts=[post]),
    ],
    ids=["false positive", "undo false positive", "open case", "STIX"],
)
def test_services_refuse_a_post_of_another_agency(world, victim, action):
    """A caller that forgot the selector (a new API handler, a command) still cannot act on
    or export another agency's post: the service asks the one access selector itself."""
    with pytest.raises(NotFound):
        action(world.border_guard, victim["post"])
    _unchanged(world, victim)
    assert AuditEntry.objects.filter(
        action="access.refused", user_id=world.border_guard.pk
    ).exists()
    assert not AuditEntry.objects.filter(
        action__startswith="online.", user_id=world.border_guard.pk
    ).exists()


# --- audit: complete, with ids and codes only ------------------------------------------------


def test_a_stix_export_records_every_post_it_exported(world, victim):
    """A campaign's export is not capped at 1,000 posts; its audit entry must not stop at
    500 either (an auditor after a leak asks "who exported post N")."""
    run, group = victim["run"], victim["campaign"]
    MonitoredPost.objects.bulk_create(
        MonitoredPost(
            agency=world.police,
            run=run,
            post_id=f"bulk-{i}",
            text=f"Робота в Польщі, пиши +38067{i:07d}",
            risk=0.9,
            contacts=[f"phone:+38067{i:07d}"],
            campaign=group,
        )
        for i in range(520)
    )
    exported = set(MonitoredPost.objects.filter(campaign=group).values_list("pk", flat=True))
    response = verified_client(world.officer).post("/online/export/stix/", {"group": group.pk})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="online.export_stix")
    assert set(entry.detail["posts"]) == exported
    assert entry.object_type == "group" and entry.object_ref == str(group.pk)


def _walk(world, victim) -> None:
    client = verified_client(world.officer)
    post = victim["post"]
    client.get("/online/", {"status": "", "category": ""})
    client.get(f"/online/posts/{post.pk}/")
    client.get(f"/online/contacts/{victim['contact'].pk}/")
    client.get(f"/online/groups/{victim['campaign'].pk}/")
    client.get(f"/online/groups/{victim['network'].pk}/")
    client.get(f"/online/imports/{victim['run'].pk}/")
    client.post("/online/export/stix/", {"post": [post.pk]})
    client.post("/online/export/stix/", {"group": victim["campaign"].pk})
    other = MonitoredPost.objects.filter(agency=world.police).exclude(pk=post.pk).first()
    client.post(f"/online/posts/{other.pk}/false-positive/", {"confirm": "yes"})
    client.post(f"/online/posts/{other.pk}/false-positive/undo/")
    client.post(f"/online/posts/{post.pk}/case/")
    for persona in OTHER_AGENCY:
        foreign = verified_client(getattr(world, persona))
        for name in ENDPOINTS:
            _call(foreign, victim, name)


def _only_ids_and_codes(value) -> bool:
    if isinstance(value, dict):
        return all(re.fullmatch(r"[a-z_]+", k) and _only_ids_and_codes(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_ids_and_codes(v) for v in value)
    if isinstance(value, bool | int | float) or value is None:
        return True
    return bool(re.fullmatch(r"[a-z0-9_.:-]{0,64}", str(value)))


def test_every_audit_entry_holds_ids_and_codes_only(world, victim):
    _walk(world, victim)
    entries = list(AuditEntry.objects.filter(action__startswith="online."))
    entries += list(AuditEntry.objects.filter(action="access.refused"))
    assert {"online.export_stix", "online.post_view", "online.lead", "access.refused"} <= {
        e.action for e in entries
    }
    secrets = _secrets(world)
    for e in entries:
        written = json.dumps([e.object_ref, e.purpose, e.detail], ensure_ascii=False)
        for secret in secrets:
            assert secret not in written, (e.action, secret)
        assert _only_ids_and_codes(e.detail), (e.action, e.detail)
        assert re.fullmatch(r"[A-Za-z0-9_.:/-]*", e.object_ref), (e.action, e.object_ref)


def test_nothing_personal_reaches_a_log(world, tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    path = write_jsonl(tmp_path / "Petrenko +380501112233.jsonl")
    run = online_import(actor=world.officer, path=path, source_name=path.name)
    victim = {
        "run": run,
        "post": first_with_contacts(MonitoredPost.objects.all()),
        "contact": Contact.objects.first(),
        "campaign": PostGroup.objects.filter(kind="campaign").first(),
        "network": PostGroup.objects.filter(kind="network").first(),
    }
    _walk(world, victim)

    def boom():
        raise RuntimeError(MonitoredPost.objects.first().text)  # an error quoting content

    monkeypatch.setattr(services, "_model", boom)
    with pytest.raises(Exception, match=r"."):
        online_import(actor=world.officer, path=path, source_name=path.name)
    logged = "\n".join(
        r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records
    )
    for secret in ["Petrenko", "380501112233", *_secrets(world)]:
        assert secret not in logged, secret


# --- problems of an import: bounded, never whole records ---------------------------------


def test_a_problem_never_keeps_a_long_record_value(world, tmp_path):
    """A "date" that holds a whole message (or thousands of digits) is named in the
    problem list by its first characters only, in its params and in its English reason."""
    long_digits = "380671234567" * 300
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"text": "Робота в Польщі", "date": long_digits}) + "\n"
        + json.dumps({"text": "Робота в Чехії", "date": ["+380671234567"] * 200}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    run = online_import(actor=world.officer, path=path, source_name="p.jsonl")
    assert len(run.problems) == 2
    for problem in run.problems:
        assert len(problem["why"]) <= 200, problem["why"][:80]
        for value in problem["params"].values():
            assert len(str(value)) <= 60, str(value)[:80]


# --- methods and CSRF ------------------------------------------------------------------------


STATE_CHANGING = ["open case", "false positive", "STIX of a campaign"]


@pytest.mark.parametrize("endpoint", STATE_CHANGING)
def test_state_changes_refuse_get(world, victim, endpoint):
    _method, url, _data = ENDPOINTS[endpoint]
    url = url.format(post=victim["post"].pk)
    assert verified_client(world.officer).get(url).status_code == 405
    _unchanged(world, victim)


@pytest.mark.parametrize("endpoint", [*STATE_CHANGING, "import upload"])
def test_state_changes_need_the_csrf_token(world, victim, endpoint):
    client = verified_client(world.officer)
    client.handler.enforce_csrf_checks = True
    if endpoint == "import upload":
        before = ImportRun.objects.count()
        response = client.post("/online/import/", {"text_column": "x"})
        assert ImportRun.objects.count() == before
    else:
        response = _call(client, victim, endpoint)
    assert response.status_code == 403
    _unchanged(world, victim)
    assert not AuditEntry.objects.filter(action="online.export_stix").exists()


# --- the return address ----------------------------------------------------------------------


@given(st.text(max_size=300))
def test_back_is_only_ever_a_query_string_for_the_queue(raw):
    back = _back(raw)
    location = "/online/" + (f"?{back}" if back else "")
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc and parts.path == "/online/"
    assert not any(c in back for c in "\r\n\t\x00 <>\"'#\\")
    assert "?" not in back and "/" not in back


@pytest.mark.parametrize(
    "back",
    [
        "//evil.example/x",
        "https://evil.example/",
        "status=new\r\nSet-Cookie: a=b",
        "x=%0d%0aLocation:%20https://evil.example",
        '"><script>alert(1)</script>',
    ],
)
def test_a_hostile_back_stays_on_the_queue(world, victim, back):
    client = verified_client(world.officer)
    response = client.post(
        f"/online/posts/{victim['post'].pk}/false-positive/", {"back": back, "confirm": "yes"}
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/online/") and not urlsplit(location).netloc
    assert "\r" not in location and "\n" not in location
    page = client.get(f"/online/posts/{victim['post'].pk}/", {"back": back}).content.decode()
    assert "<script>alert(1)" not in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert not any(urlsplit(h.replace("&amp;", "&")).netloc for h in hrefs), hrefs


def test_an_import_page_and_its_api_answer_are_audited(world, victim, api):
    """The import's page shows the file's name (here a person's name and phone) and the
    problems quoting its records: each reading is recorded, by id only."""
    run = victim["run"]
    client = verified_client(world.officer)
    page = client.get(f"/online/imports/{run.pk}/")
    assert "Ivanenko" in page.content.decode()
    client.get(f"/online/imports/{run.pk}/", headers={"HX-Request": "true"})
    assert api(world.officer).get(f"/online/imports/{run.pk}").status_code == 200
    entries = AuditEntry.objects.filter(action="online.import_view", user_id=world.officer.pk)
    assert entries.count() == 3
    assert {(e.object_type, e.object_ref, json.dumps(e.detail)) for e in entries} == {
        ("import", str(run.pk), "{}")
    }


def test_a_running_import_polled_every_two_seconds_is_recorded_once(world, victim):
    run = victim["run"]
    ImportRun.objects.filter(pk=run.pk).update(state="running")
    client = verified_client(world.officer)
    client.get(f"/online/imports/{run.pk}/")
    for _ in range(3):
        client.get(f"/online/imports/{run.pk}/", headers={"HX-Request": "true"})
    assert AuditEntry.objects.filter(action="online.import_view").count() == 1


def test_the_import_page_records_which_files_it_listed(world, victim):
    """The import page lists the agency's recent files by name (here a person's name)."""
    html = verified_client(world.officer).get("/online/import/").content.decode()
    assert "Ivanenko" in html
    entry = AuditEntry.objects.get(action="online.import_view", user_id=world.officer.pk)
    assert entry.detail == {"imports": [victim["run"].pk]}


def test_pages_and_exports_with_personal_data_are_never_cached(world, victim):
    client = verified_client(world.officer)
    for response in (
        client.get(f"/online/posts/{victim['post'].pk}/"),
        client.get(f"/online/contacts/{victim['contact'].pk}/"),
        client.post("/online/export/stix/", {"group": victim["campaign"].pk}),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


def test_the_queued_job_holds_the_run_id_only(world):
    """The job table (read by administrators, kept after the run) never holds the file's
    name, its path or anything read from it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tasks_db.models import DBTaskResult

    body = json.dumps({"text": "Робота в Польщі, +380671234567"}).encode() + b"\n"
    upload = SimpleUploadedFile("Ivanenko +380671234567.jsonl", body)
    verified_client(world.officer).post("/online/import/", {"file": upload})
    run = ImportRun.objects.get()
    job = DBTaskResult.objects.get()
    assert job.args_kwargs == {"args": [], "kwargs": {"run_id": run.pk}}
