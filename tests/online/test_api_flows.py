"""The online-monitoring API over real HTTP (a live server, bearer tokens): upload, the
worker's import, the queue, a post, false positive and undo, a case from a post, STIX;
bad input answers a clear 4xx with a code and loses nothing; every read and write of
post data is audited as for the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case
from opennrm.online.models import Feedback, ImportRun, MonitoredPost, PostStatus
from opennrm.online.services import online_import
from tests.online.posts import first_with_contacts, write_jsonl
from tests.online.test_imports import _good

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def import_dir(settings, tmp_path) -> Path:
    """A folder of its own: other tests' queued uploads stay in the shared one."""
    settings.OPENNRM_IMPORT_DIR = tmp_path / "imports"
    return Path(settings.OPENNRM_IMPORT_DIR)


@pytest.fixture
def posts(world, tmp_path):
    """Agency A (Kyiv police): posts imported from a file, with contacts and a campaign."""
    online_import(
        actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p.jsonl"
    )
    return MonitoredPost.objects.filter(agency=world.police)


def _left(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def _entries(user, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(user_id=user.pk, action=action).order_by("pk"))


# --- upload, worker, queue -----------------------------------------------------------------


def test_an_upload_is_imported_by_the_worker_and_its_posts_are_in_the_queue(world, api, import_dir):
    client = api(world.officer)
    body = ("\n".join(_good(30, phone=True)) + "\n").encode()
    r = client.post(
        "/online/imports",
        files={"file": ("channel.jsonl", body, "application/octet-stream")},
        data={"time_zone": "Europe/Kyiv"},
    )
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["state"] == "queued" and run["source_name"] == "channel.jsonl"
    assert r.headers["Location"] == f"/api/online/imports/{run['id']}"
    stored = ImportRun.objects.get(pk=run["id"])
    assert stored.agency_id == world.police.pk and stored.time_zone == "Europe/Kyiv"
    queued = AuditEntry.objects.get(action="online.import_queue")
    assert (queued.user_id, queued.object_ref) == (world.officer.pk, str(run["id"]))

    # the worker's job loop (``opennrm worker`` runs db_worker) takes the queued job
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    done = client.get(r.headers["Location"].removeprefix("/api")).json()
    assert done["state"] == "done" and done["stored"] == 30, done
    assert _left(import_dir) == []  # the encrypted upload is removed once imported
    queue = client.get(
        "/online/posts", params={"status": "any", "category": "all", "page_size": 50}
    ).json()
    ids = {p["id"] for p in queue["items"]}
    assert ids == set(MonitoredPost.objects.filter(run_id=run["id"]).values_list("pk", flat=True))
    assert len(ids) == 30 and not queue["has_next"]
    item = queue["items"][0]
    assert item["text"].startswith("Робота в Польщі") and item["contacts"][0]["kind"] == "phone"
    assert item["posted_at"] is not None and item["status"] == "new"
    listed = _entries(world.officer, "online.queue_view")[-1]
    assert sorted(listed.detail["posts"]) == sorted(ids)


def test_an_upload_through_the_api_is_listed_and_the_list_is_audited(world, api, import_dir):
    client = api(world.officer)
    for i in range(3):
        r = client.post("/online/imports", files={"file": (f"f{i}.jsonl", b'{"text": "x"}\n')})
        assert r.status_code == 201, r.text
    first = client.get("/online/imports", params={"page_size": 2}).json()
    second = client.get("/online/imports", params={"page_size": 2, "page": 2}).json()
    assert first["has_next"] and not second["has_next"]
    names = [r["source_name"] for r in first["items"] + second["items"]]
    assert names == ["f2.jsonl", "f1.jsonl", "f0.jsonl"]  # newest first
    assert first["items"][0]["state"] == "queued" and first["items"][0]["state_label"]
    listed = _entries(world.officer, "online.import_view")
    assert [e.detail["imports"] for e in listed] == [
        [r["id"] for r in first["items"]],
        [r["id"] for r in second["items"]],
    ]
    # another agency lists none of them
    assert api(world.border_guard).get("/online/imports").json()["items"] == []


# --- uploads refused: a clear 4xx with a code, nothing kept ----------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Split it into smaller files"),
        ("uk", "Розділіть його на менші файли"),
        ("ru", "Разделите его на файлы поменьше"),
    ],
)
def test_an_oversized_upload_is_413_with_a_code_and_nothing_is_kept(
    world, api, settings, import_dir, language, words
):
    settings.OPENNRM_MAX_UPLOAD_BYTES = 1000
    r = api(world.officer).post(
        "/online/imports",
        files={"file": ("big.jsonl", b"x" * 5000)},
        headers={"Accept-Language": language},
    )
    assert r.status_code == 413, r.text
    body = r.json()
    assert (body["error"], body["field"]) == ("too_large", "file")
    assert words in body["message"]
    assert not ImportRun.objects.exists() and _left(import_dir) == []
    assert not AuditEntry.objects.filter(action__startswith="online.").exists()


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Europe/Kyiv"),
        ({"time_zone": "Kyiv"}, "time_zone", "Europe/Kyiv?"),  # the suggestion
        ({"time_zone": "x" * 65}, "time_zone", "too long"),
        ({"text_column": "c" * 101}, "text_column", "too long"),
    ],
)
def test_bad_upload_fields_are_422_on_their_field_and_nothing_is_kept(
    world, api, import_dir, form, field, words
):
    r = api(world.officer).post(
        "/online/imports", files={"file": ("p.jsonl", b'{"text": "x"}\n')}, data=form
    )
    assert r.status_code == 422, r.text
    assert (r.json()["error"], r.json()["field"]) == ("validation_failed", field)
    assert words in r.json()["message"]
    assert not ImportRun.objects.exists() and _left(import_dir) == []


