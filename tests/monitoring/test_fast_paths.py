"""The speed-ups of issue 12 give exactly what the straightforward code gives.

Each test keeps a plain reference implementation (what the module did before it was made
faster, or the definition written out one post at a time) and checks the fast code
against it on generated input (hypothesis) and on hand-picked edge cases.
"""

from __future__ import annotations

import importlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring import _model_features as mf
from opennrm.monitoring.cluster import (
    _P,
    _PAD,
    ClusterConfig,
    _permutations,
    minhash_signatures,
    shingle_text,
)

# words in the scripts the pipeline meets, with the letters that are folded or special
_ALPHABET = st.sampled_from(
    list("abcxyz019 _.,!?@+/-\t\n\u00a0\u2003")
    + list("абвгдежзийклмнопрстуфхцчшщъыьэюяё")
    + list("іїєґІЇЄҐ")
    + list("ąćęłńśźżășțäöüß")
    + ["σ", "ο", "ᴀ", "😀", "🔥", "\u200b", "\x00"]
)
TEXTS = st.lists(st.text(_ALPHABET, max_size=60), max_size=12)
EDGE = [
    [],
    [""],
    ["", "  ", "\t"],
    ["ї ї", "ґєї Ґ", "клiєнтiв робота"],
    ["a\tb\u00a0c", "x\u2003y", " leading and trailing "],
    ["работа в польше 5000 злотых", "работа в польше 6000 злотых", "ok"],
]


# --- MinHash: one document at a time, shift before the minimum (the definition) ---------


