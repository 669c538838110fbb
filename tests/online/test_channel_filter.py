"""The queue's channel filter takes a channel as an officer types it (any case, part of
the name, with or without "@") and offers the agency's channels, never another's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from opennrm.audit.models import AuditEntry
from opennrm.core.errors import ValidationFailed
from opennrm.online.selectors import alert_queue, channels_matching, queue_channels
from opennrm.online.services import online_import
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

MINE = {
    "Robota_PL": 3,
    "robota_ua": 2,
    "Praca Wrocław": 1,
    "Робота Київ": 1,
}


def _import(user, tmp_path: Path, channels: dict[str, int], name: str) -> None:
    rows = [
        {"text": f"Робота в Польщі {channel} {i}, житло безкоштовно", "channel": channel}
        for channel, n in channels.items()
        for i in range(n)
    ] + [{"text": "Оголошення без каналу, робота на складі"}]
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    online_import(actor=user, path=path, source_name=name)


@pytest.fixture
def posts(world, tmp_path):
    _import(world.officer, tmp_path, MINE, "mine.jsonl")
    _import(world.border_guard, tmp_path, {"Robota_PL": 1, "Secret_Border_Chat": 4}, "b.jsonl")


def _channels_of(actor, typed: str) -> set[str]:
    return {p.channel for p in alert_queue(actor, status="", category="", channel=typed)}


@pytest.mark.usefixtures("posts")
@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Robota_PL", {"Robota_PL"}),
        ("robota_pl", {"Robota_PL"}),  # the name whatever its case
        ("@ROBOTA_PL", {"Robota_PL"}),
        ("Ｒｏｂｏｔａ_ＰＬ", {"Robota_PL"}),  # full-width letters (NFKC)
        ("robota", {"Robota_PL", "robota_ua"}),  # part of names
        ("wrocław", {"Praca Wrocław"}),
        ("київ", {"Робота Київ"}),
        ("Secret", set()),  # another agency's channel is not matched
        ("nothing like it", set()),
    ],
)
def test_a_channel_is_found_as_it_is_typed(world, typed, found):
    assert _channels_of(world.officer, typed) == found


@pytest.mark.usefixtures("posts")
def test_each_agency_is_offered_only_its_own_channels_most_posts_first(world):
    assert queue_channels(world.officer) == [
        ("Robota_PL", 3),
        ("robota_ua", 2),
        ("Praca Wrocław", 1),
        ("Робота Київ", 1),
    ]
    assert queue_channels(world.border_guard) == [("Secret_Border_Chat", 4), ("Robota_PL", 1)]
    assert channels_matching(world.border_guard, "robota") == ["Robota_PL"]
    assert _channels_of(world.border_guard, "robota") == {"Robota_PL"}


@pytest.mark.usefixtures("posts")
def test_the_queue_page_offers_the_channels_and_records_that_it_did(world):
    client = verified_client(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    page = client.get("/online/", {"channel": "robota", "status": "", "category": ""})
    html = page.content.decode()
    offered = re.findall(r'<option value="([^"]+)">', html.split('id="channel-names"')[1])
    assert offered[:4] == ["Robota_PL", "robota_ua", "Praca Wrocław", "Робота Київ"]
    assert "Secret_Border_Chat" not in html
    assert 'list="channel-names"' in html and "Достатньо частини назви каналу." in html
    assert html.count('<article class="card alert"') == 5  # Robota_PL 3 + robota_ua 2
    entry = AuditEntry.objects.filter(action="online.queue_view").latest("id")
    assert entry.detail["channels"] == 4 and len(entry.detail["posts"]) == 5


def test_a_part_that_stands_for_too_many_channels_asks_for_more(world, tmp_path, monkeypatch):
    from opennrm.online import selectors

    _import(world.officer, tmp_path, MINE, "mine.jsonl")
    monkeypatch.setattr(selectors, "CHANNELS_MATCHED_MAX", 1)
    with pytest.raises(ValidationFailed) as caught:
        alert_queue(world.officer, status="", category="", channel="robota")
    assert caught.value.field == "channel"
    assert _channels_of(world.officer, "robota_pl") == {"Robota_PL"}  # one is fine
    client = verified_client(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    page = client.get("/online/", {"channel": "robota", "status": "", "category": ""})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Каналів, у назві яких є «robota»: 2. Введіть довшу частину назви." in html
    assert 'value="robota"' in html  # what was typed stays, to be made longer
    assert '<article class="card alert"' not in html
