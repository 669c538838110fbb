"""What an officer met walking the online pages in Ukrainian and Russian on a phone."""

from __future__ import annotations

import json
import re
from html import unescape as html_unescape

import pytest
from django.conf import settings
from django.http import QueryDict

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Case
from opennrm.online.models import Feedback, MonitoredPost, PostGroup, PostStatus, channel_index
from opennrm.online.services import feedback_rows, online_import
from tests.conftest import verified_client
from tests.online.posts import stored_contact, write_jsonl

pytestmark = pytest.mark.django_db

RISKY = (
    '{"text": "Паспорт оставите нам, долг за дорогу отработаете. Девушки 18-25, '
    'пишите @demo_rabota_pl", "channel": "c"}\n'
)


def _client(user, language: str):
    client = verified_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _risky_post(world, tmp_path) -> MonitoredPost:
    path = tmp_path / "p.jsonl"
    path.write_text(RISKY, encoding="utf-8")
    online_import(actor=world.officer, path=path, source_name="p.jsonl")
    return MonitoredPost.objects.get()


@pytest.mark.parametrize(
    ("language", "words"),
    [("uk", "Документи забирає роботодавець"), ("ru", "Документы забирает работодатель")],
)
def test_a_case_opened_from_a_post_states_its_reasons_in_the_officers_language(
    world, tmp_path, language, words
):
    post = _risky_post(world, tmp_path)
    response = _client(world.officer, language).post(f"/online/posts/{post.pk}/case/")
    assert response.status_code == 302
    summary = Case.objects.get().summary
    assert words in summary, summary
    assert "flag:" not in summary and "Identity documents" not in summary, summary
    # the risk as the pages write it in that language ("0,85"), not "0.85"
    assert f"{post.risk:.2f}".replace(".", ",") in summary, summary


def test_marking_a_false_positive_twice_gives_one_label_and_one_audit_entry(world, tmp_path):
    post = _risky_post(world, tmp_path)
    client = _client(world.officer, "uk")
    for _ in range(2):  # a double tap on a phone, or the button pressed again later
        marked = client.post(f"/online/posts/{post.pk}/false-positive/", {"confirm": "yes"})
        assert marked.status_code == 302
    assert Feedback.objects.filter(post=post).count() == 1
    assert AuditEntry.objects.filter(action="online.false_positive").count() == 1
    assert list(feedback_rows()) == [{"message": post.text, "label": 0}]
    # the post page no longer offers to mark it again
    html = client.get(f"/online/posts/{post.pk}/").content.decode()
    assert f'action="/online/posts/{post.pk}/false-positive/"' not in html


def test_a_false_positive_later_opened_as_a_case_trains_as_recruitment_only(world, tmp_path):
    post = _risky_post(world, tmp_path)
    client = _client(world.officer, "uk")
    client.post(f"/online/posts/{post.pk}/false-positive/", {"confirm": "yes"})
    client.post(f"/online/posts/{post.pk}/case/")
    post.refresh_from_db()
    assert post.status == PostStatus.LEAD
    # the reviewer changed their mind: the retraining set holds the last word, not both
    assert list(feedback_rows()) == [{"message": post.text, "label": 1}]


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_a_network_page_names_its_contacts_in_words_and_links_them(world, tmp_path, language):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    group = PostGroup.objects.filter(kind="network").first()
    assert group is not None and group.contacts
    html = _client(world.officer, language).get(f"/online/groups/{group.pk}/").content.decode()
    for key in group.contacts:
        kind, _sep, value = key.partition(":")
        contact = stored_contact(world.police, kind, value)
        assert key not in html  # never the stored code "phone:+380…"
        assert f'href="/online/contacts/{contact.pk}/"' in html
        assert str(contact.get_kind_display()) in html