def reference_minhash(texts: list[str], config: ClusterConfig) -> tuple[np.ndarray, np.ndarray]:
    k = config.shingle_size
    a, b = _permutations(config.num_perm, config.seed)
    sig = np.full((len(texts), config.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    valid = np.zeros(len(texts), dtype=bool)
    for i, normalized in enumerate(texts):
        text = shingle_text(normalized, config)
        valid[i] = bool(text)
        if 0 < len(text) < k:
            text += _PAD * (k - len(text))
        if len(text) < k:
            continue
        codes = [np.uint64(ord(c)) for c in text]
        with np.errstate(over="ignore"):
            hashes = []
            for start in range(len(text) - k + 1):
                h = np.uint64(0)
                for j in range(k):
                    h = h + codes[start + j] * (_P ** np.uint64(k - 1 - j))
                hashes.append(h)
            h_arr = np.array(hashes, dtype=np.uint64)
            permuted = (h_arr[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)
        sig[i] = permuted.min(axis=0).astype(np.uint32)
    return sig, valid


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.sampled_from([10, 50, 10_000]))
def test_minhash_equals_one_document_at_a_time(texts: list[str], chunk: int) -> None:
    config = ClusterConfig(windows_per_chunk=chunk, min_tokens=1)
    sig, valid = minhash_signatures(texts, config)
    ref_sig, ref_valid = reference_minhash(texts, config)
    assert np.array_equal(valid, ref_valid)
    assert np.array_equal(sig, ref_sig)


def test_minhash_edge_cases_and_default_config() -> None:
    config = ClusterConfig()
    for texts in EDGE:
        sig, valid = minhash_signatures(texts, config)
        ref_sig, ref_valid = reference_minhash(texts, config)
        assert np.array_equal(sig, ref_sig) and np.array_equal(valid, ref_valid)


# --- the n-gram hasher's padding, word ids and Ukrainian letter folding -----------------


def reference_pieces(
    texts: list[str], fold: bool
) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """``_pieces`` as ``_entries`` did it before: padding word by word, ``str.translate``."""
    padded: list[str] = []
    word_lengths: list[int] = []
    doc_lengths: list[int] = []
    for text in texts:
        words = text.split()
        doc = "".join(f" {w} " for w in words)
        padded.append(doc)
        word_lengths.extend(len(w) + 2 for w in words)
        doc_lengths.append(len(doc))
    joined = "".join(padded)
    hashed = joined.translate(mf.UK_FOLD) if fold else joined
    codes = np.frombuffer(hashed.encode("utf-32-le"), dtype=np.uint32)
    word_id = np.repeat(np.arange(len(word_lengths)), word_lengths)
    doc_id = np.repeat(np.arange(len(doc_lengths)), doc_lengths)
    return joined, codes, word_id, doc_id


@settings(max_examples=150, deadline=None)
@given(TEXTS, st.booleans())
def test_padding_word_ids_and_folding_equal_the_word_by_word_code(
    texts: list[str], fold: bool
) -> None:
    fast = mf.CharNgramHasher(fold_letters=fold)._pieces(texts)
    ref = reference_pieces(texts, fold)
    assert fast[0] == ref[0]
    for x, y in zip(fast[1:], ref[1:], strict=True):
        assert np.array_equal(x, y)


@settings(max_examples=80, deadline=None)
@given(TEXTS, st.booleans(), st.sampled_from([0.0, 1.0]))
def test_entries_equal_the_previous_code(texts: list[str], fold: bool, word_weight: float) -> None:
    hasher = mf.CharNgramHasher(bits=12, min_df=1, fold_letters=fold, word_weight=word_weight)
    fast = hasher._entries(texts)
    ref = hasher._hash_entries(len(texts), *reference_pieces(texts, fold))
    assert fast[5] == ref[5]
    for x, y in zip(fast[:5], ref[:5], strict=True):
        assert np.array_equal(x, y)


def test_pieces_edge_cases() -> None:
    for texts in EDGE:
        fast = mf.CharNgramHasher(fold_letters=True)._pieces(texts)
        ref = reference_pieces(texts, True)
        assert fast[0] == ref[0]
        assert all(np.array_equal(x, y) for x, y in zip(fast[1:], ref[1:], strict=True))


# --- the pipeline's group statistics and its paused collector -----------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40),
    st.data(),
)
def test_group_statistics_from_the_shared_risk_array(risks: list[float], data) -> None:  # type: ignore[no-untyped-def]
    from opennrm.monitoring.pipeline import PostResult, _summarise

    posts = [
        PostResult(f"p{i}", None, "c", None, "ru", r, r, 0.0, r > 0.5, (), ())
        for i, r in enumerate(risks)
    ]
    members = data.draw(st.lists(st.sampled_from(range(len(risks))), min_size=1, unique=True))
    slow = _summarise("campaign", "g", members, posts)
    fast = _summarise("campaign", "g", members, posts, np.array(risks, dtype=np.float64))
    assert fast == slow
    # and both are what numpy gives for the members' risks as a list (the code before)
    assert slow["mean_risk"] == float(np.mean([risks[i] for i in members]))
    assert slow["max_risk"] == float(np.max([risks[i] for i in members]))


def test_process_batch_restores_the_garbage_collector() -> None:
    import gc

    import pytest

    from opennrm.monitoring._post import Post
    from opennrm.monitoring.pipeline import PipelineConfig, process_batch

    posts = [Post.create("t", "работа в польше, пишите @recruiter_pl")]
    assert gc.isenabled()
    process_batch(posts, model=None, config=PipelineConfig())
    assert gc.isenabled()
    gc.disable()
    try:
        process_batch(posts, model=None, config=PipelineConfig())
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(AttributeError):
        process_batch([object()], model=None, config=PipelineConfig())  # type: ignore[list-item]
    assert gc.isenabled()


# --- model reasons: the word is looked up once ------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.text(_ALPHABET, max_size=40), st.text(_ALPHABET, min_size=1, max_size=6), st.floats(-3, 3)
)
def test_describe_in_the_found_word_equals_describe(text: str, ngram: str, value: float) -> None:
    from opennrm.monitoring._model import FeatureContribution

    c = FeatureContribution(ngram, value)
    fragment = ngram.strip()
    word = next((w for w in text.split() if fragment in w), "") if text else ""
    assert c.describe_in(word) == c.describe(text)
    assert c.describe_in(word) == c.describe(text.split())


# --- flags: the gates of the directly searched patterns ---------------------------------

_GATE_PATTERNS = [
    r"\d[\d\s.,]*\s*(?:\$|€|usd|грн)",
    r"(?<!\d)(?:от\s*|від\s*)?(?:1[6-9]|2[0-9])\s*(?:-|до)\s*(?:1[8-9]|3[0-5])\s*(?:лет|рок\w*)\b",
    r"\+\s+в\s+лс(?!\w)",
    r"(?<![\w.])@[a-z0-9_]{4,}(?![\w.@])",
    r"\bt\.me/\w+",
    r"(?:a|b+|[x-z]{2})q?",
    r"(?:ab)*c",  # optional first part: the "c" is required
    r"[^a]b",
    r"\s\w",
    r"(?i)ab",  # case-insensitive: no gate
    r"(?i:x)|y",
    r".",
    r"(?=a)\w",
    r"a{0,2}",  # can match empty: no gate
    r"(?>ab|c)d",
]


