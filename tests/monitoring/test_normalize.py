from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opennrm.monitoring import (
    count_mixed_script_tokens,
    normalize,
    obfuscation_score,
    obfuscation_stats,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("рaбота", "работа"),  # Latin a in a Cyrillic word
        ("pаypal", "paypal"),  # Cyrillic а in a Latin word
        ("PAБOTA В ПOЛЬШE", "работа в польше"),  # upper-case look-alikes
        ("раб0та", "работа"),  # digit zero for о
        ("w0rk", "work"),
        ("р а б о т а за границей", "работа за границей"),
        ("w.o.r.k abroad", "work abroad"),
        ("ра\u200bбо\u00adта", "работа"),  # zero-width space, soft hyphen
        ("ра\u0301бота", "работа"),  # stray combining acute
        ("рааааабота оооочень", "работа очень"),
        ("касса Anna 1000 www.site.com", "касса anna 1000 www.site.com"),
        ("mp3 4g covid19", "mp3 4g covid19"),  # edge digits stay
        ("Zarobki  3000\tzł", "zarobki 3000 zł"),
        ("Їжак, йогурт, ёлка, café, wąż, șase", "їжак, йогурт, ёлка, café, wąż, șase"),
        ("💰💰 работа 🔥", "💰💰 работа 🔥"),  # emoji kept
        ("ＷＯＲＫ 𝐫𝐚𝐛𝐨𝐭𝐚", "work rabota"),  # NFKC
        ("я и ты", "я и ты"),  # short real words are not joined
        ("ρабота", "работа"),  # Greek rho
        ("мᴇxᴄ", "mexc"),  # small capitals (seen in the shared spam set): Latin wins 3:1
        ("ᴡᴏʀᴋ", "work"),
    ],
)
def test_worked_examples(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_original_is_untouched() -> None:
    raw = "рaбота"
    normalize(raw)
    assert raw == "р" + "a" + "бота"


def test_obfuscation_stats() -> None:
    stats = obfuscation_stats("Срочно! Рaбота в Пoльше, р а б о т а, раб0та\u200b")
    assert stats.mixed_script_tokens == 2
    assert stats.digit_in_word_tokens == 1
    assert stats.spaced_out_words == 1
    assert stats.invisible_chars == 1
    assert count_mixed_script_tokens("Рaбота в Пoльше") == 2
    assert obfuscation_score("Работа в Польше") == 0.0
    assert 0.25 <= obfuscation_score("Рaбота в Польше") <= 1.0


@given(st.text())
def test_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


_MIXED = st.text(alphabet="абвгдеорсхуaeopcxyk0 3.-\u200b\u0301ΑΟρ!ÉЁé", max_size=40)


@given(_MIXED)
def test_idempotent_on_lookalike_heavy_text(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_no_mixed_script_tokens_after_normalize(text: str) -> None:
    assert count_mixed_script_tokens(normalize(text)) == 0
    assert 0.0 <= obfuscation_score(text) <= 1.0


def test_squeeze_then_join_is_idempotent_regression() -> None:
    # found by hypothesis: squeezing "ааа" left a lone letter that joined "a.c.c." on a second pass
    once = normalize("a.c.c.Αаа")
    assert normalize(once) == once
