"""Campaigns that grow across imports and batches (the agency's campaign index)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.models import F

from opennrm.monitoring import CampaignIndex, PipelineConfig
from opennrm.online.campaigns import IndexHolder
from opennrm.online.models import CampaignChunk, CampaignState, MonitoredPost, PostGroup
from opennrm.online.services import online_import
from tests.online.posts import WORDS, post_where, post_with_text

TEMPLATE = "Робота в Польщі на складі, житло безкоштовно, оплата щотижня, оголошення номер {n}"
OTHER = "Продам дитячий велосипед, колеса майже нові, самовивіз з Києва, дзвоніть ввечері {n}"


def _file(tmp_path: Path, name: str, texts: list[str]) -> Path:
    path = tmp_path / name
    lines = [
        json.dumps(
            {"text": t, "channel": name, "date": f"2024-0{1 + i % 9}-0{1 + i % 9}T10:00:00+02:00"},
            ensure_ascii=False,
        )
        for i, t in enumerate(texts)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(actor, path: Path):
    return online_import(actor=actor, path=path, source_name=path.name)


def _stored_index(agency) -> CampaignIndex:
    return IndexHolder(agency.pk, PipelineConfig()).sync()


def _campaigns(agency) -> list[PostGroup]:
    campaigns = list(PostGroup.objects.filter(agency=agency, kind="campaign").order_by("key"))
    for campaign in campaigns:  # statistics grown batch by batch equal a recount
        posts = list(MonitoredPost.objects.filter(campaign=campaign))
        channels = Counter(p.channel for p in posts if p.channel)
        assert campaign.size == len(posts)
        assert campaign.flagged == sum(p.flagged for p in posts)
        assert campaign.max_risk == max(p.risk for p in posts)
        assert campaign.mean_risk == pytest.approx(sum(p.risk for p in posts) / len(posts))
        assert sorted(map(tuple, campaign.channels)) == sorted(channels.items())
        dates = [p.posted_at for p in posts if p.posted_at]
        assert (campaign.first_seen, campaign.last_seen) == (
            (min(dates), max(dates)) if dates else (None, None)
        )
    return campaigns


@pytest.mark.django_db
def test_a_template_posted_in_two_imports_is_one_campaign(world, tmp_path):
    first = _import(
        world.officer, _file(tmp_path, "march.jsonl", [TEMPLATE.format(n=i) for i in (1, 2)])
    )
    second = _import(
        world.officer, _file(tmp_path, "may.jsonl", [TEMPLATE.format(n=i) for i in (3, 4)])
    )
    (campaign,) = _campaigns(world.police)
    assert campaign.across_imports and campaign.size == 4
    posts = MonitoredPost.objects.filter(agency=world.police)
    assert {p.campaign_id for p in posts} == {campaign.pk}
    assert {p.run_id for p in posts} == {first.pk, second.pk}
    assert sorted(dict(campaign.channels)) == ["march.jsonl", "may.jsonl"]
    assert "польщі на складі" in campaign.template
    # one post alone in the second import still joins the campaign
    _import(world.officer, _file(tmp_path, "june.jsonl", [TEMPLATE.format(n=5)]))
    (campaign,) = _campaigns(world.police)
    assert campaign.size == 5


@pytest.mark.django_db
def test_a_campaign_spread_over_batches_is_one(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_BATCH_POSTS = 3
    settings.OPENNRM_IMPORT_WRITE_POSTS = 2
    run = _import(
        world.officer, _file(tmp_path, "p.jsonl", [TEMPLATE.format(n=i) for i in range(10)])
    )
    assert run.batches == 4
    (campaign,) = _campaigns(world.police)
    assert campaign.size == 10
    assert MonitoredPost.objects.filter(campaign=campaign).count() == 10


@pytest.mark.django_db
def test_unrelated_posts_do_not_merge(world, tmp_path):
    _import(world.officer, _file(tmp_path, "a.jsonl", [TEMPLATE.format(n=i) for i in (1, 2)]))
    _import(world.officer, _file(tmp_path, "b.jsonl", [OTHER.format(n=i) for i in (1, 2)]))
    _import(world.officer, _file(tmp_path, "c.jsonl", ["Хто знає хорошого стоматолога у Варшаві?"]))
    campaigns = _campaigns(world.police)
    assert sorted(c.size for c in campaigns) == [2, 2]
    for campaign in campaigns:
        texts = list(MonitoredPost.objects.filter(campaign=campaign).values_list("text", flat=True))
        assert all("Польщі" in t for t in texts) or all("велосипед" in t for t in texts)
    assert post_where(lambda p: "стоматолога" in p.text).campaign_id is None


@pytest.mark.django_db
def test_two_known_campaigns_joined_by_a_later_post_become_one_row(world, tmp_path):
    a, b, bridge = " ".join(WORDS[0:20]), " ".join(WORDS[8:28]), " ".join(WORDS[4:24])
    _import(world.officer, _file(tmp_path, "a.jsonl", [f"{a} a{i}" for i in (1, 2)]))
    _import(world.officer, _file(tmp_path, "b.jsonl", [f"{b} b{i}" for i in (1, 2)]))
    assert sorted(c.size for c in _campaigns(world.police)) == [2, 2]
    _import(world.officer, _file(tmp_path, "m.jsonl", [f"{bridge} m1"]))
    (campaign,) = _campaigns(world.police)
    assert campaign.size == 5
    assert MonitoredPost.objects.filter(campaign=campaign).count() == 5
    state = CampaignState.objects.get(agency=world.police)
    index = _stored_index(world.police)
    assert index.campaign_ids() == [campaign.key] and state.posts == 5


@pytest.mark.django_db
def test_two_agencies_never_share_campaigns(world, tmp_path):
    _import(world.officer, _file(tmp_path, "p.jsonl", [TEMPLATE.format(n=i) for i in (1, 2)]))
    _import(world.border_guard, _file(tmp_path, "q.jsonl", [TEMPLATE.format(n=i) for i in (3, 4)]))
    (police,) = _campaigns(world.police)
    (border,) = _campaigns(world.border)
    assert police.size == border.size == 2
    assert set(MonitoredPost.objects.filter(campaign=police).values_list("agency", flat=True)) == {
        world.police.pk
    }
    states = {s.agency_id: s for s in CampaignState.objects.all()}
    assert set(states) == {world.police.pk, world.border.pk}
    assert all(s.posts == 2 for s in states.values())


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(world, tmp_path):
    path = _file(
        tmp_path, "p.jsonl", [*(TEMPLATE.format(n=i) for i in range(4)), OTHER.format(n=1)]
    )
    _import(world.officer, path)
    before = [(c.key, c.size) for c in _campaigns(world.police)]
    again = _import(world.officer, path)
    assert again.stored == 0 and again.duplicates == 5
    assert [(c.key, c.size) for c in _campaigns(world.police)] == before == [(before[0][0], 4)]
    assert MonitoredPost.objects.count() == 5
    assert CampaignState.objects.get(agency=world.police).posts == 5


@pytest.mark.django_db
def test_posts_stored_without_the_index_join_it_when_imported_again(world, tmp_path, settings):
    path = _file(tmp_path, "p.jsonl", [TEMPLATE.format(n=i) for i in range(3)])
    settings.OPENNRM_CAMPAIGN_INDEX = False  # as before the index existed: per batch
    _import(world.officer, path)
    assert not PostGroup.objects.filter(across_imports=True).exists()
    settings.OPENNRM_CAMPAIGN_INDEX = True
    _import(world.officer, path)  # nothing new to store, but the index learns them
    _import(world.officer, _file(tmp_path, "q.jsonl", [TEMPLATE.format(n=9)]))
    campaign = PostGroup.objects.get(across_imports=True)
    assert campaign.size == 4
    assert MonitoredPost.objects.filter(campaign=campaign).count() == 4


@pytest.mark.django_db
def test_an_import_that_finds_a_newer_index_reloads_it_and_retries(world, tmp_path, monkeypatch):
    """Another import of the agency stores its index between this one's add and write."""
    from opennrm.online import campaigns

    _import(world.officer, _file(tmp_path, "a.jsonl", [TEMPLATE.format(n=i) for i in (1, 2)]))
    real = campaigns.IndexHolder.stage
    moved = []

    def stage_then_someone_else_writes(self, parts, stored):
        staged = real(self, parts, stored)
        if not moved:  # once: as if a concurrent import committed a batch meanwhile
            moved.append(True)
            index = campaigns.IndexHolder(self.agency_id, self.config).sync()
            version = CampaignState.objects.get(agency_id=self.agency_id).version
            CampaignChunk.objects.create(  # an (empty) chunk, as another import's batch
                agency_id=self.agency_id, seq=version + 1, start=len(index), posts=0,
                blob=index.to_bytes(len(index)),
            )  # fmt: skip
            CampaignState.objects.filter(agency_id=self.agency_id).update(version=F("version") + 1)
        return staged

    monkeypatch.setattr(campaigns.IndexHolder, "stage", stage_then_someone_else_writes)
    run = _import(world.officer, _file(tmp_path, "b.jsonl", [TEMPLATE.format(n=i) for i in (3, 4)]))
    assert moved and run.state == "done"
    (campaign,) = _campaigns(world.police)
    assert campaign.size == 4
    assert CampaignState.objects.get(agency=world.police).version == 3  # 1 + the other's + ours


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_agency_at_once_end_in_one_campaign(world, tmp_path, settings):
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a database that several connections share (PostgreSQL run)")
    settings.OPENNRM_IMPORT_BATCH_POSTS = 5  # several batches each, interleaved
    files = [
        _file(tmp_path, f"p{n}.jsonl", [TEMPLATE.format(n=100 * n + i) for i in range(20)])
        for n in range(2)
    ]
    # the audit chain's first entry (see test_imports): one import before the race
    _import(world.officer, _file(tmp_path, "first.jsonl", ["no campaign here"]))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            barrier.wait(timeout=30)
            _import(world.officer, path)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(p,)) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    (campaign,) = _campaigns(world.police)
    assert campaign.size == 40
    state = CampaignState.objects.get(agency=world.police)
    assert state.posts == 41 and len(_stored_index(world.police)) == 41


