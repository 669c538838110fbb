"""Online monitoring of high-risk locations: ingest, normalise, extract, score, export.

A pure library: no Django, plain functions and small frozen dataclasses, picklable so it
runs in a notebook or on a Dask worker. Heavy optional parts (language detection, STIX,
WARC) import their third-party libraries lazily.
"""

from opennrm.monitoring._flags import FlagHit, FlagSet, flag_score, load_flags
from opennrm.monitoring._model import (
    ModelConfig,
    ModelError,
    RiskModel,
    load_model,
    save_model,
)
from opennrm.monitoring._post import Post, post_id
from opennrm.monitoring.cluster import (
    ClusterConfig,
    build_template,
    campaigns_of,
    cluster_signatures,
    contact_networks,
    minhash_signatures,
    near_duplicate_clusters,
)
from opennrm.monitoring.extract import AgeRange, Extraction, Money, Place, extract
from opennrm.monitoring.index import Assignment, CampaignIndex, IndexUpdate
from opennrm.monitoring.ingest import (
    IngestError,
    IngestReport,
    Problem,
    append_checkpoint,
    detect_format,
    iter_posts,
    load_checkpoint,
)
from opennrm.monitoring.language import detect_language
from opennrm.monitoring.normalize import (
    ObfuscationStats,
    count_mixed_script_tokens,
    normalize,
    obfuscation_score,
    obfuscation_stats,
)
from opennrm.monitoring.pipeline import (
    BatchResult,
    Group,
    PipelineConfig,
    PipelineResult,
    PostResult,
    assemble,
    batched,
    process_batch,
    run_pipeline,
)
from opennrm.monitoring.scoring import (
    Reason,
    Score,
    TrainReport,
    combine,
    score_texts,
    train_risk_model,
)
from opennrm.monitoring.stix import bundle_json, to_stix_bundle

__all__ = [
    "AgeRange",
    "Assignment",
    "BatchResult",
    "CampaignIndex",
    "ClusterConfig",
    "Extraction",
    "FlagHit",
    "FlagSet",
    "Group",
    "IndexUpdate",
    "IngestError",
    "IngestReport",
    "ModelConfig",
    "ModelError",
    "Money",
    "ObfuscationStats",
    "PipelineConfig",
    "PipelineResult",
    "Place",
    "Post",
    "PostResult",
    "Problem",
    "Reason",
    "RiskModel",
    "Score",
    "TrainReport",
    "append_checkpoint",
    "assemble",
    "batched",
    "build_template",
    "bundle_json",
    "campaigns_of",
    "cluster_signatures",
    "combine",
    "contact_networks",
    "count_mixed_script_tokens",
    "detect_format",
    "detect_language",
    "extract",
    "flag_score",
    "iter_posts",
    "load_checkpoint",
    "load_flags",
    "load_model",
    "minhash_signatures",
    "near_duplicate_clusters",
    "normalize",
    "obfuscation_score",
    "obfuscation_stats",
    "post_id",
    "process_batch",
    "run_pipeline",
    "save_model",
    "score_texts",
    "to_stix_bundle",
    "train_risk_model",
]