def _flag_patterns() -> list[str]:
    from opennrm.monitoring._flags import load_flags

    matcher = load_flags().matcher
    return [p.pattern for _, p in matcher.searched]


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=50), st.sampled_from(_GATE_PATTERNS + _flag_patterns()))
def test_a_text_the_gate_rejects_never_matches(text: str, source: str) -> None:
    import re

    from opennrm.monitoring._flags import pattern_gate

    pattern = re.compile(source)
    gate = pattern_gate(pattern)
    if gate is not None and gate.search(text) is None:
        assert pattern.search(text) is None


def test_gates_of_the_shipped_patterns() -> None:
    import re

    from opennrm.monitoring._flags import pattern_gate

    gates = {p: pattern_gate(re.compile(p)) for p in _GATE_PATTERNS}
    assert gates[r"\bt\.me/\w+"].pattern == "[/]"  # type: ignore[union-attr]
    assert gates[r"(?:ab)*c"].pattern == "[c]"  # type: ignore[union-attr]
    assert gates[r"\+\s+в\s+лс(?!\w)"].pattern == r"[\+]"  # type: ignore[union-attr]
    for source in (r"(?i)ab", r"(?i:x)|y", r".", r"a{0,2}"):
        assert gates[source] is None
    assert gates[r"[^a]b"].pattern == "[b]"  # type: ignore[union-attr]
    # every shipped directly searched pattern has a gate (else all posts pay for it)
    assert all(pattern_gate(re.compile(p)) is not None for p in _flag_patterns())


_FLAG_WORDS = [
    "работа", "в", "польше", "зарплата", "от", "18", "до", "35", "лет", "$", "5000", "грн",
    "+", "лс", "@recruit_pl", "t.me/jobs", "wa.me/4812", "паспорт", "оставляете", "у",
    "работодателя", "без", "визы", "долг", "за", "билет", "возраст", "16-25", "девушки",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FLAG_WORDS), max_size=14).map(" ".join))
def test_flag_evaluation_with_gates_equals_searching_every_pattern(text: str) -> None:
    from opennrm.monitoring._flags import load_flags

    flags = load_flags()
    matcher = flags.matcher
    matcher.find("")  # compiled, gates set
    fast = matcher.find(text)
    saved = matcher.gates, matcher.any_gate
    try:
        # no gates: the code before (one pre-check search, then every pattern)
        matcher.gates, matcher.any_gate = [None] * len(saved[0]), None
        slow = matcher.find(text)
    finally:
        matcher.gates, matcher.any_gate = saved
    assert fast == slow


# --- campaign templates: token support counted once per member --------------------------


def reference_template(member_texts: list[str], support: float = 0.6) -> str:
    from opennrm.monitoring.cluster import SLOT, _mask

    if not member_texts:
        return ""
    tokenised = [_mask(t).split() for t in member_texts]
    sets = [set(t) for t in tokenised]
    lengths = sorted(len(t) for t in tokenised)
    median = lengths[len(lengths) // 2]
    rep = min(tokenised, key=lambda t: (abs(len(t) - median), " ".join(t)))
    needed = support * len(tokenised)
    out: list[str] = []
    for token in rep:
        shared = sum(1 for s in sets if token in s)
        word = token if shared >= needed else SLOT
        if not (word == SLOT and out and out[-1] == SLOT):
            out.append(word)
    return " ".join(out)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from([*_FLAG_WORDS, "+380671234567"]), max_size=10), max_size=8),
    st.sampled_from([0.0, 0.5, 0.6, 1.0]),
)
def test_template_equals_counting_member_by_member(
    members: list[list[str]], support: float
) -> None:
    from opennrm.monitoring.cluster import build_template

    texts = [" ".join(words) for words in members]
    assert build_template(texts, support=support) == reference_template(texts, support)


# --- the model explains long inputs a chunk at a time ----------------------------------


