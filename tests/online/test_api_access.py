"""Who may do what through the online-monitoring API, over real HTTP: a matrix of role ×
agency × endpoint generated from one table. Deny by default, as the pages: another
agency's post, import or campaign reads exactly like a missing one (404) and the attempt
is audited; a role outside ``MONITORING_ROLES`` is refused (403) and leaves no trace of
agency A's data; every read and write of post data is audited."""

from __future__ import annotations

import pytest

from opennrm.accounts.roles import MONITORING_ROLES, Role
from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case
from opennrm.online.models import Feedback, ImportRun, MonitoredPost, PostGroup, PostStatus
from opennrm.online.services import online_import
from tests.factories import UserFactory
from tests.online.posts import first_with_contacts, write_jsonl

pytestmark = pytest.mark.django_db(transaction=True)

#: persona -> (agency, role): agency A is the Kyiv police, whose posts are imported
PERSONAS = {
    "officer": ("police", Role.FRONTLINE),
    "police_case_manager": ("police", Role.CASE_MANAGER),
    "police_coordinator": ("police", Role.COORDINATOR),
    "police_analyst": ("police", Role.ANALYST),
    "police_auditor": ("police", Role.AUDITOR),
    "police_admin": ("police", Role.ADMIN),
    "police_service_provider": ("police", Role.SERVICE_PROVIDER),
    "border_guard": ("border", Role.FRONTLINE),
    "coordinator": ("coordination", Role.COORDINATOR),
    "case_manager": ("coordination", Role.CASE_MANAGER),
    "analyst": ("coordination", Role.ANALYST),
    "ngo_worker": ("ngo", Role.SERVICE_PROVIDER),
}


def _relation(persona: str) -> str:
    agency, role = PERSONAS[persona]
    if role not in MONITORING_ROLES:
        return "none"
    return "own" if agency == "police" else "foreign"


# name -> (method, path, JSON body or None); run in this order (a post is marked false
# positive, returned, then a case is opened from it)
ENDPOINTS = {
    "queue": ("get", "/online/posts?status=any&category=all&page_size=200", None),
    "post": ("get", "/online/posts/{post}", None),
    "imports": ("get", "/online/imports", None),
    "import": ("get", "/online/imports/{run}", None),
    "stix of posts": ("post", "/online/stix", {"posts": ["{post}"]}),
    "stix of a campaign": ("post", "/online/stix", {"group": "{campaign}"}),
    "false positive": ("post", "/online/posts/{post}/false-positive", {}),
    "undo false positive": ("post", "/online/posts/{post}/false-positive/undo", {}),
    "open case": ("post", "/online/posts/{post}/case", {}),
    "upload": ("upload", "/online/imports", None),
}
#: endpoint -> relation -> status. A list is never refused to another agency: it lists
#: that agency's own (none of A's); posts given by id of which none is visible: 422.
EXPECTED = {
    name: {"own": 200, "foreign": 404, "none": 403}
    | ({"foreign": 200} if name in ("queue", "imports") else {})
    | ({"foreign": 422} if name == "stix of posts" else {})
    | ({"own": 201} if name in ("open case", "upload") else {})
    | ({"foreign": 201} if name == "upload" else {})
    for name in ENDPOINTS
}
#: what a refusal names in the audit log (object type, the object of agency A)
REFUSED_AS = {
    "post": ("post", "post"),
    "import": ("import", "run"),
    "stix of posts": ("post", None),
    "stix of a campaign": ("group", "campaign"),
    "false positive": ("post", "post"),
    "undo false positive": ("post", "post"),
    "open case": ("post", "post"),
}
#: what a successful call records (action, object type)
AUDITED_AS = {
    "queue": ("online.queue_view", "post"),
    "post": ("online.post_view", "post"),
    "imports": ("online.import_view", "import"),
    "import": ("online.import_view", "import"),
    "stix of posts": ("online.export_stix", "post"),
    "stix of a campaign": ("online.export_stix", "group"),
    "false positive": ("online.false_positive", "post"),
    "undo false positive": ("online.false_positive_undo", "post"),
    "open case": ("online.lead", "case"),
    "upload": ("online.import_queue", "import"),
}


