"""Online pages in the reader's language: reasons, and numbers that stay numbers."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from opennrm.online.models import MonitoredPost, PostGroup
from opennrm.online.reasons import describe_reason
from opennrm.online.services import online_import
from tests.conftest import verified_client
from tests.online.posts import write_jsonl

pytestmark = pytest.mark.django_db


def _client(user, language: str):
    client = verified_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_reasons_are_shown_in_the_interface_language(world, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"text": "Паспорт оставите нам, долг за дорогу отработаете. Девушки 18-25", '
        '"channel": "c"}\n',
        encoding="utf-8",
    )
    online_import(actor=world.officer, path=path, source_name="p.jsonl")
    post = MonitoredPost.objects.get()
    assert post.reasons[0]["evidence"]  # the evidence is stored apart from the sentence
    uk = _client(world.officer, "uk").get(f"/online/posts/{post.pk}/").content.decode()
    ru = _client(world.officer, "ru").get("/online/").content.decode()
    en = _client(world.officer, "en").get("/online/").content.decode()
    assert "Документи забирає роботодавець" in uk and "Indicator:" not in uk
    assert "Identity documents kept by the employer" not in uk
    assert "Документы забирает работодатель" in ru
    assert "Identity documents kept by the employer" in en


def test_old_reasons_without_evidence_are_still_described():
    old = {"kind": "flag", "id": "fees.advance", "text": 'flag: Advance fee demanded ("залог")'}
    assert describe_reason(old, "en").endswith("(“залог”)")
    gone = {"kind": "flag", "id": "no.such.flag", "text": "flag: something"}
    assert describe_reason(gone, "uk") == "flag: something"


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_network_graph_numbers_are_locale_independent(world, tmp_path, language):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    group = PostGroup.objects.filter(kind="network").first()
    assert group is not None
    html = _client(world.officer, language).get(f"/online/groups/{group.pk}/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    coords = re.findall(r'\b(?:x|y|x1|y1|x2|y2|cx|cy)="([^"]*)"', svg)
    assert coords
    assert all(re.fullmatch(r"-?\d+(?:\.\d+)?", c) for c in coords), coords[:5]


def test_skipped_records_are_explained_in_the_reader_language(world, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"text": "Робота в Польщі", "channel": "c"}\n{broken\n{"message": 5}\n'
        '{"text": "Дата зіпсована", "date": "31.02.2024"}\n',
        encoding="utf-8",
    )
    run = online_import(actor=world.officer, path=path, source_name="p.jsonl")
    url = f"/online/imports/{run.pk}/"
    uk = _client(world.officer, "uk").get(url).content.decode()
    assert "Недійсний JSON (на символі 2); пропущено." in uk
    assert "Текстове поле message не є текстом; пропущено." in uk
    assert "Нечитабельна дата «31.02.2024»; допис збережено з невідомою датою." in uk
    assert "invalid JSON" not in uk and "is not a string" not in uk and "; skipped" not in uk
    ru = _client(world.officer, "ru").get(url).content.decode()
    assert "Недопустимый JSON (на символе 2); пропущено." in ru
    en = _client(world.officer, "en").get(url).content.decode()
    assert "Not valid JSON (at character 2); skipped." in en


def test_problems_stored_before_codes_are_shown_as_written(world):
    from opennrm.online.models import ImportRun

    run = ImportRun.objects.create(
        agency=world.police, imported_by=world.officer, source_name="old.csv", state="done",
        problems=[{"where": "old.csv:3", "why": "3 fields, header has 2"}],
    )  # fmt: skip
    uk = _client(world.officer, "uk").get(f"/online/imports/{run.pk}/").content.decode()
    assert "3 fields, header has 2" in uk