def test_score_and_explain_in_chunks_equals_all_at_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import random

    from opennrm.monitoring import _model
    from opennrm.monitoring._model import ModelConfig, train_model

    rng = random.Random(3)
    risky = ["работа в польше {n} евро пишите @agent{n}", "robota za kordonom {n} zł, житло"]
    plain = ["де тут вокзал {n}", "спасибо за помощь {n}", "meeting at {n} today"]
    texts, labels = [], []
    for i in range(120):
        label = i % 2
        template = rng.choice(risky if label else plain)
        texts.append(template.format(n=rng.randint(1, 999)))
        labels.append(label)
    model = train_model(texts, labels, config=ModelConfig(min_df=1, cv_folds=3)).model
    monkeypatch.setattr(_model, "EXPLAIN_CHUNK", 7)
    chunked = model.score_and_explain(texts, top_k=3)
    whole = model._score_and_explain(texts, 3)
    assert chunked == whole
    assert len(chunked) == len(texts)


# --- flags: only the candidate flags are tried; language: letters counted by removal ----


def reference_evaluate(flags, raw: str, normalized: str):  # type: ignore[no-untyped-def]
    """``FlagSet.evaluate`` as it was: every flag looked at, in file order."""
    norm = normalized.replace("ё", "е")
    found = flags.matcher.find(norm)
    hits = []
    for flag in flags.flags:
        if flag.detector is None and (not found or flag.groups[0] not in found):
            continue
        hit = flag.match(raw, found, norm, flags.matcher)
        if hit is not None:
            hits.append(hit)
    return tuple(hits)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_FLAG_WORDS, "раб0та", "wоrk", "дeньги"]), max_size=14))
def test_flag_evaluation_tries_only_candidates_with_the_same_hits(words: list[str]) -> None:
    from opennrm.monitoring._flags import load_flags
    from opennrm.monitoring.normalize import normalize
    from opennrm.monitoring.scoring import load_topics

    raw = " ".join(words)
    norm = normalize(raw)
    for flags in (load_flags(), load_topics().detectors):
        assert flags.evaluate(raw, norm) == reference_evaluate(flags, raw, norm)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=60), st.sampled_from([("ru", "uk"), ("de", "en", "pl")]))
def test_fast_language_counts_letters_as_before(text: str, languages: tuple[str, ...]) -> None:
    import re

    from opennrm.monitoring import language

    def reference(cleaned: str, n_letters: int) -> str | None:
        found = {language._LETTER_LANGUAGE[ch] for ch in language._UNIQUE_RE.findall(cleaned)}
        if len(found) != 1:
            return None
        (code,) = found
        if code not in languages:
            return None
        script = re.compile("[\u0400-\u04ff]" if code in ("uk", "ru") else "[a-zA-Z\u00c0-\u024f]")
        if len(script.findall(cleaned)) < language.FAST_PATH_SCRIPT_SHARE * n_letters:
            return None
        return code

    n_letters = len(language._NON_LETTERS_RE.sub("", text))
    codes = tuple(sorted(languages))
    assert language.fast_language(text, n_letters, codes) == reference(text, n_letters)


# --- the look-alike folding's suspect tokens -------------------------------------------


def reference_suspect_spans(text: str) -> list[tuple[int, int]]:
    """``_suspect_spans`` as it was: every position found walks out to its token's ends."""
    nm = importlib.import_module("opennrm.monitoring.normalize")

    def token_span(i: int) -> tuple[int, int]:
        start = i
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        end = i
        while end < len(text) and text[end].isalnum():
            end += 1
        return start, end

    patterns = [nm._LAT_THEN_OTHER_RE, nm._OTHER_THEN_LAT_RE, nm._CYR_THEN_GRK_RE]
    spans = {token_span(m.start()) for p in patterns for m in p.finditer(text)}
    for m in nm._DIGIT_RUN_RE.finditer(text):
        start, end = m.span()
        if start > 0 and end < len(text) and text[start - 1].isalpha() and text[end].isalpha():
            spans.add(token_span(start))
    return sorted(spans)


# letters of the three scripts, digits, look-alikes, and the few non-letters inside the
# script ranges ("×", "÷", Greek ";" and numeral signs, "҂")
_SCRIPT_SOUP = st.text(
    alphabet=st.sampled_from(list("aboxpceкорвсеαβοε0134567 ._-×÷;͵͂҂ΐ\u0375\u0482ǅ_")),
    max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_SCRIPT_SOUP, st.text(max_size=40)))
def test_suspect_spans_equal_walking_out_from_every_position(text: str) -> None:
    nm = importlib.import_module("opennrm.monitoring.normalize")
    assert nm._suspect_spans(text) == reference_suspect_spans(text)


