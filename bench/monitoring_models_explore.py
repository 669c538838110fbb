"""Exploratory variants of the risk model (how the second round chose what to ship).

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/monitoring_models_explore.py VARIANT... [P=cv,A,B,C,D]

Each variant is a plain learner on decision values (no Platt, no flags combination unless
its features include flags), trained and measured exactly like
``bench/monitoring_models.py`` measures the shipped model: CV on T with S + J added to
every training fold, and out-of-source protocols with thresholds chosen out-of-fold on the
training rows (2 % of ordinary rows, pooled ``_g`` or per source ``_p``):

* A: train T + J → S (``SFA``, ``Srec``), U (UA-GEC paragraphs), H (hand-written, by category)
* B: train T + S → J, U, H
* C: train T + S + J → U, H
* D: train T + S + J + U1 → U2 (other authors), H

Variants: ``base`` (the sklearn baseline), ``m0`` (hashed char n-grams), ``m8fold``
(+ Ukrainian-only letters folded), ``m1word``/``m9foldword`` (+ hashed word 1–2-grams),
``m2flags``/``m10foldwordflags`` (+ indicator flags as features), ``m4srcw``
(ordinary rows of small sources weighted up), ``m5c3``/``m6c30`` (C = 3 / 30). One JSON
line per variant. Several minutes of CPU per variant.
"""

# An exploratory harness, kept so its figures in bench/README.md can be reproduced: its
# two parts (data, variants) were written as separate scripts, hence the late imports.
# ruff: noqa: E402, E741, SIM115, S106

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import csv
import sys
from pathlib import Path

import numpy as np
from monitoring_contacts import shared_data
from monitoring_models import HANDWRITTEN
from monitoring_models import ukrainian_paragraphs as ukrainian_split

from opennrm.monitoring.corpora import ukrainian_paragraphs
from opennrm.monitoring.normalize import normalize

D = shared_data("telegram-spam-ru", "train.csv").parent.parent


def load(p):
    csv.field_size_limit(2**31 - 1)
    rows = list(csv.DictReader(open(p, encoding="utf-8", newline="")))
    return [r["message"] for r in rows], np.array([int(r["label"]) for r in rows])


def uagec(n=3000, seed=0):
    return [t for _, t in ukrainian_paragraphs(n, seed=seed)]


if True:
    DATA = {}
    for k, p in {
        "T": "telegram-spam-ru/train.csv",
        "S": "ru-chat-stankin/messages.csv",
        "J": "ru-jobs-superjob/vacancies.csv",
    }.items():
        raw, y = load(D / p)
        DATA[k] = (raw, [normalize(t) for t in raw], y)
    u = uagec()
    DATA["U"] = (u, [normalize(t) for t in u], np.zeros(len(u), dtype=int))
import json as _json

_h = [_json.loads(l) for l in open(HANDWRITTEN, encoding="utf-8")]
DATA["H"] = (
    [r["text"] for r in _h],
    [normalize(r["text"]) for r in _h],
    np.array([r["label"] for r in _h]),
)
HCAT = np.array([r["category"] for r in _h])


def uagec_by_author(n=4000, seed=0):
    return ukrainian_split(n, seed)


_ua, _ub = uagec_by_author()
for _k, _v in (("UA", _ua), ("UB", _ub)):
    DATA[_k] = (_v, [normalize(t) for t in _v], np.zeros(len(_v), dtype=int))

# --- variants and protocols
import json
import time

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from opennrm.monitoring._model_features import CharNgramHasher
from opennrm.monitoring.scoring import threshold_for_false_alarms

FLAGSET = None


