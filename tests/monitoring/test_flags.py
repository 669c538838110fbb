"""Indicator flags: the data file, matching on normalised text, the flag score."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring._flags import (
    FlagDataError,
    FlagHit,
    flag_score,
    load_flags,
    parse_flags,
)
from opennrm.monitoring.normalize import normalize

FLAGS = load_flags()
RAW = json.loads(
    resources.files("opennrm.monitoring").joinpath("data/flags.json").read_text("utf-8")
)
EXAMPLES = [(f.id, ex) for f in FLAGS.flags for ex in f.examples]


def ids(text: str) -> set[str]:
    return {h.flag_id for h in FLAGS.evaluate(text)}


def test_data_file_is_complete() -> None:
    assert FLAGS.version == RAW["version"]
    required = {
        "pay.unrealistic_no_experience",
        "travel.arranged",
        "fees.advance",
        "target.women_only",
        "target.narrow_age",
        "pressure.urgency",
        "contact.messenger_only",
        "text.obfuscated",
        "company.absent",
    }
    assert required <= set(FLAGS.by_id)
    for flag in FLAGS.flags:
        assert {"en", "uk", "ru"} <= set(flag.label)
        assert 0 < flag.weight < 1
        assert flag.examples, flag.id
        for ref in flag.source.split(";"):
            assert ref.strip() in FLAGS.sources, (flag.id, ref)


def test_term_flags_cover_the_five_languages() -> None:
    for item in RAW["flags"]:
        if "detector" in item or all("terms" not in g for g in item["groups"]):
            continue  # regex-only flags: per-language cases in test_flags_trafficking.py
        languages = set().union(*(g.get("terms", {}).keys() for g in item["groups"]))
        assert languages == {"uk", "ru", "pl", "ro", "en"}, item["id"]


@pytest.mark.parametrize(("flag_id", "example"), EXAMPLES)
def test_every_documented_example_fires_its_flag(flag_id: str, example: str) -> None:
    assert flag_id in ids(example)


def test_evidence_names_the_matched_words() -> None:
    hits = {h.flag_id: h for h in FLAGS.evaluate("Работа в Польше! Жильё предоставляется.")}
    assert hits["travel.arranged"].evidence == "жилье предоставляется"
    assert "Travel" in hits["travel.arranged"].describe()
    assert "Дорогу" in hits["travel.arranged"].describe("ru", FLAGS)


def test_hidden_words_still_match_after_normalisation() -> None:
    # Latin "a", "o", "p" inside Cyrillic words, and a spaced-out word
    assert "fees.advance" in ids("Нужна пpедоплaтa зa оформление")
    assert "pay.easy_money" in ids("Л Е Г К И Е деньги каждый день")
    assert "text.obfuscated" in ids("Рaбoтa для всех")
    assert "text.obfuscated" not in ids("Работа для всех")


def test_plain_conversation_fires_nothing() -> None:
    assert ids("Так если 3060 феникс существуют))") == set()
    assert ids("Dzień dobry, jak się masz?") == set()


def test_narrow_age_range_and_not_a_price() -> None:
    assert "target.narrow_age" in ids("Девушки 18-25 лет, работа в Европе")
    assert "target.narrow_age" not in ids("Продам 2 шины за 18-25 тысяч")


def test_company_absent_is_cancelled_by_a_company_name() -> None:
    assert "company.absent" in ids("Работа, хорошая зарплата")
    assert "company.absent" not in ids("ООО Ромашка: работа, хорошая зарплата")


def test_term_must_match_whole_words() -> None:
    assert "pressure.urgency" not in ids("несрочной")
    assert "pressure.urgency" in ids("срочно!")


def test_flag_score_is_noisy_or() -> None:
    a = FlagHit("a", 0.5, "A", "")
    b = FlagHit("b", 0.2, "B", "")
    assert flag_score([]) == 0.0
    assert flag_score([a, b]) == pytest.approx(1 - 0.5 * 0.8)


@given(st.lists(st.floats(min_value=0, max_value=0.99), max_size=8), st.floats(0, 0.99))
def test_adding_a_hit_never_lowers_the_score(weights: list[float], extra: float) -> None:
    hits = [FlagHit(str(i), w, "x", "") for i, w in enumerate(weights)]
    base = flag_score(hits)
    assert 0.0 <= base <= 1.0
    assert flag_score([*hits, FlagHit("new", extra, "x", "")]) >= base - 1e-12


PHRASES = [ex for f in FLAGS.flags if f.id != "company.absent" for ex in f.examples]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80), st.sampled_from(PHRASES))
def test_appending_a_flag_phrase_never_lowers_the_flag_score(text: str, phrase: str) -> None:
    before = flag_score(FLAGS.evaluate(text))
    after = flag_score(FLAGS.evaluate(text + "\n" + phrase))
    assert 0.0 <= before <= 1.0
    assert after >= before - 1e-12


def _doc(**flag: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "x",
        "label": {"en": "X", "uk": "X", "ru": "X"},
        "weight": 0.2,
        "source": "S",
        "rationale": "R",
        "groups": [{"terms": {"en": ["foo"]}}],
    }
    base.update(flag)
    return {"version": "1", "flags": [base]}


@pytest.mark.parametrize(
    "doc",
    [
        {"flags": []},
        _doc(weight=1.5),
        _doc(label={"en": "X"}),
        _doc(groups=[{"terms": {"de": ["foo"]}}]),
        _doc(groups=[{"regex": ["(unclosed"]}]),
        _doc(groups=[]),
        _doc(detector="magic"),
        _doc(rationale=""),
        _doc(alert="yes"),
    ],
)
def test_malformed_flag_files_are_rejected(doc: dict[str, object]) -> None:
    with pytest.raises(FlagDataError):
        parse_flags(doc)


def test_custom_file_loads(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "f.json"
    path.write_text(json.dumps(_doc()), encoding="utf-8")
    custom = load_flags(path)
    assert [h.flag_id for h in custom.evaluate("FOO bar")] == ["x"]


def _find_visiting_every_word(text: str) -> dict[int, str]:
    """The matcher's term pass without the trigger regex (every word visited)."""
    import re

    matcher = load_flags().matcher
    found: dict[int, str] = {}
    for m in re.finditer(r"\w+", text):
        word = m.group()
        for gid, pattern in matcher.exact.get(word, []):
            if gid not in found and (hit := pattern.match(text, m.start())) is not None:
                found[gid] = hit.group()
        for key in (word[:3], *(word[:n] for n in matcher.short_stem_lengths)):
            for stem, gid, pattern in matcher.stems.get(key, []):
                if gid in found or not word.startswith(stem):
                    continue
                if (hit := pattern.match(text, m.start())) is not None:
                    found[gid] = hit.group()
    return found


