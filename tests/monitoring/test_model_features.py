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
