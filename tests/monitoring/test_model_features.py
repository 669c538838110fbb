"""The numpy hashed char_wb n-gram vectoriser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring._model_features import CharNgramHasher


def ngrams_of(texts: list[str], hasher: CharNgramHasher) -> list[set[str]]:
    x, pos, size, joined = hasher.transform_with_ngrams(texts)
    out = []
    for i in range(x.shape[0]):
        lo, hi = x.indptr[i], x.indptr[i + 1]
        out.append({joined[p : p + n] for p, n in zip(pos[lo:hi], size[lo:hi], strict=True)})
    return out


def test_char_wb_ngrams_stay_inside_padded_words() -> None:
    hasher = CharNgramHasher(min_df=1).fit(["ab cd"])
    [grams] = ngrams_of(["ab cd"], hasher)
    # " ab " and " cd ": n-grams of 2..4 characters, never "b c" across the words
    assert grams == {" a", "ab", "b ", " ab", "ab ", " ab ", " c", "cd", "d ", " cd", "cd ", " cd "}


def test_rows_are_l2_normalised_and_unseen_ngrams_dropped() -> None:
    hasher = CharNgramHasher(min_df=1).fit(["работа на дому", "робота вдома"])
    x = hasher.transform(["работа", "zzzz", ""])
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    assert norms[0] == pytest.approx(1.0, abs=1e-5)
    assert norms[1] == 0.0 and norms[2] == 0.0


def test_min_df_removes_rare_ngrams() -> None:
    hasher = CharNgramHasher(min_df=2).fit(["abc", "abd"])
    [grams] = ngrams_of(["abc"], hasher)
    assert grams == {" a", "ab", " ab"}


def test_unfitted_and_bad_range() -> None:
    with pytest.raises(ValueError):
        CharNgramHasher().transform(["x"])
    with pytest.raises(ValueError):
        CharNgramHasher(ngram_min=1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=6))
def test_rows_do_not_depend_on_the_batch(texts: list[str]) -> None:
    hasher = CharNgramHasher(min_df=1, bits=12).fit(texts)
    together = hasher.transform(texts).toarray()
    alone = np.vstack([hasher.transform([t]).toarray() for t in texts])
    np.testing.assert_allclose(together, alone, rtol=1e-6)


def test_chunked_fit_and_transform_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    import opennrm.monitoring._model_features as features

    texts = [f"робота {i} праца {i % 7} work" for i in range(40)]
    whole = CharNgramHasher(min_df=2, bits=12).fit(texts)
    expected = whole.transform(texts).toarray()
    monkeypatch.setattr(features, "CHUNK", 7)
    chunked = CharNgramHasher(min_df=2, bits=12).fit(texts)
    np.testing.assert_array_equal(chunked.idf, whole.idf)
    np.testing.assert_allclose(chunked.transform(texts).toarray(), expected, rtol=1e-6)


def test_folded_letters_hash_as_their_russian_neighbours_and_are_quoted_as_written() -> None:
    plain = CharNgramHasher(2, 4, bits=16, min_df=1)
    folded = CharNgramHasher(2, 4, bits=16, min_df=1, fold_letters=True)
    texts = ["клиентив работа", "клієнтів робота", "пpивiт"]
    plain.fit(texts)
    folded.fit(texts)
    a = folded.transform(["клієнтів"]).toarray()
    b = folded.transform(["клиентив"]).toarray()
    assert (a == b).all() and a.any()
    assert not (
        plain.transform(["клієнтів"]).toarray() == plain.transform(["клиентив"]).toarray()
    ).all()
    _, pos, size, joined = folded.transform_with_ngrams(["клієнтів"])
    shown = {joined[p : p + n] for p, n in zip(pos.tolist(), size.tolist(), strict=True)}
    assert "ієн" in shown  # explanations quote the text as written


def word_entries(text: str, hasher: CharNgramHasher) -> set[str]:
    """The word 1–2-grams stored for one text (entries whose length is negative)."""
    _docs, _cols, _counts, pos, size, joined = hasher._entries([text])
    return {" ".join(joined[p : p - n].split()) for p, n in zip(pos, size, strict=True) if n < 0}


def test_word_unigrams_and_bigrams_are_hashed_beside_char_ngrams() -> None:
    hasher = CharNgramHasher(2, 3, bits=16, min_df=1, word_weight=0.5)
    text = "работа на дому, пишите!"
    hasher.fit([text])
    assert word_entries(text, hasher) == {
        "работа",
        "на",
        "дому",
        "пишите",
        "работа на",
        "на дому",
        "дому, пишите",
    }
    # no word entries without word_weight, and the same char n-grams either way
    chars = CharNgramHasher(2, 3, bits=16, min_df=1).fit([text])
    assert word_entries(text, chars) == set()
    _d, cols, _c, _p, size, _j = hasher._entries([text])
    _d2, cols2, _c2, _p2, _s2, _j2 = chars._entries([text])
    assert set(cols[size > 0].tolist()) == set(cols2.tolist())


def test_each_block_is_normalised_and_the_word_block_scaled() -> None:
    hasher = CharNgramHasher(bits=16, min_df=1, word_weight=0.5).fit(["работа на дому"])
    x = hasher.transform(["работа на дому", "zzzz"])
    norms_sq = np.asarray(x.multiply(x).sum(axis=1)).ravel()
    assert norms_sq[0] == pytest.approx(1.0 + 0.5**2, abs=1e-5)
    assert norms_sq[1] == 0.0
    with pytest.raises(ValueError):
        CharNgramHasher(word_weight=-1.0)


def test_a_word_hashes_to_the_same_column_wherever_it_stands() -> None:
    hasher = CharNgramHasher(2, 2, bits=18, min_df=1, word_weight=1.0)
    texts = ["заработок", "легкий заработок сегодня", "x, y; заработок!"]
    hasher.fit(texts)
    only_word = CharNgramHasher(2, 2, bits=18, min_df=1, word_weight=1.0).fit(["заработок"])

    def word_columns(text: str, h: CharNgramHasher) -> set[int]:
        _d, cols, _c, _p, size, _j = h._entries([text])
        return set(cols[size < 0].tolist())

    [unigram] = word_columns("заработок", only_word)
    for text in texts:
        assert unigram in word_columns(text, hasher)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=6))
def test_rows_with_words_do_not_depend_on_the_batch(texts: list[str]) -> None:
    hasher = CharNgramHasher(min_df=1, bits=12, word_weight=0.7, fold_letters=True).fit(texts)
    together = hasher.transform(texts).toarray()
    alone = np.vstack([hasher.transform([t]).toarray() for t in texts])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("word_weight", [0.0, 1.0])
def test_fit_transform_equals_fit_then_transform(
    monkeypatch: pytest.MonkeyPatch, word_weight: float
) -> None:
    import opennrm.monitoring._model_features as features

    texts = [f"робота {i} праца {i % 7} work, пишіть {i % 3}" for i in range(40)] + [""]
    monkeypatch.setattr(features, "CHUNK", 7)
    once = CharNgramHasher(min_df=2, bits=12, word_weight=word_weight)
    together = once.fit_transform(texts).toarray()
    twice = CharNgramHasher(min_df=2, bits=12, word_weight=word_weight).fit(texts)
    np.testing.assert_array_equal(once.idf, twice.idf)
    np.testing.assert_array_equal(together, twice.transform(texts).toarray())
    assert CharNgramHasher(min_df=1).fit_transform([]).shape[0] == 0