@pytest.mark.django_db
def test_each_batch_stores_only_its_posts_and_small_chunks_are_merged(world, tmp_path, monkeypatch):
    from opennrm.online import campaigns

    monkeypatch.setattr(campaigns, "MAX_CHUNK_POSTS", 4)
    monkeypatch.setattr(settings, "OPENNRM_IMPORT_BATCH_POSTS", 2)
    texts = [TEMPLATE.format(n=i) for i in range(7)] + [OTHER.format(n=i) for i in range(3)]
    _import(world.officer, _file(tmp_path, "p.jsonl", texts))  # 5 batches of 2
    chunks = list(CampaignChunk.objects.filter(agency=world.police).order_by("seq"))
    # 2 | 2+2 merged | 4, 2 | 4, 2+2 merged | 4, 4, 2: no chunk above the cap of 4
    assert [(c.seq, c.start, c.posts) for c in chunks] == [(2, 0, 4), (4, 4, 4), (5, 8, 2)]
    assert CampaignState.objects.get(agency=world.police).version == 5
    index = _stored_index(world.police)
    assert len(index) == 10
    assert sorted(len(index.members(c)) for c in index.campaign_ids()) == [3, 7]
    assert sorted(c.size for c in _campaigns(world.police)) == [3, 7]


def test_merged_chunks_stay_few_and_never_exceed_the_cap():
    from opennrm.online.campaigns import MAX_CHUNK_POSTS, _merge_tail

    sizes: list[tuple[int, int]] = []
    total = written = biggest = 0
    for batch in [1000] * 400 + [1] * 300 + [7000] * 20:
        start = _merge_tail(sizes, total, batch)
        sizes = [(s, n) for s, n in sizes if s < start]
        sizes.append((start, total + batch - start))
        written += total + batch - start
        biggest = max(biggest, total + batch - start)
        total += batch
        # the chunks cover every post once, in order
        assert [s for s, _ in sizes] == [0, *(s + n for s, n in sizes[:-1])]
        assert sizes[-1][0] + sizes[-1][1] == total
    assert biggest <= MAX_CHUNK_POSTS
    assert len(sizes) <= total // MAX_CHUNK_POSTS + 2 * 17  # whole chunks + a log tail
    assert written <= total * 20  # each post rewritten a logarithmic number of times