@pytest.mark.parametrize(
    ("name", "body", "field", "code", "words"),
    [
        ("posts.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "file", "", "PNG"),
        ("posts.csv", "Іван,+380501234567\n1,2\n".encode(), "text_column", "csv.no_text_column",
         "«Іван»"),
    ],
)  # fmt: skip
def test_a_file_whose_start_shows_it_cannot_be_imported_is_refused_at_once(
    world, api, import_dir, name, body, field, code, words
):
    """The upload form's check from the file's first bytes, said in the caller's language
    on the field to change; nothing is stored or queued."""
    r = api(world.officer).post(
        "/online/imports", files={"file": (name, body)}, headers={"Accept-Language": "uk"}
    )
    assert r.status_code == 422, r.text
    answer = r.json()
    assert (answer["error"], answer["field"]) == ("validation_failed", field)
    assert words in answer["message"]
    if code:
        assert answer["details"][0]["code"] == code
        # said for an API caller: the field to send, not the page's field or its file picker
        assert "text_column" in answer["message"] and "Стовпці файлу: «Іван»" in answer["message"]
        assert "Стовпець із текстом" not in answer["message"]
        assert "виберіть файл" not in answer["message"]
    assert not ImportRun.objects.exists() and _left(import_dir) == []


def test_an_upload_without_a_file_is_422_on_file(world, api, import_dir):
    r = api(world.officer).post("/online/imports", data={"time_zone": "UTC"})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = api(world.officer).post("/online/imports", files={"other": ("p.jsonl", b"x")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert not ImportRun.objects.exists()


def test_an_unknown_time_zone_is_said_in_ukrainian(world, api, import_dir):
    r = api(world.officer).post(
        "/online/imports",
        files={"file": ("p.jsonl", b'{"text": "x"}\n')},
        data={"time_zone": "Київ"},
        headers={"Accept-Language": "uk"},
    )
    assert r.status_code == 422
    assert "Europe/Kyiv" in r.json()["message"] and "Невідомий" in r.json()["message"]


# --- the queue: filters, pagination, bad input -------------------------------------------


def test_the_queue_pages_without_overlap_and_each_page_is_audited(world, api, posts):
    client = api(world.officer)
    every = client.get(
        "/online/posts", params={"status": "any", "category": "all", "page_size": 200}
    ).json()
    assert not every["has_next"]
    assert len(every["items"]) == posts.count()
    seen: list[int] = []
    page = 1
    while True:
        r = client.get(
            "/online/posts",
            params={"status": "any", "category": "all", "page_size": 2, "page": page},
        ).json()
        assert len(r["items"]) <= 2
        seen += [p["id"] for p in r["items"]]
        if not r["has_next"]:
            break
        page += 1
    assert seen == [p["id"] for p in every["items"]]  # same order, nothing twice or lost
    entries = _entries(world.officer, "online.queue_view")
    assert [i for e in entries[1:] for i in e.detail["posts"]] == seen
    # a page past the end is empty, and records nothing
    before = AuditEntry.objects.count()
    past = client.get("/online/posts", params={"status": "any", "category": "all", "page": 99})
    assert past.json()["items"] == [] and AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    "params",
    [
        {"status": "any", "category": "all"},  # recruitment first, then spam, then the rest
        {"status": "any", "category": "unflagged"},
        {"status": "new", "category": "recruitment", "min_risk": 0.1},
    ],
)
def test_the_queue_walked_by_cursor_is_the_queue_walked_by_page(world, api, posts, params):
    client = api(world.officer)
    # ties of risk too: the order goes on by id, and a cursor must not skip or repeat them
    MonitoredPost.objects.filter(pk__in=list(posts.values_list("pk", flat=True)[:4])).update(
        risk=0.5
    )
    whole = client.get("/online/posts", params={**params, "page_size": 200}).json()
    assert whole["next_cursor"] is None
    walked: list[int] = []
    after = ""
    for _page in range(50):
        r = client.get("/online/posts", params={**params, "page_size": 1, "after": after})
        body = r.json()
        walked += [p["id"] for p in body["items"]]
        if not body["has_next"]:
            assert body["next_cursor"] is None
            break
        after = body["next_cursor"]
    assert walked == [p["id"] for p in whole["items"]]


@pytest.mark.parametrize("cursor", ["x", "0_nan_3", "7_0.5_3", "0_0.5", "0_0.5_x", "a" * 65])
def test_a_cursor_that_is_no_position_is_422_on_after(world, api, posts, cursor):
    r = api(world.officer).get(
        "/online/posts", params={"after": cursor}, headers={"Accept-Language": "uk"}
    )
    assert r.status_code == 422, r.text
    assert (r.json()["error"], r.json()["field"]) == ("validation_failed", "after")
    assert not AuditEntry.objects.filter(action="online.queue_view").exists()


def test_the_queue_filters_as_the_page_does(world, api, posts):
    client = api(world.officer)
    default = client.get("/online/posts").json()["items"]
    assert default and all(p["flagged"] and p["category"] == "recruitment" for p in default)
    assert all(p["status"] == "new" for p in default)
    unflagged = client.get("/online/posts", params={"category": "unflagged"}).json()["items"]
    assert unflagged and not any(p["flagged"] for p in unflagged)
    risky = client.get(
        "/online/posts", params={"category": "all", "status": "any", "min_risk": 0.5}
    ).json()["items"]
    assert risky and all(p["risk"] >= 0.5 for p in risky)
    channel = client.get("/online/posts", params={"category": "all", "channel": "other"}).json()[
        "items"
    ]
    assert [p["channel"] for p in channel] == ["other"]
    language = posts.exclude(language="").first().language
    by_language = client.get(
        "/online/posts", params={"category": "all", "language": language}
    ).json()["items"]
    assert by_language and {p["language"] for p in by_language} == {language}
    reason = next(r for p in default for r in p["reasons"] if r["kind"] == "flag")
    assert reason["code"] and reason["text"].startswith("Indicator:")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_risk": "high"}, "min_risk"),
        ({"min_risk": "80"}, "min_risk"),  # a percentage: the risk is 0–1
        ({"min_risk": "nan"}, "min_risk"),
        ({"status": "open"}, "status"),
        ({"category": "trafficking"}, "category"),
        ({"page_size": "1000"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
    ],
)
def test_bad_queue_filters_are_422_naming_the_field_and_show_nothing(
    world, api, posts, params, field
):
    r = api(world.officer).get("/online/posts", params=params, headers={"Accept-Language": "uk"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["error"], body["field"]) == ("validation_failed", field)
    assert body["message"].startswith(f"{field}: ") and "Give" not in body["message"]
    assert not AuditEntry.objects.filter(action="online.queue_view").exists()


# --- a post --------------------------------------------------------------------------------


def test_a_post_as_its_page_shows_it_and_its_view_is_audited(world, api, posts):
    post = first_with_contacts(posts)
    r = api(world.officer).get(f"/online/posts/{post.pk}", headers={"Accept-Language": "uk"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == post.pk and body["text"] == post.text
    assert body["why"] in ("alert", "threshold", "below", "earlier_yes", "earlier_no")
    assert body["why_text"].startswith(("Так", "Ні"))
    assert body["known_contacts"] and body["known_contacts"][0]["value"]
    assert body["case_reference"] is None and body["case_elsewhere"] is False
    assert body["status_label"] == _in("uk", "New") != "New"
    if post.campaign_id:
        assert body["campaign_id"] == post.campaign_id and body["campaign_size"] >= 2
    entry = AuditEntry.objects.get(action="online.post_view")
    assert (entry.user_id, entry.object_ref) == (world.officer.pk, str(post.pk))


def test_a_missing_post_is_404_in_ukrainian(world, api, posts):
    r = api(world.officer).get("/online/posts/999999999", headers={"Accept-Language": "uk"})
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
    message = _in("uk", "No such post, or you do not have access to it.")
    assert r.json()["message"] == message != "No such post, or you do not have access to it."


# --- review: false positive and undo, a case ------------------------------------------------


def test_false_positive_and_undo_round_trip(world, api, posts):
    client = api(world.officer)
    post = posts.filter(status=PostStatus.NEW, flagged=True).order_by("pk").first()
    marked = client.post(f"/online/posts/{post.pk}/false-positive")
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "false_positive" and marked.json()["message"]
    assert Feedback.objects.filter(post=post, label=0).count() == 1
    again = client.post(f"/online/posts/{post.pk}/false-positive")  # a double tap
    assert again.status_code == 200 and Feedback.objects.filter(post=post).count() == 1
    new = client.get("/online/posts", params={"category": "all"}).json()["items"]
    assert post.pk not in {p["id"] for p in new}
    fps = client.get("/online/posts", params={"category": "all", "status": "false_positive"})
    assert [p["id"] for p in fps.json()["items"]] == [post.pk]

    undone = client.post(f"/online/posts/{post.pk}/false-positive/undo")
    assert undone.status_code == 200 and undone.json()["status"] == "new"
    assert not Feedback.objects.filter(post=post).exists()
    assert client.post(f"/online/posts/{post.pk}/false-positive/undo").status_code == 200
    new = client.get("/online/posts", params={"category": "all"}).json()["items"]
    assert post.pk in {p["id"] for p in new}
    assert [e.object_ref for e in _entries(world.officer, "online.false_positive")] == [
        str(post.pk)
    ]
    undo = _entries(world.officer, "online.false_positive_undo")
    assert [(e.object_ref, e.detail) for e in undo] == [(str(post.pk), {"labels_removed": 1})]


def test_a_case_from_a_post_and_what_it_refuses_after(world, api, posts):
    client = api(world.officer)
    post = posts.filter(flagged=True).order_by("pk").first()
    r = client.post(f"/online/posts/{post.pk}/case")
    assert r.status_code == 201, r.text
    reference = r.json()["case_reference"]
    assert r.headers["Location"] == f"/api/cases/{reference}"
    case = Case.objects.get(reference=reference)
    assert MonitoredPost.objects.get(pk=post.pk).case_id == case.pk
    assert AuditEntry.objects.filter(action="online.lead", object_ref=reference).exists()
    assert client.get(f"/cases/{reference}").status_code == 200
    detail = client.get(f"/online/posts/{post.pk}").json()
    assert detail["case_reference"] == reference and detail["status"] == "lead"

    twice = client.post(f"/online/posts/{post.pk}/case", headers={"Accept-Language": "uk"})
    assert twice.status_code == 409 and twice.json()["error"] == "conflict"
    assert twice.json()["message"] == _in("uk", "A case was already opened from this post.")
    refused = client.post(f"/online/posts/{post.pk}/false-positive")
    assert refused.status_code == 409 and refused.json()["error"] == "conflict"
    undo = client.post(f"/online/posts/{post.pk}/false-positive/undo")
    assert undo.status_code == 409
    assert Case.objects.count() == 1
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.LEAD


# --- STIX ----------------------------------------------------------------------------------


def test_a_stix_export_of_posts_and_of_a_campaign(world, api, posts):
    client = api(world.officer)
    post = first_with_contacts(posts)
    r = client.post("/online/stix", json={"posts": [post.pk]})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/stix+json")
    assert json.loads(r.content)["type"] == "bundle"
    entry = AuditEntry.objects.get(action="online.export_stix")
    assert entry.detail == {"posts": [post.pk]}
    group = posts.exclude(campaign=None).first().campaign
    r = client.post("/online/stix", json={"group": group.pk})
    assert r.status_code == 200
    assert AuditEntry.objects.filter(action="online.export_stix", object_ref=str(group.pk)).exists()
    empty = client.post("/online/stix", json={"posts": []})
    assert empty.status_code == 422 and empty.json()["field"] == "posts"
    bad = client.post("/online/stix", json={"posts": ["1"]})
    assert bad.status_code == 422


def test_a_stix_export_of_another_agencys_posts_exports_nothing(world, api, posts):
    ids = list(posts.values_list("pk", flat=True))
    r = api(world.border_guard).post("/online/stix", json={"posts": ids})
    assert r.status_code == 422 and r.json()["field"] == "posts"
    refused = AuditEntry.objects.get(action="access.refused", user_id=world.border_guard.pk)
    assert sorted(refused.detail["posts"]) == sorted(ids)
    assert not AuditEntry.objects.filter(action="online.export_stix").exists()


# --- the OpenAPI document --------------------------------------------------------------------


def test_the_openapi_document_describes_every_online_operation(world, api):
    schema = api(world.officer).get("/openapi.json").json()
    online = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/online")}
    assert set(online) == {
        "/api/online/imports",
        "/api/online/imports/{run_id}",
        "/api/online/posts",
        "/api/online/posts/{post_id}",
        "/api/online/posts/{post_id}/false-positive",
        "/api/online/posts/{post_id}/false-positive/undo",
        "/api/online/posts/{post_id}/case",
        "/api/online/stix",
    }
    for path, operations in online.items():
        for method, operation in operations.items():
            assert operation.get("description") and operation.get("summary"), (method, path)
            ok = [s for s in operation["responses"] if s.startswith("2")]
            assert ok, (method, path)
    upload = online["/api/online/imports"]["post"]
    assert {"201", "413", "422"} <= set(upload["responses"])
    assert "multipart/form-data" in upload["requestBody"]["content"]


def test_a_chunked_upload_to_the_api_may_be_as_large_as_to_the_page():
    """A body without a Content-Length is read up to the largest the address accepts
    (opennrm.httpguard.body): the API's upload address takes what the import page takes."""
    from opennrm.httpguard.body import largest_body

    page = largest_body("/online/import/")
    assert largest_body("/api/online/imports") == largest_body("/api/online/imports/") == page
    assert largest_body("/api/online/posts") < page


def test_a_page_of_the_queue_costs_the_same_queries_however_many_posts(world, posts):
    """No query per post (campaign and network sizes come with the posts); the test
    client goes through the same middleware, authentication and handler as HTTP."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import bearer_token

    client = Client(HTTP_AUTHORIZATION=f"Bearer {bearer_token(world.officer)}")
    client.get("/api/online/posts")  # the token's first use is recorded once
    counts = []
    for size in (1, posts.count()):
        with CaptureQueriesContext(connection) as queries:
            r = client.get(
                "/api/online/posts", {"status": "any", "category": "all", "page_size": size}
            )
        assert r.status_code == 200 and len(r.json()["items"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_long_text_is_cut_in_the_list_and_a_deep_page_number_asks_for_the_cursor(
    world, api, tmp_path, monkeypatch
):
    from opennrm.online import api as online_api

    long = "Робота в Польщі, житло безкоштовно, паспорт залишите нам. " * 100
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"text": long, "channel": "c"}, ensure_ascii=False) + "\n", "utf-8")
    online_import(actor=world.officer, path=path, source_name="long.jsonl")
    client = api(world.officer)
    (item,) = client.get("/online/posts", params={"status": "any", "category": "all"}).json()[
        "items"
    ]
    assert item["text_cut"] and len(item["text"]) == online_api.LIST_TEXT_CHARS
    assert long.startswith(item["text"])
    whole = client.get(f"/online/posts/{item['id']}").json()
    assert whole["text"] == long and not whole["text_cut"]
    monkeypatch.setattr(online_api, "MAX_OFFSET", 10)
    deep = client.get("/online/posts", params={"page": 3, "page_size": 10})
    assert deep.status_code == 422 and deep.json()["field"] == "page"
    assert client.get("/online/posts", params={"page": 2, "page_size": 10}).status_code == 200