def flag_matrix(raw, norm):
    global FLAGSET
    from opennrm.monitoring._flags import load_flags

    if FLAGSET is None:
        FLAGSET = load_flags()
    ids = [f.id for f in FLAGSET.flags] if hasattr(FLAGSET, "flags") else sorted(FLAGSET.by_id)
    col = {i: k for k, i in enumerate(ids)}
    rows, cols = [], []
    for r, (a, b) in enumerate(zip(raw, norm, strict=False)):
        for h in FLAGSET.evaluate(a, b):
            rows.append(r)
            cols.append(col[h.flag_id])
    return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(raw), len(ids)))


class Base:
    def fit(self, raw, norm, y, src):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vec = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
        )
        self.clf = LogisticRegression(C=10, solver="liblinear", max_iter=1000).fit(
            self.vec.fit_transform(norm), y
        )
        return self

    def score(self, raw, norm):
        return self.clf.decision_function(self.vec.transform(norm))


UKMAP = str.maketrans({"і": "и", "ї": "и", "є": "е", "ґ": "г"})


class Proj:
    def __init__(
        self, word=False, flags=0.0, c=10.0, weight=None, wordw=1.0, bits=20, nmax=5, nmin=2
    ):
        self.word, self.flags, self.c, self.weight, self.wordw = word, flags, c, weight, wordw
        self.bits, self.nmax, self.nmin = bits, nmax, nmin

    def feats(self, raw, norm, fit=False):
        if getattr(self, "fold", False):
            norm = [t.translate(UKMAP) for t in norm]
        if fit:
            self.ch = CharNgramHasher(
                ngram_min=self.nmin, ngram_max=self.nmax, bits=self.bits, min_df=2
            ).fit(norm)
        parts = [self.ch.transform(norm)]
        if self.word:
            from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

            if fit:
                self.hv = HashingVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    n_features=2**19,
                    alternate_sign=False,
                    norm=None,
                    token_pattern=r"(?u)\b\w+\b",
                )
                self.tt = TfidfTransformer(sublinear_tf=True).fit(self.hv.transform(norm))
            parts.append(self.wordw * self.tt.transform(self.hv.transform(norm)))
        if self.flags:
            parts.append(self.flags * flag_matrix(raw, norm))
        return hstack(parts, format="csr") if len(parts) > 1 else parts[0]

    def fit(self, raw, norm, y, src):
        x = self.feats(raw, norm, fit=True)
        w = None
        if self.weight == "source":
            # every (source, label) cell gets the same total weight as in its share of rows, capped:
            src = np.asarray(src)
            w = np.ones(len(y))
            for s in set(src.tolist()):
                for lab in (0, 1):
                    m = (src == s) & (y == lab)
                    if m.sum():
                        w[m] = max(1.0, 2000.0 / m.sum()) if lab == 0 else 1.0
        self.clf = LogisticRegression(C=self.c, solver="liblinear", max_iter=1000).fit(
            x, y, sample_weight=w
        )
        return self

    def score(self, raw, norm):
        return self.clf.decision_function(self.feats(raw, norm))


def sub(k, idx):
    raw, norm, y = DATA[k]
    return [raw[i] for i in idx], [norm[i] for i in idx], y[idx]


def concat(parts):
    raw, norm, y, src = [], [], [], []
    for k, (r, n, yy) in parts:
        raw += r
        norm += n
        y.append(yy)
        src += [k] * len(r)
    return raw, norm, np.concatenate(y), src


def oof(make, raw, norm, y, src, folds=3):
    out = np.zeros(len(y))
    strat = np.array([f"{s}{l}" for s, l in zip(src, y, strict=False)])
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(norm, strat):
        m = make().fit([raw[i] for i in tr], [norm[i] for i in tr], y[tr], [src[i] for i in tr])
        out[te] = m.score([raw[i] for i in te], [norm[i] for i in te])
    return out


def thresholds(scores, y, src, rate=0.02):
    src = np.asarray(src)
    glob = threshold_for_false_alarms(scores[y == 0], rate)
    per = max(
        threshold_for_false_alarms(scores[(y == 0) & (src == s)], rate)
        for s in set(src.tolist())
        if ((y == 0) & (src == s)).sum() >= 200
    )
    return glob, per


