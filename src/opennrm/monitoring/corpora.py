"""Licensed text corpora that installed packages ship (never downloaded at run time).

``ukrainian_paragraphs`` reads UA-GEC (the ``ua-gec`` package; Syvokon et al., *UA-GEC:
Grammatical Error Correction and Fluency Corpus for the Ukrainian Language*, 2023;
licence CC BY 4.0): essays, letters, blog posts and translations written by about 500
people across Ukraine. The texts are taken as written (the *source* side, mistakes
included, closer to what people post), cut into paragraphs of 20–1,500 characters.
The monitoring model trains on them as **ordinary Ukrainian text**: without them every
training set it has is Russian, and about a third to two thirds of ordinary Ukrainian text
was flagged (bench/README.md).
"""

from __future__ import annotations

import csv
import random
from importlib import resources

UA_GEC_CITATION = (
    "UA-GEC (Syvokon, Nahorna, Kuchmiichuk, Vasylenko; Grammarly), CC BY 4.0, "
    "https://github.com/grammarly/ua-gec"
)


def ukrainian_paragraphs(limit: int | None = None, *, seed: int = 0) -> list[tuple[str, str]]:
    """``(author_id, paragraph)`` pairs of UA-GEC, shuffled with ``seed``; ``[]`` when the
    ``ua-gec`` package is not installed. ``limit`` keeps the first so many."""
    try:
        base = resources.files("ua_gec").joinpath("data")
    except ModuleNotFoundError:
        return []
    with base.joinpath("metadata.csv").open(encoding="utf-8", newline="") as fh:
        author = {row["id"]: row["author_id"] for row in csv.DictReader(fh)}
    out: list[tuple[str, str]] = []
    corpus = base.joinpath("gec-only")
    for split in sorted(p.name for p in corpus.iterdir()):
        source = corpus.joinpath(split, "source")
        for doc in sorted(source.iterdir(), key=lambda p: p.name):
            doc_id = doc.name.split(".")[0]
            for line in doc.read_text(encoding="utf-8").split("\n"):
                text = line.strip()
                if 20 <= len(text) <= 1500:
                    out.append((author.get(doc_id, ""), text))
    random.Random(seed).shuffle(out)  # noqa: S311 - a reproducible sample, not a secret
    return out if limit is None else out[:limit]
