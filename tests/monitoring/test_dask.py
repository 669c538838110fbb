"""Dask scale-out gives exactly the single-process results."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opennrm.monitoring._model import ModelConfig, RiskModel
from opennrm.monitoring._post import Post
from opennrm.monitoring.dask import run_pipeline_dask
from opennrm.monitoring.pipeline import PipelineConfig, run_pipeline
from opennrm.monitoring.scoring import train_risk_model

from .test_pipeline import synthetic_posts

POSTS = synthetic_posts(n_campaigns=10, copies=20, noise=100, seed=1)  # 300 posts
CONFIG = PipelineConfig(batch_size=40)


@pytest.fixture(scope="module")
def model() -> RiskModel:
    texts = [p.text for p in synthetic_posts(seed=5)]
    labels = [0 if "?" in t else 1 for t in texts]
    return train_risk_model(
        texts, labels, config=ModelConfig(cv_folds=3, min_df=1, hash_bits=16)
    ).model


@pytest.fixture(scope="module")
def expected(model: RiskModel) -> object:
    return run_pipeline(POSTS, model=model, config=CONFIG)


def test_local_cluster_with_two_processes_matches(model: RiskModel, expected: object) -> None:
    seen: list[int] = []
    result = run_pipeline_dask(
        POSTS, model=model, config=CONFIG, n_workers=2, processes=True, progress=seen.append
    )
    assert result == expected  # same scores, reasons, cluster and network ids, summaries
    assert sum(seen) == len(POSTS)


def _part(start: int, stop: int) -> Iterator[Post]:
    yield from POSTS[start:stop]


class Part:
    """A picklable partition loader (in real use: read one file or one day)."""

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __call__(self) -> Iterator[Post]:
        return _part(self.start, self.stop)


def test_partitions_loaded_on_workers_match(model: RiskModel, expected: object) -> None:
    parts = [Part(0, 130), Part(130, 131), Part(131, 300)]
    result = run_pipeline_dask(
        partitions=parts, model=model, config=CONFIG, n_workers=2, processes=False
    )
    assert result == expected


def test_posts_or_partitions_not_both() -> None:
    with pytest.raises(ValueError):
        run_pipeline_dask(POSTS, partitions=[Part(0, 1)])
    with pytest.raises(ValueError):
        run_pipeline_dask()


def test_existing_scheduler_by_address(model: RiskModel, expected: object) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        result = run_pipeline_dask(
            POSTS, model=model, config=CONFIG, scheduler_address=cluster.scheduler_address
        )
    assert result == expected


def test_dask_adds_to_a_campaign_index_exactly_as_one_process(model: RiskModel) -> None:
    from opennrm.monitoring.index import CampaignIndex

    single, distributed = CampaignIndex(CONFIG.cluster), CampaignIndex(CONFIG.cluster)
    first, second = POSTS[:170], POSTS[170:]
    run_pipeline(first, model=model, config=CONFIG, index=single)
    run_pipeline_dask(first, model=model, config=CONFIG, n_workers=2, index=distributed)
    a = run_pipeline(second, model=model, config=CONFIG, index=single)
    b = run_pipeline_dask(second, model=model, config=CONFIG, n_workers=2, index=distributed)
    assert a == b  # same scores, campaigns, networks and the same IndexUpdate
    assert a.update is not None and a.update.added == len(second)
    assert single.campaign_ids() == distributed.campaign_ids()
    assert [single.template(c) for c in single.campaign_ids()] == [
        distributed.template(c) for c in distributed.campaign_ids()
    ]