@pytest.fixture
def agency_a(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_DIR = tmp_path / "imports"
    run = online_import(
        actor=world.officer,
        path=write_jsonl(tmp_path / "Ivanenko +380671234567.jsonl"),
        source_name="Ivanenko +380671234567.jsonl",
    )
    posts = MonitoredPost.objects.filter(agency=world.police)
    return {
        "run": run,
        "post": first_with_contacts(posts.filter(flagged=True)),
        "campaign": PostGroup.objects.filter(agency=world.police, kind="campaign").first(),
    }


def _user(world, persona: str):
    if hasattr(world, persona):
        return getattr(world, persona)
    agency, role = PERSONAS[persona]
    return UserFactory(username=persona, agency=getattr(world, agency), role=role)


def _call(client, name: str, ids: dict[str, int]):
    method, path, body = ENDPOINTS[name]
    url = path.format(**ids)
    if method == "upload":
        return client.post(url, files={"file": ("mine.jsonl", b'{"text": "x"}\n')})
    if method == "get":
        return client.get(url)
    if body is not None:
        body = {k: [int(i.format(**ids)) for i in v] if isinstance(v, list) else int(v.format(**ids))
                for k, v in body.items()}  # fmt: skip
    return client.post(url, json=body)


def _last_entry() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _secrets(world) -> list[str]:
    out = ["Ivanenko", "380671234567"]
    for post in MonitoredPost.objects.filter(agency=world.police):
        out += [post.text[:30], *(c.partition(":")[2] for c in post.contacts)]
    return [s for s in out if len(s) >= 6]


def _unchanged(world, agency_a) -> None:
    post = MonitoredPost.objects.get(pk=agency_a["post"].pk)
    assert post.status == PostStatus.NEW and post.case_id is None
    assert not Feedback.objects.exists() and not Case.objects.exists()
    assert ImportRun.objects.filter(agency=world.police).count() == 1


def test_the_matrix_covers_every_online_operation(world, api):
    """A new endpoint gets a row here, or this fails."""
    schema = api(world.officer).get("/openapi.json").json()
    operations = {
        (method, path.removeprefix("/api"))
        for path, ops in schema["paths"].items()
        if path.startswith("/api/online")
        for method in ops
    }
    covered = {
        ("post" if method == "upload" else method, path.split("?")[0])
        for method, path, _body in ENDPOINTS.values()
    }
    normalised = {
        (m, p.replace("{run_id}", "{run}").replace("{post_id}", "{post}")) for m, p in operations
    }
    assert normalised == covered


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_access_matrix(world, api, agency_a, persona):
    user = _user(world, persona)
    relation = _relation(persona)
    client = api(user)
    ids = {k: v.pk for k, v in agency_a.items()}
    missing = {k: 10**9 for k in ids}
    secrets = _secrets(world)
    for name in ENDPOINTS:
        before = _last_entry()
        r = _call(client, name, ids)
        expected = EXPECTED[name][relation]
        assert r.status_code == expected, (persona, name, r.status_code, r.text[:300])
        if relation == "own":
            action, object_type = AUDITED_AS[name]
            entry = AuditEntry.objects.filter(pk__gt=before, action=action).get()
            assert (entry.user_id, entry.object_type) == (user.pk, object_type), name
            if name == "queue":
                assert agency_a["post"].pk in {p["id"] for p in r.json()["items"]}
            continue
        body = r.text
        for secret in secrets:
            assert secret not in body, (persona, name, secret)
        if expected == 403:
            assert r.json()["error"] == "forbidden"
            assert AuditEntry.objects.filter(pk__gt=before).count() == 0, name
        elif expected == 404:
            assert body == _call(client, name, missing).text  # a foreign one looks missing
            object_type, key = REFUSED_AS[name]
            refused = AuditEntry.objects.filter(pk__gt=before, action="access.refused")
            assert refused.filter(
                user_id=user.pk, object_type=object_type, object_ref=str(ids[key])
            ).exists(), name
        elif name == "stix of posts":
            refused = AuditEntry.objects.get(pk__gt=before, action="access.refused")
            assert refused.detail["posts"] == [ids["post"]]
        elif name in ("queue", "imports"):
            assert r.json()["items"] == []
        elif name == "upload":
            assert ImportRun.objects.get(pk=r.json()["id"]).agency_id == user.agency_id
    if relation != "own":
        _unchanged(world, agency_a)
        online = AuditEntry.objects.filter(user_id=user.pk, action__startswith="online.")
        expected_actions = {"online.import_queue"} if relation == "foreign" else set()
        assert set(online.values_list("action", flat=True)) == expected_actions
    else:
        post = MonitoredPost.objects.get(pk=agency_a["post"].pk)
        assert post.status == PostStatus.LEAD and post.case_id is not None


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_a_refused_role_is_told_in_its_language(world, api, language):
    r = api(world.analyst).get("/online/posts", headers={"Accept-Language": language})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert r.json()["message"] != "Your role does not review online monitoring."
    assert any("\u0400" <= ch <= "\u04ff" for ch in r.json()["message"])


def test_a_read_only_token_reads_but_never_writes(world, api, agency_a, live_server):
    import httpx

    from tests.conftest import bearer_token

    token = bearer_token(world.officer, scope="read", name="reader")
    client = httpx.Client(
        base_url=live_server.url + "/api", headers={"Authorization": f"Bearer {token}"}
    )
    with client:
        post = agency_a["post"].pk
        assert client.get(f"/online/posts/{post}").status_code == 200
        for path in (f"/online/posts/{post}/false-positive", f"/online/posts/{post}/case"):
            r = client.post(path)
            assert r.status_code == 403 and r.json()["field"] == "scope", path
        r = client.post("/online/imports", files={"file": ("p.jsonl", b'{"text": "x"}\n')})
        assert r.status_code == 403
    _unchanged(world, agency_a)


def test_an_upload_with_a_session_is_refused_bearer_only(world, agency_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import verified_client

    r = verified_client(world.officer).post(
        "/api/online/imports", {"file": SimpleUploadedFile("p.jsonl", b'{"text": "x"}\n')}
    )
    assert r.status_code == 401
    assert ImportRun.objects.filter(agency=world.police).count() == 1