def test_an_add_larger_than_the_cap_is_one_chunk_of_its_own():
    from opennrm.online.campaigns import MAX_CHUNK_POSTS, _merge_tail

    assert _merge_tail([(0, 10)], 10, MAX_CHUNK_POSTS + 1) == 10
    assert _merge_tail([(0, 10)], 10, 10) == 0


@pytest.mark.django_db
def test_a_post_alone_in_its_import_joins_when_its_template_comes_back(world, tmp_path):
    _import(world.officer, _file(tmp_path, "a.jsonl", [TEMPLATE.format(n=1), OTHER.format(n=1)]))
    assert not PostGroup.objects.filter(kind="campaign").exists()
    _import(world.officer, _file(tmp_path, "b.jsonl", [TEMPLATE.format(n=2)]))
    (campaign,) = _campaigns(world.police)
    assert campaign.size == 2
    assert post_with_text(TEMPLATE.format(n=1)).campaign_id == campaign.pk
    assert post_with_text(OTHER.format(n=1)).campaign_id is None


@pytest.mark.django_db
def test_a_changed_clustering_configuration_starts_a_new_index(world, tmp_path):
    from opennrm.monitoring import ClusterConfig

    _import(world.officer, _file(tmp_path, "a.jsonl", [TEMPLATE.format(n=i) for i in (1, 2)]))
    holder = IndexHolder(world.police.pk, PipelineConfig(cluster=ClusterConfig(num_perm=32)))
    index = holder.sync()
    assert len(index) == 0 and index.config.num_perm == 32
    assert holder.replace_all  # the next write replaces the old chunks
    from django.db import transaction

    from opennrm.monitoring import Post, process_batch
    from opennrm.online.models import ImportRun

    part = process_batch([Post.create("t", TEMPLATE.format(n=9))], model=None, config=holder.config)
    with transaction.atomic():
        holder.commit(
            holder.stage([part], []), ImportRun.objects.filter(agency=world.police).first()
        )
    chunks = CampaignChunk.objects.filter(agency=world.police)
    assert [(c.start, c.posts) for c in chunks] == [(0, 1)] and not holder.replace_all
