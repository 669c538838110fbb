"""Online monitoring of high-risk locations: ingest, normalise, extract, score, export.

A pure library: no Django, plain functions and small frozen dataclasses, picklable so it
runs in a notebook or on a Dask worker. Heavy optional parts (language detection, STIX,
WARC) import their third-party libraries lazily.
"""

from opennrm.monitoring._post import Post, post_id
from opennrm.monitoring.extract import AgeRange, Extraction, Money, Place, extract
from opennrm.monitoring.ingest import (
    IngestError,
    IngestReport,
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
from opennrm.monitoring.stix import to_stix_bundle

__all__ = [
    "AgeRange",
    "Extraction",
    "IngestError",
    "IngestReport",
    "Money",
    "ObfuscationStats",
    "Place",
    "Post",
    "append_checkpoint",
    "count_mixed_script_tokens",
    "detect_format",
    "detect_language",
    "extract",
    "iter_posts",
    "load_checkpoint",
    "normalize",
    "obfuscation_score",
    "obfuscation_stats",
    "post_id",
    "to_stix_bundle",
]