def test_suspect_spans_examples() -> None:
    nm = importlib.import_module("opennrm.monitoring.normalize")
    for text in ("раб0та w0rk", "pаботa", "ab×пр", "×п", "тeлeгpaм и ещё pабота", "αβгд;x", ""):
        assert nm._suspect_spans(text) == reference_suspect_spans(text), text


# --- second round (2026-12-02): mixed-script evidence, first-word alternations, model
# --- reasons, contact masks and cheaper regex gates -------------------------------------

_TRANSITION_SOURCE = (
    r"[a-zA-Z][\u0400-\u04ff\u0370-\u03ff]|[\u0400-\u04ff\u0370-\u03ff][a-zA-Z]"
    r"|[\u0400-\u04ff][\u0370-\u03ff]|[\u0370-\u03ff][\u0400-\u04ff]|[^\W\d_][0134567]+[^\W\d_]"
)


def reference_mixed_script_evidence(raw_text: str) -> str | None:
    """The detector as it was: one five-way alternation, then ``findall`` on the text."""
    import re

    from opennrm.monitoring._flags import _OBFUSCATED_RE

    if re.search(_TRANSITION_SOURCE, raw_text) is None:
        return None
    words = _OBFUSCATED_RE.findall(raw_text)
    if not words:
        return None
    return ", ".join(list(dict.fromkeys(words))[:3])


# Latin, Cyrillic and Greek letters, look-alike and other digits, white space of several
# kinds, and the characters of the script ranges that are no word characters ("͵", "΄",
# ";", "·", "϶", "҂", combining "҃"), and digits that are no decimals ("²", "½")
_MIXED_SOUP = st.text(
    alphabet=st.sampled_from(
        list("abcopxyzABCOP0134567289 _.,-@\t\n\u00a0\u2003")
        + list("абвгдеопрстухёіїєАВЕОР")
        + list("σοαβεΩΑ")
        + ["\u0375", "\u0384", "\u037e", "\u0387", "\u03f6", "\u0482", "\u0483", "²", "½", "٣"]
    ),
    max_size=50,
)


@settings(max_examples=800, deadline=None)
@given(st.one_of(_MIXED_SOUP, st.text(max_size=40)))
def test_mixed_script_evidence_equals_one_alternation_and_findall(text: str) -> None:
    from opennrm.monitoring._flags import _mixed_script_evidence

    assert _mixed_script_evidence(text) == reference_mixed_script_evidence(text)


def test_mixed_script_evidence_examples() -> None:
    from opennrm.monitoring._flags import _mixed_script_evidence

    for text in (
        "раб0та w0rk pаботa",
        "four words: pаботa, рaбота, wоrk, dеньги and more",
        "pаботa pаботa pаботa рaбота",  # repeats: the first three distinct
        "a\u0483б x\u0375y гσ",
        "plain text, 2024",
        "",
        "  \t",
    ):
        assert _mixed_script_evidence(text) == reference_mixed_script_evidence(text), text
    assert _mixed_script_evidence("pаботa, рaбота") == "pаботa, рaбота"


def _term_words() -> list[str]:
    """Every word of the shipped flag and topic terms (normalised), and a few others."""
    import json
    from importlib import resources

    out: set[str] = set()
    for name in ("flags.json", "topics.json"):
        doc = json.loads(
            resources.files("opennrm.monitoring").joinpath(f"data/{name}").read_text("utf-8")
        )
        for item in doc.get("flags", []):
            for group in [*item.get("groups", []), item.get("absent") or {}]:
                for terms in (group.get("terms") or {}).values():
                    for term in terms:
                        out.update(w.rstrip("*") for w in term.lower().split() if w != "*")
    return [*sorted(out), "в", "на", "без", "12", "@agent_pl", "t.me/jobs", "день", "лс"]


_TERM_WORDS = _term_words()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TERM_WORDS), max_size=16).map(" ".join))
def test_find_with_first_word_alternations_equals_trying_each_term(text: str) -> None:
    from opennrm.monitoring._flags import load_flags
    from opennrm.monitoring.normalize import normalize
    from opennrm.monitoring.scoring import load_topics

    norm = normalize(text).replace("ё", "е")
    for flags in (load_flags(), load_topics().detectors):
        matcher = flags.matcher
        fast = matcher.find(norm)
        saved = matcher.exact_any
        try:
            matcher.exact_any = {}  # every term of a first word tried (the code before)
            slow = matcher.find(norm)
        finally:
            matcher.exact_any = saved
        assert fast == slow