def test_opening_a_campaign_or_network_page_is_audited(world, tmp_path):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    group = PostGroup.objects.filter(kind="network").first()
    assert group is not None
    assert _client(world.officer, "uk").get(f"/online/groups/{group.pk}/").status_code == 200
    entry = AuditEntry.objects.get(action="online.group_view")
    assert (entry.user_id, entry.object_type, entry.object_ref) == (
        world.officer.pk,
        "group",
        str(group.pk),
    )


def test_marking_a_false_positive_returns_to_the_queue_as_the_officer_left_it(world, tmp_path):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    client = _client(world.officer, "uk")
    queue = client.get("/online/", {"category": "", "channel": "test-channel", "status": "new"})
    post = (
        MonitoredPost.objects.filter(
            channel_index=channel_index(world.officer.agency_id, "test-channel")
        )
        .order_by("-risk", "id")
        .first()
    )
    html = queue.content.decode()
    link = re.search(rf'href="(/online/posts/{post.pk}/[^"]*)"', html).group(1)
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    form = re.search(
        rf'<form method="post" action="/online/posts/{post.pk}/false-positive/">(.*?)</form>',
        page.content.decode(),
        re.S,
    ).group(1)
    fields = {k: html_unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    fields.pop("csrfmiddlewaretoken", None)
    # the first tap asks; the confirming form carries the queue's filters on
    asked = client.post(f"/online/posts/{post.pk}/false-positive/", fields)
    assert asked.status_code == 200
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.NEW
    form = re.search(
        rf'<form method="post" action="/online/posts/{post.pk}/false-positive/">(.*?)</form>',
        asked.content.decode(),
        re.S,
    ).group(1)
    fields = {k: html_unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    fields.pop("csrfmiddlewaretoken", None)
    assert fields["confirm"] == "yes"
    response = client.post(f"/online/posts/{post.pk}/false-positive/", fields)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/online/?"), location
    assert QueryDict(location.split("?", 1)[1]).dict() == {
        "category": "",
        "channel": "test-channel",
        "status": "new",
    }


def test_the_way_back_to_the_queue_stays_on_the_queue(world, tmp_path):
    post = _risky_post(world, tmp_path)
    client = _client(world.officer, "uk")
    for back in ("https://evil.example/", "//evil.example/x", "a=1\r\nSet-Cookie: x=1"):
        response = client.post(
            f"/online/posts/{post.pk}/false-positive/", {"back": back, "confirm": "yes"}
        )
        assert response["Location"].startswith("/online/"), response["Location"]
        assert "\n" not in response["Location"] and "//" not in response["Location"]


@pytest.mark.parametrize(
    ("language", "words"),
    [("uk", "Записи без тексту"), ("ru", "Записи без текста"), ("en", "Records without text")],
)
def test_an_import_page_accounts_for_every_record_it_read(world, tmp_path, language, words):
    # a Telegram export: a join message and an empty message are read but hold no post
    export = {
        "name": "Вакансії",
        "type": "public_channel",
        "id": 1,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date": "2026-11-03T12:00:00",
                "from": "X",
                "text": [
                    "Робота в Польщі, 4000 злотих, пишіть ",
                    {"type": "mention", "text": "@x_job"},
                ],
            },
            {
                "id": 2,
                "type": "service",
                "date": "2026-11-03T12:01:00",
                "action": "join_group_by_link",
            },
            {"id": 3, "type": "message", "date": "2026-11-03T12:02:00", "from": "Y", "text": ""},
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    run = online_import(actor=world.officer, path=path, source_name="result.json")
    assert (run.read, run.stored, run.skipped, run.duplicates) == (3, 1, 0, 0)
    html = _client(world.officer, language).get(f"/online/imports/{run.pk}/").content.decode()
    # read 3 = stored 1 + skipped 0 + duplicates 0 + 2 without text: the page says so
    assert words in html
    assert re.search(r'id="import-ignored">\s*2\s*<', html), html


def test_exporting_nothing_says_so_on_the_queue_as_the_analyst_left_it(world, tmp_path):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    client = _client(world.officer, "ru")
    html = client.get("/online/", {"category": "spam", "channel": "test-channel"}).content.decode()
    form = re.search(r'<form id="stix-form"(.*?)</form>', html, re.S).group(1)
    fields = {k: html_unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    fields.pop("csrfmiddlewaretoken", None)
    response = client.post("/online/export/stix/", fields)  # no post ticked
    assert response.status_code == 302
    location = response["Location"]
    assert QueryDict(location.partition("?")[2]).dict() == {
        "category": "spam",
        "channel": "test-channel",
    }, location
    assert "Выберите хотя бы одно объявление" in client.get(location).content.decode()


@pytest.mark.django_db
def test_an_import_form_back_with_an_error_says_to_choose_the_file_again(world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opennrm.online.models import ImportRun, ImportState

    ImportRun.objects.create(
        agency_id=world.officer.agency_id,
        imported_by=world.officer,
        source_name="earlier.jsonl",
        state=ImportState.DONE,
    )
    client = verified_client(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    url = "/online/import/"
    assert "choose-again" not in client.get(url).content.decode()
    upload = SimpleUploadedFile("posts.csv", "text\nРобота\n".encode())
    page = client.post(
        url, {"file": upload, "text_column": "message", "time_zone": "Mars/Olympus"}
    ).content.decode()
    assert "Виберіть файл ще раз" in page
    assert 'value="message"' in page and 'value="Mars/Olympus"' in page  # the rest kept
    settings.OPENNRM_MAX_UPLOAD_BYTES = 1000
    big = SimpleUploadedFile("big.jsonl", b"x" * 5000)
    response = client.post(url, {"file": big, "text_column": "message"})
    assert response.status_code == 413
    page = response.content.decode()
    assert "Виберіть файл ще раз" in page and "earlier.jsonl" in page  # recent imports shown


@pytest.mark.parametrize(
    ("language", "one"),
    [("ru", "Проблема (файл:строка и причина):"), ("uk", "Проблема (файл:рядок і причина):")],
)
def test_one_problem_is_not_the_first_one_of_one(world, tmp_path, language, one):
    path = tmp_path / "p.jsonl"
    path.write_text(RISKY + "{not json\n", encoding="utf-8")
    run = online_import(actor=world.officer, path=path, source_name="p.jsonl")
    assert len(run.problems) == 1
    html = _client(world.officer, language).get(f"/online/imports/{run.pk}/").content.decode()
    assert one in html and "1 пробл" not in html


def test_the_recent_imports_write_times_as_the_queue_does(world):
    from opennrm.online.models import ImportRun

    ImportRun.objects.create(
        agency_id=world.officer.agency_id, imported_by=world.officer, source_name="a.jsonl"
    )
    html = _client(world.officer, "uk").get("/online/import/").content.decode()
    listed = html[html.index('id="import-runs"') :]
    assert re.search(r'<span class="muted">\d{4}-\d{2}-\d{2} \d{2}:\d{2}</span>', listed), listed


@pytest.mark.parametrize(
    ("language", "heading", "each", "first"),
    [
        ("uk", "Проблеми у файлі", "Кожна проблема (файл:рядок і причина):", "Перші"),
        ("ru", "Проблемы в файле", "Каждая проблема (файл:строка и причина):", "Первые"),
    ],
)
def test_the_import_page_lists_every_problem_as_such_not_as_the_first_skipped(
    world, tmp_path, language, heading, each, first
):
    # a row with an unreadable date is kept (without its date), a malformed one skipped:
    # the list said "Skipped records: the first 2 problems" over both, when one post was
    # stored and both problems were all there were
    path = tmp_path / "posts.csv"
    path.write_text(
        "date,text,channel\n"
        "вчора,Робота в Польщі з житлом,c\n"
        '2026-11-28 11:00,"Робота в Естонії","c","зайве поле"\n'
        "2026-11-28 12:00,Праця в Чехії,c\n",
        encoding="utf-8",
    )
    run = online_import(actor=world.officer, path=path, source_name="posts.csv")
    assert (run.read, run.stored, run.skipped, len(run.problems)) == (3, 2, 1, 2)
    page = _client(world.officer, language).get(f"/online/imports/{run.pk}/")
    text = re.sub(r"\s+", " ", html_unescape(page.content.decode()))
    status = text[text.find('id="import-status"') :][:1200]
    assert heading in status and each in status, status
    assert first not in status
    assert "posts.csv:2" in text and "posts.csv:3" in text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("uk", "Модель: «звоните» (+0,30)"),
        ("ru", "Модель: «звоните» (+0,30)"),
        ("en", "Model: “звоните” (+0.30)"),
    ],
)
def test_a_models_weight_has_the_decimal_comma_of_the_page(language, said):
    # the page wrote the risk "0,99" and, beside it, each weight "+0.30"
    from django.utils import translation

    from opennrm.online.reasons import describe_reason

    reason = {"kind": "ngram", "id": "звоните", "weight": 0.3, "evidence": "звоните"}
    with translation.override(language):
        assert describe_reason(reason) == said
        negative = describe_reason(reason | {"weight": -0.25})
    assert negative.endswith("(-0,25)" if language != "en" else "(-0.25)"), negative


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Kyiv", "Europe/Kyiv"),
        ("kiev", "Europe/Kyiv"),  # tzdata's old spelling, said as Ukraine writes it
        ("Київ", "Europe/Kyiv"),
        ("Варшава", "Europe/Warsaw"),
        (" new  york ", "America/New_York"),
        ("Chisinau", "Europe/Chisinau"),
        ("Mars", None),
        ("Europe/Atlantis", None),
        ("", None),
    ],
)
def test_a_city_typed_for_a_time_zone_gets_its_zone_suggested(typed, zone):
    from opennrm.online.services import zone_suggestion

    assert zone_suggestion(typed) == zone


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("uk", "можливо, ви мали на увазі Europe/Kyiv?"),
        ("ru", "возможно, вы имели в виду Europe/Kyiv?"),
        ("en", "did you mean Europe/Kyiv?"),
    ],
)
def test_an_unknown_time_zone_is_said_beside_its_field_with_the_zone_meant(world, language, said):
    """An officer types the city ("Київ"): the form comes back with the reason under the
    time-zone field (not above the form) and the zone to write."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(world.officer, language)
    upload = SimpleUploadedFile("posts.csv", "text\nРобота\n".encode())
    response = client.post("/online/import/", {"file": upload, "time_zone": "Київ"})
    assert response.status_code == 422
    page = html_unescape(response.content.decode())
    field = page[page.index('id="id_time_zone"') :]
    field = field[: field.index("</div>")]
    assert said in field and 'class="error"' in field
    assert said not in page[: page.index("<form")]  # not (also) above the form


def test_counts_are_grouped_as_the_page_language_writes_them(world, tmp_path):
    from opennrm.online.models import ImportRun, ImportState

    run = ImportRun.objects.create(
        agency_id=world.officer.agency_id, imported_by=world.officer, source_name="big.csv",
        state=ImportState.DONE, read=40000, stored=39985, skipped=14, duplicates=1,
    )  # fmt: skip
    page = _client(world.officer, "uk").get(f"/online/imports/{run.pk}/").content.decode()
    assert re.search(r'id="import-read">40(\xa0| |&nbsp;)000<', page), page
    page = _client(world.officer, "en").get(f"/online/imports/{run.pk}/").content.decode()
    assert 'id="import-read">40,000<' in page


def test_the_minimum_risk_filter_says_its_scale(world):
    page = _client(world.officer, "uk").get("/online/").content.decode()
    (tag,) = re.findall(r'<input[^>]*name="min_risk"[^>]*>', page)
    assert 'placeholder="0–1"' in tag and 'step="any"' in tag