def _vocabulary() -> list[str]:
    matcher = load_flags().matcher
    stems = [stem + "ая" for cands in matcher.stems.values() for stem, _, _ in cands]
    return sorted(matcher.exact) + stems + ["работа", "x", "1", "вы", "ок"]


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(_vocabulary()), max_size=25),
    st.lists(st.sampled_from([" ", "  ", ", ", "-", "_", "ё"]), min_size=1, max_size=25),
)
def test_trigger_regex_finds_what_visiting_every_word_finds(
    words: list[str], seps: list[str]
) -> None:
    text = "".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    found = load_flags().matcher.find(text)
    expected = _find_visiting_every_word(text)
    matcher = load_flags().matcher
    # directly searched groups and groups with terms indexed by a rarer word ("без договора")
    searched = {gid for gid, _ in matcher.searched} | set(matcher.gated)
    assert {g: e for g, e in found.items() if g not in expected} == {
        g: e for g, e in found.items() if g in searched and g not in expected
    }
    assert {g: found.get(g) for g in expected} == expected


@pytest.mark.parametrize(
    ("text", "flag", "evidence"),
    [
        ("Долг за дорогу отработаете на месте", "debt.travel_work_off", "долг за дорогу"),
        ("Борг за квиток відпрацюєте", "debt.travel_work_off", "борг за квиток"),
        (
            "Документи тримає роботодавець",
            "control.documents_withheld",
            "документи тримає роботодавець",
        ),
    ],
)
def test_evidence_is_whole_words_as_the_text_has_them(text, flag, evidence):
    hits = {h.flag_id: h.evidence for h in load_flags().evaluate(text, normalize(text))}
    assert hits[flag] == evidence
    assert all(
        not (e[-1:].isalnum() and normalize(text).partition(e)[2][:1].isalnum())
        for e in hits.values()
    )  # no evidence is cut inside a word


def test_evidence_finishes_a_word_but_stays_a_short_quote():
    from opennrm.monitoring._flags import _WORD_REACH, _whole_words

    def quote(text: str, part: str) -> str:
        return _whole_words(text, re.search(re.escape(part), text))

    assert quote("долг за дорогу отработаете", "долг за дорог") == "долг за дорогу"
    assert quote("сім'я працює", "сім") == "сім'я"  # the apostrophe is inside the word
    assert quote("робота", "обот") == "робота"  # both ends, at the text's ends
    assert quote("пишите в лс.", "в лс") == "в лс"
    glued = "ж" * 1_000_000 + "робота" + "ж" * 1_000_000  # a "word" of two million letters
    assert len(quote(glued, "робот")) == len("робот") + 2 * _WORD_REACH
    assert quote("ab", "") == ""
