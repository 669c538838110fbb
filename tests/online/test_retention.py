"""Retention of online monitoring: what is past OPENNRM_MONITORING_RETENTION_DAYS is
erased (posts, their mentions and labels, contacts and groups left empty, finished
imports, the posts in the campaign index), evidence is kept."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db.models import F
from django.utils import timezone, translation

from opennrm.audit.models import AuditEntry
from opennrm.casework.audit_labels import ACTION_LABELS, DETAIL_LABELS, OBJECT_LABELS
from opennrm.monitoring import PipelineConfig
from opennrm.online import services
from opennrm.online.campaigns import IndexHolder
from opennrm.online.models import (
    CampaignChunk,
    CampaignState,
    Contact,
    ContactMention,
    Feedback,
    ImportRun,
    MonitoredPost,
    PostGroup,
)
from opennrm.online.services import (
    online_import,
    post_mark_false_positive,
    post_open_case,
    purge_expired,
)
from tests.online.posts import WORDS, post_where, stored_contact

pytestmark = pytest.mark.django_db

TEMPLATE = "Робота в Польщі на складі, житло безкоштовно, оплата щотижня, оголошення номер {n}"
OTHER = "Продам дитячий велосипед, колеса майже нові, самовивіз з Києва, дзвоніть ввечері {n}"
SHARED_PHONE = "+380671234567"
OLD_PHONE = "+380501112233"


def _file(tmp_path: Path, name: str, texts: list[str]) -> Path:
    path = tmp_path / name
    lines = [json.dumps({"text": t, "channel": name}, ensure_ascii=False) for t in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(actor, tmp_path: Path, name: str, texts: list[str], *, days_ago: int = 0):
    path = _file(tmp_path, name, texts)
    run = online_import(actor=actor, path=path, source_name=path.name)
    if days_ago:
        then = timezone.now() - timedelta(days=days_ago)
        ImportRun.objects.filter(pk=run.pk).update(at=then, started_at=then, finished_at=then)
        run.refresh_from_db()
    return run


@pytest.fixture(autouse=True)
def _period(settings):
    settings.OPENNRM_MONITORING_RETENTION_DAYS = 365


def test_old_posts_are_erased_evidence_is_kept_and_contacts_are_counted_again(
    world, tmp_path, settings
):
    settings.OPENNRM_MONITORING_PURGE_BATCH = 2  # several batches
    old = _import(
        world.officer,
        tmp_path,
        "old.jsonl",
        [
            f"Робота в Німеччині, дзвоніть {SHARED_PHONE}",
            f"Робота на заводі, пишіть {OLD_PHONE}",
            f"Склад у Чехії, оплата щодня, {OLD_PHONE}",
            "Продам велосипед, Київ",
            "Шукаю няню на літо",
        ],
        days_ago=400,
    )
    recent = _import(
        world.officer, tmp_path, "new.jsonl", [f"Вакансія у Польщі, телефон {SHARED_PHONE}"]
    )
    police = world.police
    lead = post_where(lambda p: "Німеччині" in p.text)
    case = post_open_case(actor=world.officer, post=lead)
    false_alarm = post_where(lambda p: "велосипед" in p.text)
    post_mark_false_positive(actor=world.officer, post=false_alarm)
    assert Feedback.objects.count() == 2
    shared = stored_contact(police, "phone", SHARED_PHONE)
    assert shared.posts_count == 2
    stored_contact(police, "phone", OLD_PHONE)

    report = purge_expired()

    counts = report.agencies[police.pk]
    assert (counts.posts, counts.kept, counts.feedback) == (4, 1, 1)
    kept = sorted(MonitoredPost.objects.filter(agency=police).values_list("pk", flat=True))
    assert kept == sorted([lead.pk, post_where(lambda p: "Польщі" in p.text).pk])
    assert MonitoredPost.objects.get(pk=lead.pk).case_id == case.pk
    # the lead's label stays (its text stays); the erased post's label went with it
    assert list(Feedback.objects.values_list("post_id", "label")) == [(lead.pk, 1)]
    # a contact only on erased posts is gone; a shared one is counted from what remains
    assert not any(c.value == OLD_PHONE for c in Contact.objects.filter(agency=police))
    assert counts.contacts >= 1
    shared.refresh_from_db()
    assert shared.posts_count == 2 == ContactMention.objects.filter(contact=shared).count()
    assert ContactMention.objects.filter(post__agency=police).count() == 2
    # the old import holds evidence: kept, its problems (quotes of records) cleared
    old.refresh_from_db()
    assert old.problems == [] and counts.imports == 0
    assert ImportRun.objects.filter(pk=recent.pk).exists()
    # one entry, counts only
    (entry,) = AuditEntry.objects.filter(action="online.purge")
    assert entry.user_id is None and entry.object_ref == str(police.pk)
    assert entry.detail["posts"] == 4 and entry.detail["kept"] == 1
    assert entry.detail["days"] == 365
    assert SHARED_PHONE not in json.dumps(entry.detail) and "Робота" not in json.dumps(entry.detail)
    with translation.override("uk"):  # the audit page says it in words
        assert str(ACTION_LABELS[entry.action]) != entry.action
        assert str(OBJECT_LABELS[entry.object_type]) != entry.object_type
        assert all(str(DETAIL_LABELS[key]) != key for key in entry.detail)
    # a second run finds nothing more to do and records nothing
    again = purge_expired()
    assert police.pk not in again.agencies or not again.agencies[police.pk].changed
    assert AuditEntry.objects.filter(action="online.purge").count() == 1


def test_an_import_left_without_posts_is_erased_with_its_problems(world, tmp_path):
    old = _import(world.officer, tmp_path, "old.jsonl", ["Шукаю няню на літо"], days_ago=400)
    ImportRun.objects.filter(pk=old.pk).update(problems=[{"where": "old.jsonl:7", "why": "x"}])
    queued = ImportRun.objects.create(
        agency=world.police, imported_by=world.officer, source_name="waiting.jsonl"
    )
    ImportRun.objects.filter(pk=queued.pk).update(at=timezone.now() - timedelta(days=400))
    report = purge_expired()
    assert report.agencies[world.police.pk].imports == 1
    assert not ImportRun.objects.filter(pk=old.pk).exists()
    assert ImportRun.objects.filter(pk=queued.pk).exists()  # not finished: never touched


def _stored_index(agency):
    return IndexHolder(agency.pk, PipelineConfig()).sync()


def test_the_campaign_index_forgets_erased_posts(world, tmp_path):
    police = world.police
    _import(
        world.officer,
        tmp_path,
        "old.jsonl",
        [TEMPLATE.format(n=1), TEMPLATE.format(n=2), OTHER.format(n=1), OTHER.format(n=2)],
        days_ago=400,
    )
    _import(world.officer, tmp_path, "new.jsonl", [TEMPLATE.format(n=3), TEMPLATE.format(n=4)])
    rows = {g.size: g for g in PostGroup.objects.filter(agency=police, kind="campaign")}
    assert sorted(rows) == [2, 4]
    template_row, other_row = rows[4], rows[2]
    erased_ids = set(
        MonitoredPost.objects.filter(
            run__finished_at__lt=timezone.now() - timedelta(days=300)
        ).values_list("post_id", flat=True)
    )
    assert len(_stored_index(police)) == 6

    report = purge_expired()

    counts = report.agencies[police.pk]
    assert counts.posts == 4 and counts.index_rebuilt and counts.groups >= 1
    kept_ids = sorted(MonitoredPost.objects.filter(agency=police).values_list("post_id", flat=True))
    index = _stored_index(police)
    assert len(index) == 2 and all(k in index for k in kept_ids)
    assert not any(k in index for k in erased_ids)
    state = CampaignState.objects.get(agency=police)
    assert state.posts == 2 and not state.rebuild_needed
    # the chunks hold no erased id, even as bytes
    blobs = b"".join(bytes(c.blob) for c in CampaignChunk.objects.filter(agency=police))
    assert all(k.encode() not in blobs for k in erased_ids)  # stored compressed: no text
    # the template's row stays (same id), under the smallest id it keeps; the other is gone
    (row,) = PostGroup.objects.filter(agency=police, kind="campaign")
    assert row.pk == template_row.pk and row.key == kept_ids[0] == index.campaign_ids()[0]
    assert row.size == 2 and not PostGroup.objects.filter(pk=other_row.pk).exists()
    assert "велосипед" not in row.template
    assert MonitoredPost.objects.filter(campaign=row).count() == 2

    # a post like the erased campaign's is alone; one like the kept campaign's joins it
    _import(world.officer, tmp_path, "later.jsonl", [OTHER.format(n=3), TEMPLATE.format(n=5)])
    assert post_where(lambda p: p.text == OTHER.format(n=3)).campaign_id is None
    assert post_where(lambda p: p.text == TEMPLATE.format(n=5)).campaign_id == row.pk
    row.refresh_from_db()
    assert row.size == 3
    assert PostGroup.objects.filter(agency=police, kind="campaign").count() == 1


def test_a_campaign_split_by_the_erasure_gets_a_row_per_part(world, tmp_path):
    """The bridging post of two campaigns erased: they are two again."""
    police = world.police
    _split_scenario(world, tmp_path)
    (joined,) = PostGroup.objects.filter(agency=police, kind="campaign")
    assert joined.size == 5
    purge_expired()
    rows = list(PostGroup.objects.filter(agency=police, kind="campaign").order_by("key"))
    assert [r.size for r in rows] == [2, 2]
    assert joined.pk in {r.pk for r in rows}  # one part keeps the row
    index = _stored_index(police)
    assert [r.key for r in rows] == index.campaign_ids()
    for r in rows:
        members = sorted(MonitoredPost.objects.filter(campaign=r).values_list("post_id", flat=True))
        assert members == index.members(r.key)
    # counted again by channel name (channels are encrypted: by their blind index)
    assert sorted(tuple(map(tuple, r.channels)) for r in rows) == [
        (("a.jsonl", 2),),
        (("b.jsonl", 2),),
    ]


def _split_scenario(world, tmp_path):
    """Two campaigns bridged by an old post: erasing it splits them (rows change)."""
    w = WORDS
    a, b, bridge = " ".join(w[0:20]), " ".join(w[8:28]), " ".join(w[4:24])
    _import(world.officer, tmp_path, "m.jsonl", [f"{bridge} m1"], days_ago=400)
    _import(world.officer, tmp_path, "a.jsonl", [f"{a} a{i}" for i in (1, 2)])
    _import(world.officer, tmp_path, "b.jsonl", [f"{b} b{i}" for i in (1, 2)])


def test_the_changed_rows_are_counted_after_the_lock_and_a_cut_short_rebuild_is_redone(
    world, tmp_path, monkeypatch
):
    """The rebuild's write lock covers the index and the posts' rows, not the counting of
    the rows that changed (that reads and decrypts their posts); a rebuild stopped while
    counting leaves the agency marked, and the next purge finishes the job."""
    from opennrm.online import campaigns

    police = world.police
    _split_scenario(world, tmp_path)
    real = campaigns.refresh_groups
    calls: list[list[int]] = []

    def failing(pks, **kwargs):
        calls.append(list(pks))
        raise RuntimeError("cut short")

    monkeypatch.setattr(campaigns, "refresh_groups", failing)
    # the purge's own batches count the rows that lost posts before the rebuild
    monkeypatch.setattr(services, "_purge_groups", lambda pks, counts: None)
    report = purge_expired()
    assert report.agencies[police.pk].failed == 1 and len(calls) == 1
    state = CampaignState.objects.get(agency=police)
    # the index was replaced and the posts moved (that committed), the rows not counted
    assert state.rebuild_needed and state.posts == 4

    monkeypatch.setattr(campaigns, "refresh_groups", real)
    purge_expired()  # nothing left to erase: the marked agency is rebuilt and counted
    assert not CampaignState.objects.get(agency=police).rebuild_needed
    rows = list(PostGroup.objects.filter(agency=police, kind="campaign").order_by("key"))
    assert [r.size for r in rows] == [2, 2]
    for r in rows:
        assert MonitoredPost.objects.filter(campaign=r).count() == r.size
        assert "m1" not in r.template


def test_a_rebuild_that_an_import_overtakes_stays_marked(world, tmp_path, monkeypatch):
    """An import commits to the index while the rebuilt rows are counted: the mark
    stays (the next purge rebuilds once more) and the rows are counted from the posts."""
    from opennrm.online import campaigns

    police = world.police
    _split_scenario(world, tmp_path)
    real_refresh, real_counting = campaigns.refresh_groups, campaigns._refresh_rebuilt
    indexes: list[object] = []

    def counting(*args, **kwargs):  # the lock is released: an import commits first
        CampaignState.objects.filter(agency=police).update(version=F("version") + 1)
        return real_counting(*args, **kwargs)

    def refresh(pks, **kwargs):
        if "index" in kwargs:  # the rebuild's counting (the purge's own passes none)
            indexes.append(kwargs["index"])
        return real_refresh(pks, **kwargs)

    monkeypatch.setattr(campaigns, "_refresh_rebuilt", counting)
    monkeypatch.setattr(campaigns, "refresh_groups", refresh)
    purge_expired()
    assert indexes and all(i is None for i in indexes)
    assert CampaignState.objects.get(agency=police).rebuild_needed
    assert [r.size for r in PostGroup.objects.filter(agency=police, kind="campaign")] == [2, 2]


def test_a_dry_run_changes_nothing(world, tmp_path):
    police = world.police
    _import(
        world.officer,
        tmp_path,
        "old.jsonl",
        [TEMPLATE.format(n=1), TEMPLATE.format(n=2), f"Дзвоніть {OLD_PHONE}"],
        days_ago=400,
    )

    def snapshot():
        return (
            sorted(MonitoredPost.objects.values_list("pk", "campaign_id", "network_id")),
            sorted(Contact.objects.values_list("pk", "posts_count")),
            sorted(PostGroup.objects.values_list("pk", "key", "size")),
            sorted(ImportRun.objects.values_list("pk", flat=True)),
            sorted(CampaignChunk.objects.values_list("seq", "posts")),
            list(CampaignState.objects.values_list("version", "posts", "rebuild_needed")),
        )

    before = snapshot()
    report = purge_expired(dry_run=True)
    counts = report.agencies[police.pk]
    assert (counts.posts, counts.contacts, counts.groups, counts.imports) == (3, 1, 1, 1)
    assert snapshot() == before
    assert not AuditEntry.objects.filter(action="online.purge").exists()
    # the real run erases what the dry run counted
    done = purge_expired().agencies[police.pk]
    assert (done.posts, done.contacts, done.imports) == (3, 1, 1)
    assert not MonitoredPost.objects.exists() and not PostGroup.objects.exists()


def test_nothing_recent_is_erased_and_zero_days_turns_it_off(world, tmp_path, settings):
    _import(world.officer, tmp_path, "new.jsonl", [TEMPLATE.format(n=1)], days_ago=300)
    assert purge_expired().agencies == {}
    settings.OPENNRM_MONITORING_RETENTION_DAYS = 0
    _import(world.officer, tmp_path, "old.jsonl", [TEMPLATE.format(n=2)], days_ago=4000)
    report = purge_expired()
    assert report.cutoff is None and MonitoredPost.objects.count() == 2


def test_one_post_that_cannot_be_erased_does_not_stop_the_purge(
    world, tmp_path, settings, monkeypatch
):
    settings.OPENNRM_MONITORING_PURGE_BATCH = 10
    _import(world.officer, tmp_path, "old.jsonl", [OTHER.format(n=i) for i in range(4)],
            days_ago=400)  # fmt: skip
    bad = MonitoredPost.objects.order_by("pk")[1].pk
    real = services._erase_posts

    def erase(agency_id, cutoff, pks):
        if bad in pks:
            raise RuntimeError("damaged row")
        return real(agency_id, cutoff, pks)

    monkeypatch.setattr(services, "_erase_posts", erase)
    report = purge_expired()
    counts = report.agencies[world.police.pk]
    assert counts.posts == 3 and counts.failed == 1
    assert list(MonitoredPost.objects.values_list("pk", flat=True)) == [bad]
    entry = AuditEntry.objects.get(action="online.purge")
    assert entry.detail["failed"] == 1


def test_the_worker_purges_periodically(world, tmp_path, settings, monkeypatch):
    from opennrm.cli import worker

    _import(world.officer, tmp_path, "old.jsonl", [OTHER.format(n=1)], days_ago=400)
    stop = threading.Event()
    calls = []

    def once():
        calls.append(purge_expired())
        stop.set()

    monkeypatch.setattr(worker, "_purge_expired", once)
    worker._purge_every_while(stop, first=0.01)
    assert len(calls) == 1 and calls[0].total("posts") == 1
    settings.OPENNRM_MONITORING_PURGE_HOURS = 0
    stop.clear()
    worker._purge_every_while(stop, first=0.01)  # off: returns at once
    assert len(calls) == 1


def test_the_command_says_what_it_erases_in_ukrainian(world, tmp_path):
    _import(world.officer, tmp_path, "old.jsonl", [OTHER.format(n=1)], days_ago=400)
    env = {"OPENNRM_LANGUAGE": "uk", "LC_ALL": None, "LC_MESSAGES": None}
    dry = CliRunner().invoke(
        __import__("opennrm.cli", fromlist=["main"]).main,
        ["online", "purge", "--dry-run"],
        env=env,
    )
    assert dry.exit_code == 0, dry.output
    assert "365" in dry.output and "Kyiv Police" in dry.output
    assert "Пробний запуск" in dry.output
    assert MonitoredPost.objects.count() == 1
    done = CliRunner().invoke(
        __import__("opennrm.cli", fromlist=["main"]).main, ["online", "purge"], env=env
    )
    assert done.exit_code == 0, done.output
    assert "стерто" in done.output and "публікації 1" in done.output
    assert MonitoredPost.objects.count() == 0


def test_a_post_is_evidence_only_while_its_case_keeps_personal_data(world, tmp_path):
    from opennrm.cases import hooks

    _import(world.officer, tmp_path, "old.jsonl", [OTHER.format(n=1)], days_ago=400)
    post = MonitoredPost.objects.get()
    case = post_open_case(actor=world.officer, post=post)
    assert purge_expired().agencies[world.police.pk].kept == 1
    assert MonitoredPost.objects.filter(pk=post.pk).exists()
    hooks.run_case_anonymised(case)  # as retention, erasure and anonymous reports do
    entry = AuditEntry.objects.get(action="online.case_released")
    assert entry.object_ref == case.reference and entry.detail == {"posts": [post.pk]}
    assert purge_expired().agencies[world.police.pk].posts == 1
    assert not MonitoredPost.objects.exists()


def test_an_import_between_its_add_and_its_write_reloads_the_rebuilt_index(
    world, tmp_path, monkeypatch
):
    """The purge rebuilds the index while an import holds the old one in memory: the
    import's write finds a newer version, reloads and adds its posts to the rebuilt one."""
    from opennrm.online import campaigns

    police = world.police
    _import(world.officer, tmp_path, "old.jsonl", [OTHER.format(n=i) for i in (1, 2)],
            days_ago=400)  # fmt: skip
    _import(world.officer, tmp_path, "new.jsonl", [TEMPLATE.format(n=i) for i in (1, 2)])
    real = campaigns.IndexHolder.stage
    purged = []

    def stage(self, parts, stored):
        staged = real(self, parts, stored)
        if not purged:  # the old index, with the old posts, is in this import's memory
            purged.append(purge_expired())
        return staged

    monkeypatch.setattr(campaigns.IndexHolder, "stage", stage)
    _import(world.officer, tmp_path, "now.jsonl", [TEMPLATE.format(n=3), OTHER.format(n=3)])
    assert purged[0].agencies[police.pk].posts == 2
    index = _stored_index(police)
    stored = sorted(MonitoredPost.objects.filter(agency=police).values_list("post_id", flat=True))
    assert len(stored) == 4 and len(index) == 4 and all(k in index for k in stored)
    (row,) = PostGroup.objects.filter(agency=police, kind="campaign")
    assert row.size == 3 and [row.key] == index.campaign_ids()
    assert post_where(lambda p: p.text == OTHER.format(n=3)).campaign_id is None
    assert not CampaignState.objects.get(agency=police).rebuild_needed


