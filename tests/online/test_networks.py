"""Networks (posts that share a contact) grow across imports, like campaigns."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from opennrm.monitoring import ClusterConfig, PipelineConfig
from opennrm.online.models import MonitoredPost, PostGroup
from opennrm.online.services import online_import
from tests.online.posts import post_with_text

PHONE = "+380 67 123 45 67"
OTHER_PHONE = "+380 50 765 43 21"
TEXTS = [
    "Шукаю попутника до Варшави на вихідні, пишіть {c}",
    "Продам коляску майже нову, самовивіз, телефон {c}",
    "Потрібна допомога з перекладом довідки, звертайтесь {c}",
    "Віддам кошеня в добрі руки, дзвоніть {c}",
    "Здам кімнату студентці біля метро, номер {c}",
    "Куплю старі книжки та журнали, контакт {c}",
]


def _import(actor, tmp_path: Path, name: str, texts: list[str]):
    path = tmp_path / name
    lines = [
        json.dumps({"text": t, "channel": name, "date": f"2024-0{1 + i}-10T10:00:00+02:00"})
        for i, t in enumerate(texts)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return online_import(actor=actor, path=path, source_name=name)


def _networks(agency) -> list[PostGroup]:
    groups = list(PostGroup.objects.filter(agency=agency, kind="network").order_by("key"))
    for g in groups:  # the row's statistics equal a recount of its posts
        posts = list(MonitoredPost.objects.filter(network=g))
        assert g.across_imports
        assert g.size == len(posts) >= 2
        assert g.flagged == sum(p.flagged for p in posts)
        assert g.max_risk == pytest.approx(max(p.risk for p in posts))
        assert g.mean_risk == pytest.approx(sum(p.risk for p in posts) / len(posts))
        channels = Counter(p.channel for p in posts if p.channel)
        assert sorted(map(tuple, g.channels)) == sorted(channels.items())
        dates = [p.posted_at for p in posts if p.posted_at]
        assert (g.first_seen, g.last_seen) == (min(dates), max(dates))
    return groups


def _network_of(text: str) -> PostGroup | None:
    return post_with_text(text, MonitoredPost.objects.select_related("network")).network


@pytest.mark.django_db
def test_one_phone_in_three_imports_is_one_network(world, tmp_path):
    texts = [t.format(c=PHONE) for t in TEXTS[:3]]
    for i, text in enumerate(texts):
        _import(world.officer, tmp_path, f"day{i}.jsonl", [text, TEXTS[5].format(c=f"#{i}")])
    (network,) = _networks(world.police)
    assert network.size == 3
    assert network.contacts == ["phone:+380671234567"]
    assert {p.text for p in MonitoredPost.objects.filter(network=network)} == set(texts)
    assert sorted(map(tuple, network.channels)) == [
        ("day0.jsonl", 1),
        ("day1.jsonl", 1),
        ("day2.jsonl", 1),
    ]


@pytest.mark.django_db
def test_two_known_networks_joined_by_a_later_post_become_one_row(world, tmp_path):
    first = [TEXTS[0].format(c=PHONE), TEXTS[1].format(c=PHONE)]
    second = [TEXTS[2].format(c=OTHER_PHONE), TEXTS[3].format(c=OTHER_PHONE)]
    _import(world.officer, tmp_path, "a.jsonl", first)
    _import(world.officer, tmp_path, "b.jsonl", second)
    assert len(_networks(world.police)) == 2
    both = TEXTS[4].format(c=f"{PHONE} або {OTHER_PHONE}")
    _import(world.officer, tmp_path, "c.jsonl", [both])
    (network,) = _networks(world.police)
    assert network.size == 5
    assert network.contacts == ["phone:+380507654321", "phone:+380671234567"]
    assert all(_network_of(t) == network for t in [*first, *second, both])


@pytest.mark.django_db
def test_a_contact_on_too_many_posts_stops_linking_and_its_network_dissolves(
    world, tmp_path, monkeypatch
):
    from opennrm.online import services

    small = PipelineConfig(cluster=ClusterConfig(max_contact_posts=3))
    monkeypatch.setattr(services, "PipelineConfig", lambda: small)
    pair = [
        TEXTS[0].format(c=f"{PHONE}, {OTHER_PHONE}"),
        TEXTS[1].format(c=f"{PHONE}, {OTHER_PHONE}"),
    ]
    single = [TEXTS[2].format(c=PHONE)]
    _import(world.officer, tmp_path, "a.jsonl", [*pair, *single])
    (network,) = _networks(world.police)
    assert network.size == 3
    # a fourth and fifth post with the first phone: it is on more than 3 posts and links none
    _import(
        world.officer, tmp_path, "b.jsonl", [TEXTS[3].format(c=PHONE), TEXTS[4].format(c=PHONE)]
    )
    (network,) = _networks(world.police)
    assert network.size == 2 and network.contacts == ["phone:+380507654321"]
    assert all(_network_of(t) == network for t in pair)
    assert _network_of(single[0]) is None
    assert _network_of(TEXTS[3].format(c=PHONE)) is None


@pytest.mark.django_db
def test_importing_again_changes_no_network_and_agencies_never_share_one(world, tmp_path):
    texts = [t.format(c=PHONE) for t in TEXTS[:2]]
    _import(world.officer, tmp_path, "a.jsonl", texts)
    before = [(g.pk, g.key, g.size) for g in _networks(world.police)]
    _import(world.officer, tmp_path, "a.jsonl", texts)
    assert [(g.pk, g.key, g.size) for g in _networks(world.police)] == before
    _import(world.border_guard, tmp_path, "b.jsonl", [TEXTS[2].format(c=PHONE)])
    assert [(g.pk, g.key, g.size) for g in _networks(world.police)] == before
    assert _networks(world.border) == []


@pytest.mark.django_db
def test_when_networks_join_the_larger_row_stays_and_its_posts_are_not_moved(world, tmp_path):
    big = [t.format(c=PHONE) for t in TEXTS[:3]]
    small = [t.format(c=OTHER_PHONE) for t in TEXTS[3:5]]
    _import(world.officer, tmp_path, "a.jsonl", big)
    _import(world.officer, tmp_path, "b.jsonl", small)
    big_row = _network_of(big[0])
    _import(world.officer, tmp_path, "c.jsonl", [TEXTS[5].format(c=f"{PHONE} {OTHER_PHONE}")])
    (network,) = _networks(world.police)
    assert network.pk == big_row.pk and network.size == 6
    # the row carries the joined network's id (its smallest post id), whichever row stayed
    assert network.key == min(
        MonitoredPost.objects.filter(network=network).values_list("post_id", flat=True)
    )
