"""Post ids keyed per agency and channels encrypted (h22): a copy of the database can
neither confirm a guessed post nor tell that two agencies stored the same one, nor read a
channel's name; the application still finds duplicates, grows campaigns, filters and
counts by channel, across a key rotation and across the migration of stored rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from opennrm.crypto.fields import data_cipher
from opennrm.crypto.keys import DataCipher, generate_key
from opennrm.crypto.services import keys_rotate
from opennrm.monitoring import CampaignIndex, IngestReport, PipelineConfig, iter_posts
from opennrm.online import selectors
from opennrm.online.campaigns import IndexHolder
from opennrm.online.models import (
    AgencyPostKey,
    MonitoredPost,
    PostGroup,
    channel_index,
    post_keyer,
)
from opennrm.online.services import online_import
from tests.conftest import verified_client
from tests.online.posts import stored_contact
from tests.online.test_at_rest import PHONE, _ads, _dump, _import


def _library_ids(path: Path) -> list[str]:
    """The ids the monitoring library gives the file's posts (unkeyed content hashes)."""
    return [p.id for p in iter_posts(path, "auto", report=IngestReport())]


def _ids(agency) -> set[str]:
    return set(MonitoredPost.objects.filter(agency=agency).values_list("post_id", flat=True))


def _chat(tmp_path: Path, name: str = "Оксана Гнатюк") -> Path:
    export = {
        "name": name,
        "type": "personal_chat",
        "id": 4242,
        "messages": [
            {
                "id": i,
                "type": "message",
                "date": f"2024-05-0{1 + i}T10:00:00",
                "from": name,
                "text": f"Робота у Дубаї {i}, 5000$, паспорт оставите нам, пишіть {PHONE}",
            }
            for i in range(3)
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_stored_ids_are_not_the_content_hash_anyone_can_compute(world, tmp_path):
    _import(world.officer, tmp_path, "a")
    raw = _library_ids(_ads(tmp_path, "a"))
    stored = _ids(world.police)
    assert len(stored) == 3 and not stored & set(raw)
    assert stored == set(post_keyer(world.police.pk).keyed(raw))
    # the agency's secret is stored encrypted, made once
    assert AgencyPostKey.objects.filter(agency=world.police).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM online_agencypostkey")
        (token,) = cursor.fetchone()
    assert token.startswith("gAAAAA")
    # a campaign's key is one of its (keyed) post ids
    campaign = PostGroup.objects.get(agency=world.police, kind="campaign")
    assert campaign.key == min(stored)
    run = _import(world.officer, tmp_path, "a")  # the same file again: all duplicates
    assert (run.stored, run.duplicates) == (0, 3)


@pytest.mark.django_db
def test_a_key_rotation_re_encrypts_the_post_secret_and_keeps_ids_and_channels(
    world, tmp_path, settings
):
    old, new = generate_key(), generate_key()
    settings.OPENNRM_DATA_KEYS = [old]
    _import(world.officer, tmp_path, "a")
    ids = _ids(world.police)
    indexes = set(
        MonitoredPost.objects.filter(agency=world.police).values_list("channel_index", flat=True)
    )
    settings.OPENNRM_DATA_KEYS = [new, old]
    report = keys_rotate(actor=None, batch_size=2)
    assert report.tables["online.AgencyPostKey"].changed == 1
    assert report.tables["online.MonitoredPost (blind index)"].changed == 3
    settings.OPENNRM_DATA_KEYS = [new]  # the old key gone
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM online_agencypostkey")
        tokens = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT channel, channels FROM online_monitoredpost, online_postgroup")
        tokens += [v for row in cursor.fetchall() for v in row]
    assert tokens and all(DataCipher([new]).is_current(t) for t in tokens)
    assert _ids(world.police) == ids  # the secret is the same: so are the ids
    after = set(
        MonitoredPost.objects.filter(agency=world.police).values_list("channel_index", flat=True)
    )
    assert after != indexes and after == {channel_index(world.police.pk, "jobs-abroad")}
    queue = selectors.alert_queue(world.officer, status="", category="", channel="jobs-abroad")
    assert queue.count() == 3
    run = _import(world.officer, tmp_path, "a")
    assert (run.stored, run.duplicates) == (0, 3)
    assert PostGroup.objects.get(agency=world.police, kind="campaign").size == 3


@pytest.mark.django_db
def test_channels_are_filtered_and_counted_though_encrypted(world, tmp_path):
    online_import(
        actor=world.officer, path=_chat(tmp_path), source_name="result.json", fmt="telegram"
    )
    _import(world.officer, tmp_path, "a")
    _import(world.border_guard, tmp_path, "b")
    name = "Оксана Гнатюк"
    assert name not in _dump()
    mine = selectors.alert_queue(world.officer, status="", category="", channel=name)
    assert sorted(p.channel for p in mine) == [name] * 3
    assert not selectors.alert_queue(world.border_guard, status="", category="", channel=name)
    phone = stored_contact(world.police, "phone", PHONE)
    assert selectors.contact_channels(phone) == [("jobs-abroad", 3), (name, 3)]
    html = verified_client(world.officer).get(f"/online/contacts/{phone.pk}/").content.decode()
    assert name in html and "jobs-abroad" in html
    network = PostGroup.objects.get(agency=world.police, kind="network")
    assert sorted(map(tuple, network.channels)) == [("jobs-abroad", 3), (name, 3)]
    html = verified_client(world.officer).get(f"/online/groups/{network.pk}/").content.decode()
    assert name in html
    # the same channel name in two agencies has two indexes
    theirs = MonitoredPost.objects.filter(agency=world.border_guard.agency).first()
    ours = {p.channel_index for p in MonitoredPost.objects.filter(agency=world.police)}
    assert theirs.channel == "jobs-abroad" and theirs.channel_index not in ours


def _index_ids(agency) -> list[str]:
    """The post ids inside the agency's stored campaign index (read as the import does)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT blob FROM online_campaignchunk WHERE agency_id = %s ORDER BY seq", [agency.pk]
        )
        blobs = [data_cipher().decrypt_bytes(bytes(row[0])) for row in cursor.fetchall()]
    index = CampaignIndex.from_chunks(blobs, template_chars=0)
    return sorted(index._keys)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keys_stored_ids_and_channels_and_going_back_restores_them(world, tmp_path):
    _import(world.officer, tmp_path, "a")
    _import(world.border_guard, tmp_path, "a")
    raw = sorted(_library_ids(_ads(tmp_path, "a")))
    try:
        call_command("migrate", "online", "0011", verbosity=0)  # before keyed ids
        # what the code before stored: the library's ids, in the posts, keys and index
        for agency in (world.police, world.border_guard.agency):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT post_id, channel FROM online_monitoredpost WHERE agency_id = %s",
                    [agency.pk],
                )
                rows = cursor.fetchall()
                cursor.execute(
                    "SELECT kind, key FROM online_postgroup WHERE agency_id = %s", [agency.pk]
                )
                keys = dict(cursor.fetchall())
            assert sorted(r[0] for r in rows) == raw and {r[1] for r in rows} == {"jobs-abroad"}
            assert keys == {"campaign": raw[0], "network": raw[0]}
            assert _index_ids(agency) == raw
        with connection.cursor() as cursor:  # a personal chat stored in clear before
            cursor.execute(
                "UPDATE online_monitoredpost SET channel = %s WHERE agency_id = %s",
                ["Оксана Гнатюк", world.police.pk],
            )

        call_command("migrate", verbosity=0)
        assert "Оксана Гнатюк" not in _dump() and "jobs-abroad" not in _dump()
        mine, theirs = _ids(world.police), _ids(world.border_guard.agency)
        assert mine == set(post_keyer(world.police.pk).keyed(raw))
        assert not mine & theirs and not mine & set(raw) and not theirs & set(raw)
        for agency, ids in ((world.police, mine), (world.border_guard.agency, theirs)):
            assert _index_ids(agency) == sorted(ids)
            index = IndexHolder(agency.pk, PipelineConfig()).sync()
            for kind in ("campaign", "network"):
                group = PostGroup.objects.get(agency=agency, kind=kind)
                assert group.key == min(ids)
                ids_of = index.campaign_ids() if kind == "campaign" else index.network_ids()
                assert ids_of == [group.key]
        queue = selectors.alert_queue(
            world.officer, status="", category="", channel="Оксана Гнатюк"
        )
        assert queue.count() == 3
        run = _import(world.officer, tmp_path, "a")  # found again: duplicates, not new posts
        assert (run.stored, run.duplicates) == (0, 3)
        _import(world.officer, tmp_path, "b", n=1)  # joins the migrated campaign
        campaign = PostGroup.objects.get(agency=world.police, kind="campaign")
        assert campaign.size == 4 and PostGroup.objects.filter(agency=world.police).count() == 2
    finally:
        call_command("migrate", verbosity=0)