def test_posts_an_import_stores_during_the_rebuild_are_added_under_the_lock(
    world, tmp_path, monkeypatch
):
    from opennrm.monitoring import CampaignIndex

    police = world.police
    _import(world.officer, tmp_path, "old.jsonl", [OTHER.format(n=i) for i in (1, 2)],
            days_ago=400)  # fmt: skip
    _import(world.officer, tmp_path, "new.jsonl", [TEMPLATE.format(n=i) for i in (1, 2)])
    real = CampaignIndex.to_bytes
    during = []

    def to_bytes(self, start=0):
        if not during:  # the rebuild serialises its index: an import commits meanwhile
            during.append(True)
            _import(world.officer, tmp_path, "during.jsonl", [TEMPLATE.format(n=3)])
        return real(self, start)

    monkeypatch.setattr(CampaignIndex, "to_bytes", to_bytes)
    purge_expired()
    assert during
    index = _stored_index(police)
    stored = sorted(MonitoredPost.objects.filter(agency=police).values_list("post_id", flat=True))
    assert len(stored) == 3 and len(index) == 3 and all(k in index for k in stored)
    (row,) = PostGroup.objects.filter(agency=police, kind="campaign")
    assert row.size == 3 == MonitoredPost.objects.filter(campaign=row).count()
    assert not CampaignState.objects.get(agency=police).rebuild_needed