def best_f1(s, y):
    p, r, _t = precision_recall_curve(y, s)
    f = 2 * p * r / np.maximum(p + r, 1e-12)
    return float(f.max())


ALL = {k: np.arange(len(DATA[k][2])) for k in DATA}


def run(name, make, protocols=("cv", "A", "B", "C")):
    res = {"name": name}
    c0 = time.process_time()
    if "cv" in protocols:
        raw, norm, y = DATA["T"]
        out = np.zeros(len(y))
        extra = [("S", sub("S", ALL["S"])), ("J", sub("J", ALL["J"]))]
        for tr, te in StratifiedKFold(3, shuffle=True, random_state=0).split(norm, y):
            r, n, yy, s = concat([("T", sub("T", tr)), *extra])
            m = make().fit(r, n, yy, s)
            out[te] = m.score([raw[i] for i in te], [norm[i] for i in te])
        res["cvF1"] = best_f1(out, y)
        res["cvAUC"] = roc_auc_score(y, out)
    cv_cpu = time.process_time() - c0

    def proto(train_keys, tests):
        r, n, yy, s = concat([(k, sub(k, ALL[k])) for k in train_keys])
        o = oof(make, r, n, yy, s)
        g, p = thresholds(o, yy, s)
        m = make().fit(r, n, yy, s)
        out = {}
        for tk in tests:
            tr_, tn_, ty_ = DATA[tk]
            sc = m.score(tr_, tn_)
            for rule, th in (("g", g), ("p", p)):
                if tk == "H":
                    for cat in ("ordinary", "vacancy", "recruitment_risk", "spam"):
                        out[f"H_{cat[:4]}_{rule}"] = float(np.mean(sc[cat == HCAT] >= th))
                    continue
                out[f"{tk}FA_{rule}"] = float(np.mean(sc[ty_ == 0] >= th))
                if ty_.sum():
                    out[f"{tk}rec_{rule}"] = float(np.mean(sc[ty_ == 1] >= th))
        return out

    if "A" in protocols:
        res.update({f"A:{k}": v for k, v in proto(["T", "J"], ["S", "U", "H"]).items()})
    if "B" in protocols:
        res.update({f"B:{k}": v for k, v in proto(["T", "S"], ["J", "U", "H"]).items()})
    if "D" in protocols:
        res.update({f"D:{k}": v for k, v in proto(["T", "S", "J", "UA"], ["UB", "H"]).items()})
    if "C" in protocols:
        res.update({f"C:{k}": v for k, v in proto(["T", "S", "J"], ["U", "H"]).items()})
    res["cpu"] = time.process_time() - c0
    res["cv_cpu"] = cv_cpu
    print(
        json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}),
        flush=True,
    )
    return res


def _set(o, **kw):
    for k, v in kw.items():
        setattr(o, k, v)
    return o


if __name__ == "__main__":
    which = [a for a in sys.argv[1:] if not a.startswith("P=")]
    P = next((a[2:].split(",") for a in sys.argv[1:] if a.startswith("P=")), ["cv", "A", "B", "C"])
    V = {
        "base": Base,
        "m0": lambda: Proj(),
        "m1word": lambda: Proj(word=True),
        "m2flags": lambda: Proj(flags=1.0),
        "m3wordflags": lambda: Proj(word=True, flags=1.0),
        "m4srcw": lambda: Proj(weight="source"),
        "m5c3": lambda: Proj(c=3.0),
        "m6c30": lambda: Proj(c=30.0),
        "m7word_c3": lambda: Proj(word=True, c=3.0),
        "m8fold": lambda: _set(Proj(), fold=True),
        "m9foldword": lambda: _set(Proj(word=True), fold=True),
        "m10foldwordflags": lambda: _set(Proj(word=True, flags=1.0), fold=True),
    }
    for w in which:
        run(w, V[w], protocols=P)
