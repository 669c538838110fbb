"""The single-process pipeline: scores, campaigns, networks, statistics."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from opennrm.monitoring._model import ModelConfig, RiskModel
from opennrm.monitoring._post import Post
from opennrm.monitoring.pipeline import PipelineConfig, PipelineResult, run_pipeline
from opennrm.monitoring.scoring import score_texts, train_risk_model

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def synthetic_posts(
    n_campaigns: int = 4, copies: int = 5, noise: int = 20, seed: int = 0
) -> list[Post]:
    rng = random.Random(seed)
    templates = [
        "Робота в Польщі для дівчат 18-25, житло безкоштовне, зарплата {n} євро. Пишіть @agent{c}",
        "Работа в Германии, жильё предоставляется, оплата {n} евро. Звоните +48 601 23{c} 5{n2}",
        "Praca za granicą bez doświadczenia, zarobki {n} zł, zakwaterowanie zapewnione, pisz {c}",
        "Lucru în străinătate, cazare gratuită, salariu {n} lei, scrie pe whatsapp {c}",
        "Easy money from home, earn {n} USD per day, no experience, DM me on telegram {c}",
    ]
    words = ["дякую", "знає", "хтось", "де", "вокзал", "сьогодні"]
    words += ["метро", "квартира", "школа", "лікар", "допомога"]
    posts: list[Post] = []
    for c in range(n_campaigns):
        for k in range(copies):
            text = templates[c % len(templates)].format(
                n=rng.randint(500, 3000), c=c, n2=rng.randint(10, 99)
            )
            posts.append(
                Post.create(
                    "test",
                    text,
                    channel=f"chan{k % 2}",
                    posted_at=T0 + timedelta(hours=c * 10 + k),
                    record=f"c{c}-{k}",
                )
            )
    for i in range(noise):
        text = " ".join(rng.sample(words, 6)) + f" {i}?"
        posts.append(Post.create("test", text, channel="chat", record=f"noise-{i}"))
    rng.shuffle(posts)
    return posts


POSTS = synthetic_posts()


def by_record(result: PipelineResult) -> dict[str, tuple[str, str | None]]:
    return {
        p.record or "": (cid, nid)
        for p, cid, nid in zip(result.posts, result.cluster_ids, result.network_ids, strict=True)
    }


def test_campaigns_networks_and_statistics() -> None:
    result = run_pipeline(POSTS, config=PipelineConfig(batch_size=7))
    assert [p.post_id for p in result.posts] == [p.id for p in POSTS]  # input order
    assert sorted(g.size for g in result.campaigns) == [5, 5, 5, 5]
    assignment = by_record(result)
    for c in range(4):
        assert len({assignment[f"c{c}-{k}"][0] for k in range(5)}) == 1
    assert all(assignment[f"noise-{i}"][0] != assignment["c0-0"][0] for i in range(20))
    campaign = next(g for g in result.campaigns if g.id == assignment["c0-0"][0])
    assert campaign.first_seen == T0 and campaign.last_seen == T0 + timedelta(hours=4)
    assert dict(campaign.channels) == {"chan0": 3, "chan1": 2}
    assert dict(campaign.languages) == {"uk": 5}
    assert campaign.template == (
        "робота в польщі для дівчат 18-25, житло безкоштовне, зарплата {…} євро. пишіть {HANDLE}"
    )
    assert campaign.flagged == 5 and campaign.max_risk >= campaign.mean_risk > 0.5
    # the Telegram handle @agent0 links the first campaign into a network
    network = next(g for g in result.networks if campaign.id in g.linked)
    assert network.size == 5 and "telegram:@agent0" in network.contacts
    assert result.flags_version


def test_results_do_not_depend_on_batch_size_or_order() -> None:
    a = run_pipeline(POSTS, config=PipelineConfig(batch_size=1000))
    b = run_pipeline(POSTS, config=PipelineConfig(batch_size=3))
    assert a == b
    shuffled = list(reversed(POSTS))
    c = run_pipeline(shuffled, config=PipelineConfig(batch_size=11))
    assert by_record(c) == by_record(a)
    assert {g.id: g.template for g in c.campaigns} == {g.id: g.template for g in a.campaigns}


@pytest.fixture(scope="module")
def model() -> RiskModel:
    texts = [p.text for p in synthetic_posts(seed=5)]
    labels = [0 if "?" in t else 1 for t in texts]
    return train_risk_model(
        texts, labels, config=ModelConfig(cv_folds=3, min_df=1, hash_bits=16)
    ).model


def test_scores_match_the_scoring_module(model: RiskModel) -> None:
    result = run_pipeline(POSTS, model=model, config=PipelineConfig(batch_size=8))
    expected = score_texts([p.text for p in POSTS], model=model)
    assert [p.risk for p in result.posts] == [s.risk for s in expected]
    assert [p.reasons for p in result.posts] == [s.reasons for s in expected]
    assert all(p.model_score is not None for p in result.posts)


def test_progress_and_empty_input() -> None:
    seen: list[int] = []
    run_pipeline(POSTS, config=PipelineConfig(batch_size=16), progress=seen.append)
    assert seen == [16, 16, 8]
    empty = run_pipeline([], config=PipelineConfig())
    assert empty.posts == () and empty.campaigns == () and empty.networks == ()


def test_stages_can_be_switched_off() -> None:
    result = run_pipeline(POSTS[:5], config=PipelineConfig(extract=False, detect_language=False))
    assert all(p.contacts == () and p.language is None for p in result.posts)
    assert result.networks == ()