def test_first_word_alternations_cover_the_words_with_several_terms() -> None:
    from opennrm.monitoring._flags import load_flags

    matcher = load_flags().matcher
    matcher.find("")
    assert "в" in matcher.exact_any
    assert set(matcher.exact_any) == {w for w, c in matcher.exact.items() if len(c) > 1}
    assert matcher.exact_any["в"].match("в лс") is not None
    assert matcher.exact_any["в"].match("в городе") is None


_SPACED_WORDS = st.lists(
    st.text(st.sampled_from(list("абвxyz0._ ")), min_size=0, max_size=6), max_size=8
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(_SPACED_WORDS, st.data())
def test_word_holding_equals_the_first_split_word_that_holds_it(text: str, data) -> None:  # type: ignore[no-untyped-def]
    from opennrm.monitoring.scoring import _word_holding

    if data.draw(st.booleans()) and text:
        start = data.draw(st.integers(0, len(text) - 1))
        fragment = text[start : start + data.draw(st.integers(1, 5))]
    else:
        fragment = data.draw(st.text(st.sampled_from(list("абвxyz0. ")), min_size=1, max_size=4))
    expected = next((w for w in text.split() if fragment in w), "")
    assert _word_holding(text, fragment) == expected


def test_model_reasons_with_other_white_space_use_the_split_words() -> None:
    from opennrm.monitoring._model import FeatureContribution
    from opennrm.monitoring.scoring import _OTHER_SPACE_RE, _word_holding

    # normalize leaves single spaces only; anything else goes the old way (split)
    assert _OTHER_SPACE_RE.search("работа в польше") is None
    assert _OTHER_SPACE_RE.search("работа\tв польше") is not None
    assert _word_holding("работа в польше", "льш") == "польше"
    assert _word_holding("работа в польше", "а в") == ""
    c = FeatureContribution(" раб", 0.5)
    assert c.describe("работа в польше") == 'n-gram "раб" in "работа" (+0.50)'


def reference_score_and_explain(model, texts: list[str], top_k: int):  # type: ignore[no-untyped-def]
    """``RiskModel._score_and_explain`` as it was: ``np.maximum.at`` for the row maxima and
    numpy items indexed one at a time in the loop."""
    from opennrm.monitoring._model import FeatureContribution, _sigmoid

    x, pos, size, joined = model.vectorizer.transform_with_ngrams(texts)
    decision = np.asarray(x @ model.coef, dtype=np.float64) + model.intercept
    proba = _sigmoid(model.platt_a * decision + model.platt_b)
    n_rows = x.shape[0]
    contrib = x.data * model.coef[x.indices]
    row = np.repeat(np.arange(n_rows), np.diff(x.indptr))
    readable = (contrib > 0) & (size >= 3)
    row_max = np.zeros(n_rows)
    np.maximum.at(row_max, row[readable], contrib[readable])
    good = np.flatnonzero(readable & (contrib >= 0.25 * row_max[row]))
    order = good[np.lexsort((-contrib[good], row[good]))]
    row_sorted = row[order]
    first = np.searchsorted(row_sorted, row_sorted, side="left")
    keep = order[(np.arange(len(order)) - first) < 2 * top_k]
    chosen: list[list[FeatureContribution]] = [[] for _ in range(n_rows)]
    for entry in keep.tolist():
        mine = chosen[row[entry]]
        if len(mine) >= top_k:
            continue
        start = pos[entry]
        shown = " ".join(joined[start : start + size[entry]].split())
        if len(shown) >= 3 and all(c.ngram != shown for c in mine):
            mine.append(FeatureContribution(shown, float(contrib[entry])))
    return [(float(p), tuple(c)) for p, c in zip(proba, chosen, strict=True)]


def test_score_and_explain_equals_the_previous_code() -> None:
    import random

    from opennrm.monitoring._model import ModelConfig, train_model

    rng = random.Random(5)
    risky = ["работа в польше {n} евро пишите @agent{n}", "robota za kordonom {n} zł, житло"]
    plain = ["де тут вокзал {n}", "спасибо за помощь {n}", "meeting at {n} today", "", "ok"]
    texts, labels = [], []
    for i in range(150):
        label = i % 2
        texts.append(rng.choice(risky if label else plain).format(n=rng.randint(1, 999)))
        labels.append(label)
    model = train_model(texts, labels, config=ModelConfig(min_df=1, cv_folds=3)).model
    for top_k in (1, 3, 5):
        assert model._score_and_explain(texts, top_k) == reference_score_and_explain(
            model, texts, top_k
        )
    assert model._score_and_explain(["", "  "], 3) == reference_score_and_explain(
        model, ["", "  "], 3
    )


def test_cached_powers_equal_computing_them() -> None:
    for total in (0, 1, 5, 70_000, 10, (1 << 18) + 3, 300):
        cached = mf._powers(total)
        fresh = mf._compute_powers(total)
        assert all(np.array_equal(a, b) for a, b in zip(cached, fresh, strict=True))
    assert not mf._powers(10)[0].flags.writeable


_MASK_PIECES = st.lists(
    st.sampled_from(
        [*"0123456789 +-().@/:wht.meруcoa\n", "http", "https://", "www.", "t.me/", ".com", ".ru"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_MASK_PIECES)
def test_contact_mask_shortcut_equals_the_substitution(text: str) -> None:
    from opennrm.monitoring.cluster import _TLD_RE, _contact_re, _mask

    pattern = _contact_re("@" in text, _TLD_RE.search(text) is not None)
    assert _mask(text) == pattern.sub(lambda m: f" {{{m.lastgroup}}} ", text)


_DIGIT_SOUP = st.text(st.sampled_from(list("0123456789 a٣²-")), max_size=20)


@settings(max_examples=500, deadline=None)
@given(_DIGIT_SOUP)
def test_short_code_hint_finds_what_the_look_behind_form_finds(text: str) -> None:
    import re

    extract = importlib.import_module("opennrm.monitoring.extract")
    before = re.compile(r"(?<!\d)\d{4,6}(?!\d)")
    assert (extract._SHORT_CODE_HINT_RE.search(text) is None) == (before.search(text) is None)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("dotчкарhxp tpunc")), max_size=20))
