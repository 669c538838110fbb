"""The same pipeline on a Dask cluster, with results identical to :func:`run_pipeline`.

Design: the per-post stage (:func:`~opennrm.monitoring.pipeline.process_batch`:
normalise, extract, language, score, MinHash signature) is mapped over partitions on the
workers; the cheap central stage (:func:`~opennrm.monitoring.pipeline.assemble`: LSH,
connected components, networks, summaries) runs on the client over the gathered batch
results, in input order. Per-post results do not depend on the batching, and the central
stage is order-independent and seeded, so scores and cluster assignments equal those of
the single-process run exactly.

The cluster is a :class:`distributed.LocalCluster` by default (``n_workers`` processes,
one thread each), or an existing scheduler given by address. Input is either an iterable
of posts (sent to the workers in batches, with a bounded number in flight so client memory
stays bounded) or ``partitions``: picklable zero-argument callables, each returning the
posts of one partition, called *on the workers* (e.g. reading one file each).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from typing import Any

from opennrm.monitoring._model import RiskModel
from opennrm.monitoring._post import Post
from opennrm.monitoring.index import CampaignIndex
from opennrm.monitoring.pipeline import (
    BatchResult,
    PipelineConfig,
    PipelineResult,
    assemble,
    batched,
    process_batch,
)


def process_partition(
    load: Callable[[], Iterable[Post]], *, model: RiskModel | None, config: PipelineConfig
) -> list[BatchResult]:
    """Load one partition on a worker and run the per-post stage over it in batches."""
    return [
        process_batch(batch, model=model, config=config)
        for batch in batched(load(), config.batch_size)
    ]


def run_pipeline_dask(
    posts: Iterable[Post] | None = None,
    *,
    partitions: Sequence[Callable[[], Iterable[Post]]] | None = None,
    model: RiskModel | None = None,
    config: PipelineConfig = PipelineConfig(),  # noqa: B008 - frozen dataclass
    scheduler_address: str | None = None,
    n_workers: int = 2,
    processes: bool = True,
    client: Any = None,
    max_in_flight: int | None = None,
    progress: Callable[[int], None] | None = None,
    index: CampaignIndex | None = None,
) -> PipelineResult:
    """Run the pipeline on Dask (see the module doc); give ``posts`` or ``partitions``.

    With ``index``, the posts are also added to that campaign index on the client, in
    input order, exactly as :func:`~opennrm.monitoring.pipeline.run_pipeline` adds them.
    """
    if (posts is None) == (partitions is None):
        raise ValueError("give exactly one of posts or partitions")
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if client is None:
            if scheduler_address:
                client = stack.enter_context(Client(scheduler_address))  # type: ignore[no-untyped-call]
            else:
                cluster = stack.enter_context(
                    LocalCluster(  # type: ignore[no-untyped-call]
                        n_workers=n_workers,
                        threads_per_worker=1,
                        processes=processes,
                        # a free port: the scheduler's HTTP server starts even without the
                        # dashboard, and a busy 8787 would only produce a warning
                        dashboard_address=":0",
                    )
                )
                client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        model_ref = client.scatter(model, broadcast=True) if model is not None else None
        if partitions is not None:
            futures = [
                client.submit(process_partition, load, model=model_ref, config=config, pure=False)
                for load in partitions
            ]
            batches: list[BatchResult] = []
            for future in futures:
                part = future.result()
                batches.extend(part)
                if progress is not None:
                    progress(sum(len(b.posts) for b in part))
            return assemble(batches, config=config, index=index)
        assert posts is not None  # noqa: S101 - checked above
        limit = max_in_flight or 4 * max(1, len(client.scheduler_info().get("workers", {})) or 1)
        return assemble(
            _ordered(client, posts, model_ref, config, limit, progress), config=config, index=index
        )


def _ordered(
    client: Any,
    posts: Iterable[Post],
    model_ref: Any,
    config: PipelineConfig,
    limit: int,
    progress: Callable[[int], None] | None,
) -> Iterator[BatchResult]:
    """Submit batches with at most ``limit`` in flight; yield results in input order."""
    pending: list[Any] = []
    for batch in batched(posts, config.batch_size):
        pending.append(
            client.submit(process_batch, batch, model=model_ref, config=config, pure=False)
        )
        if len(pending) >= limit:
            yield from _take(pending.pop(0), progress)
    while pending:
        yield from _take(pending.pop(0), progress)


def _take(future: Any, progress: Callable[[int], None] | None) -> Iterator[BatchResult]:
    result: BatchResult = future.result()
    future.release()
    if progress is not None:
        progress(len(result.posts))
    yield result