def test_web_words_search_equals_testing_each_word(text: str) -> None:
    from opennrm.monitoring import _contacts

    expected = any(w in text for w in _contacts._WEB_WORDS)
    assert (_contacts._WEB_WORDS_RE.search(text) is not None) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([*":/.@wWtTmMeE xаK", "\u212a", "://", "www.", "WwW.", "t.me/", "T.Me/"]),
        max_size=12,
    ).map("".join)
)
def test_url_gate_finds_what_the_four_alternatives_find(text: str) -> None:
    import re

    from opennrm.monitoring import language

    before = re.compile(r"(?i)://|www\.|@|t\.me/")
    assert (language._URLISH_GATE_RE.search(text) is None) == (before.search(text) is None)


def reference_normalize(text: str) -> str:
    """``normalize`` as it was: every run of three makes a full round (squeeze, join,
    fold) and the loop stops when the round gives the text back."""
    nm = importlib.import_module("opennrm.monitoring.normalize")
    text = " ".join(nm._nfkc_casefold(text).split())
    text = nm.fold_lookalikes(nm._SPACED_RE.sub(nm._join_spaced, text))
    while nm._TRIPLE_RE.search(text) is not None:
        squeezed = nm.fold_lookalikes(
            nm._SPACED_RE.sub(nm._join_spaced, nm._REPEAT_RE.sub(r"\1", text))
        )
        if squeezed == text:
            break
        text = squeezed
    return text


# runs of three of everything, spaced-out letters, look-alikes of three scripts, digits
# inside words, and the non-letters of the script ranges
_TRIPLE_SOUP = st.lists(
    st.sampled_from(
        [
            *"aboxpceкорвсеαβοεπλ0134567 ._-*×÷;͵҂ǅ²",
            "...",
            "!!!",
            "000",
            "www",
            "ааа",
            "ooo",
            "р а б о т а",
            "w.o.r.k",
            "a.c.c.",
            "\u200b",
            "\u0301",
            "ᴀ",
        ]
    ),
    max_size=16,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_TRIPLE_SOUP, _SCRIPT_SOUP, st.text(max_size=40)))
def test_normalize_stops_early_with_the_same_result(text: str) -> None:
    from opennrm.monitoring.normalize import normalize

    assert normalize(text) == reference_normalize(text)
