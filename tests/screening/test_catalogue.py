"""Catalogue integrity: texts, strengths, sources, ids, and the reference ids preserved."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from opennrm.screening import (
    LANGS,
    LATEST_VERSION,
    Catalogue,
    CatalogueError,
    Strength,
    available_versions,
    load_catalogue,
)

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
DIMENSIONS = (
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
    "exploitative_conditions",
    "coercion_at_destination",
    "abuse_of_vulnerability_at_destination",
)
SETS = ("adult_labour", "adult_sexual", "child_labour", "child_sexual")


def test_latest_version_loads_and_is_cached() -> None:
    assert LATEST_VERSION in available_versions()
    first = load_catalogue()
    assert first.version == "2026.1"
    assert load_catalogue("2026.1") is first


def test_unknown_version_is_a_clear_error() -> None:
    with pytest.raises(CatalogueError, match=r"unknown catalogue version '1999\.9'"):
        load_catalogue("1999.9")


def test_sets_and_dimensions(cat: Catalogue) -> None:
    assert cat.set_ids == SETS
    assert tuple(d.id for d in cat.dimensions) == DIMENSIONS
    assert [s.child for s in cat.sets] == [False, False, True, True]


def test_ids_unique_and_delphi_ids_qualified_by_dimension(cat: Catalogue) -> None:
    ids = [i.id for i in cat.indicators]
    assert len(ids) == len(set(ids))
    for ind in cat.indicators:
        assert ind.dimension in DIMENSIONS
        prefix = ind.id.split(".")[0]
        if ind.family == "delphi":
            assert prefix == ind.dimension
        else:
            assert prefix == ind.family
            assert ind.family in {"forced_criminality", "online_recruitment"}


def test_every_indicator_has_texts_in_every_language(cat: Catalogue) -> None:
    for ind in cat.indicators:
        assert ind.questions, ind.id
        texts = [ind.label, ind.description, *ind.questions]
        for lang in LANGS:
            for t in texts:
                value = t.get(lang)
                assert value.strip() == value and len(value) > 3, (ind.id, lang)
                if lang == "en":
                    assert not CYRILLIC.search(value), (ind.id, value)
                else:
                    assert CYRILLIC.search(value), (ind.id, lang, value)
            for q in ind.questions:
                assert "?" in q.get(lang), (ind.id, lang)


def test_ukrainian_and_russian_texts_are_not_mixed_up(cat: Catalogue) -> None:
    for ind in cat.indicators:
        for t in [ind.label, ind.description, *ind.questions]:
            assert not RUSSIAN_ONLY.search(t.uk), (ind.id, t.uk)
            assert not UKRAINIAN_ONLY.search(t.ru), (ind.id, t.ru)


def test_every_indicator_has_a_valid_strength_and_a_known_source(cat: Catalogue) -> None:
    allowed = {
        "secondary_source_cross_checked",
        "secondary_source_single",
        "reconstructed",
        "new_item",
    }
    for ind in cat.indicators:
        assert ind.strengths and set(ind.strengths) <= set(SETS)
        assert all(isinstance(s, Strength) for s in ind.strengths.values())
        assert set(ind.verification) == set(ind.strengths)
        assert set(ind.verification.values()) <= allowed
        assert ind.source.ref in cat.sources
        assert all(a in cat.sources for a in ind.source.also)
        assert ind.source.note
        if ind.family != "delphi":
            assert set(ind.verification.values()) == {"new_item"}


def test_set_sizes_and_delphi_dimension_sizes(cat: Catalogue) -> None:
    def delphi_sizes(set_id: str) -> list[int]:
        counts = Counter(i.dimension for i in cat.indicators_for(set_id) if i.family == "delphi")
        return [counts[d] for d in DIMENSIONS]

    # adult labour: 67 indicators, 10/10/16/9/15/7 (cross-checked against Seafish TESS)
    assert delphi_sizes("adult_labour") == [10, 10, 16, 9, 15, 7]
    assert sum(delphi_sizes("child_labour")) == 65
    assert len(cat.indicator_set("adult_labour").indicator_ids) == 67 + 7 + 4
    assert len(cat.indicator_set("child_labour").indicator_ids) == 65 + 7 + 4
    assert len(cat.indicator_set("adult_sexual").indicator_ids) == 67 + 4
    assert len(cat.indicator_set("child_sexual").indicator_ids) == 65 + 4


def test_honest_verification_status(cat: Catalogue) -> None:
    status = {s.id: s.verification_status for s in cat.sets}
    assert status == {
        "adult_labour": "secondary_source_cross_checked",
        "adult_sexual": "reconstructed",
        "child_labour": "secondary_source_single",
        "child_sexual": "reconstructed",
    }
    assert "not be retrieved" in cat.verification["summary"]
    sourced_sexual = {
        ("adult_sexual", "coercion_at_destination.forced_tasks_or_clients"),
        ("adult_sexual", "exploitative_conditions.excessive_working_days_or_hours"),
        ("child_sexual", "coercion_at_destination.forced_tasks_or_clients"),
        ("child_sexual", "exploitative_conditions.hazardous_work"),
    }
    for ind in cat.indicators:
        for sid in ("adult_sexual", "child_sexual"):
            if sid in ind.verification and ind.family == "delphi":
                expected = (
                    "secondary_source_single"
                    if (sid, ind.id) in sourced_sexual
                    else "reconstructed"
                )
                assert ind.verification[sid] == expected, (sid, ind.id)


def test_sexual_sets_honour_the_sourced_facts(cat: Catalogue) -> None:
    ft = cat.indicator("coercion_at_destination.forced_tasks_or_clients")
    assert ft.strengths["adult_sexual"] is Strength.STRONG
    assert ft.strengths["child_sexual"] is Strength.STRONG
    assert (
        cat.indicator("exploitative_conditions.hazardous_work").strengths["child_sexual"]
        is Strength.STRONG
    )
    adult_sexual_exploitation = [
        i.strengths["adult_sexual"]
        for i in cat.indicators_for("adult_sexual")
        if i.dimension == "exploitative_conditions"
    ]
    assert Strength.STRONG not in adult_sexual_exploitation


def test_reference_ids_and_strengths_preserved(cat: Catalogue, shared_dir: Path) -> None:
    path = shared_dir / "reference" / "ilo-delphi-indicators.json"
    if not path.is_file():
        pytest.skip(f"shared reference not available at {path}")
    ref = json.loads(path.read_text(encoding="utf-8"))
    assert {s["id"] for s in ref["sets"]} == set(SETS)
    checked = 0
    for s in ref["sets"]:
        for d in s["dimensions"]:
            for item in d["indicators"]:
                ind = cat.indicator(item["id"])  # KeyError = an id was lost
                assert ind.dimension == d["id"]
                assert ind.strengths[s["id"]] == Strength(item["strength"]), (s["id"], item["id"])
                checked += 1
    assert checked == 67 + 65 + 1 + 2


def test_child_labour_strengths_never_below_adult_labour(cat: Catalogue) -> None:
    for ind in cat.indicators_for("child_labour"):
        adult = ind.strengths.get("adult_labour")
        if adult is not None:
            assert ind.strengths["child_labour"].rank <= adult.rank, ind.id


def test_ilo_forced_labour_indicators_are_a_derived_lens(cat: Catalogue) -> None:
    fl = cat.forced_labour_indicators
    assert len(fl) == 11
    assert len({f.id for f in fl}) == 11
    for f in fl:
        assert f.id.startswith("ilo_forced_labour.")
        assert not cat.has_indicator(f.id)  # never answered directly
        assert f.maps_to and all(cat.has_indicator(m) for m in f.maps_to)
        assert f.source.ref == "ilo_forced_labour_2012"
        for lang in LANGS:
            assert f.label.get(lang)


def test_forced_criminality_triggers_and_decisions_documented(cat: Catalogue) -> None:
    assert "coercion_at_destination.forced_into_illicit_or_criminal_activities" in (
        cat.forced_criminality_triggers
    )
    assert "forced_criminality.proceeds_taken" not in cat.forced_criminality_triggers
    decision_ids = {d["id"] for d in cat.decisions}
    assert {
        "forced_criminality_mapping",
        "online_recruitment_mapping",
        "ilo_forced_labour_as_derived_lens",
        "sexual_sets_reconstruction",
        "age_and_sets",
    } <= decision_ids
    for d in cat.decisions:
        assert all(s in cat.sources for s in d["sources"])
    for ind in cat.indicators:
        if ind.family == "forced_criminality":
            assert set(ind.strengths) == {"adult_labour", "child_labour"}


def test_interview_guide_side_by_side(cat: Catalogue) -> None:
    guide = cat.questions("child_labour", "uk", interviewee_lang="ru")
    assert tuple(s.dimension for s in guide) == DIMENSIONS
    assert sum(len(s.questions) for s in guide) == 76
    first = guide[0].questions[0]
    assert first.indicator_id == (
        "deceptive_recruitment.deceived_about_the_nature_of_the_job_location_or_employer"
    )
    assert first.questions[0].startswith("Коли ви погодилися")
    assert first.interviewee_questions is not None
    assert first.interviewee_questions[0].startswith("Когда вы согласились")
    assert guide[0].interviewee_label == "Вербовка путём обмана"
    assert cat.questions("adult_labour")[0].questions[0].interviewee_questions is None


def test_guide_rejects_unknown_language(cat: Catalogue) -> None:
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        cat.questions("adult_labour", "de")
    with pytest.raises(ValueError, match="interviewee_lang"):
        cat.questions("adult_labour", "en", interviewee_lang="pl")


def test_messages_complete_and_interview_intro(cat: Catalogue) -> None:
    intro = cat.interview_intro
    assert "does not have to answer" in intro.en
    assert "«не знаю»" in intro.uk and "«не знаю»" in intro.ru
    for outcome in ("presumed_victim", "possible_victim", "incomplete", "no_indicators"):
        for lang in LANGS:
            assert cat.message("next_action", outcome).get(lang)
            assert cat.message("outcome", outcome).get(lang)


def test_catalogue_with_missing_message_is_rejected() -> None:
    from opennrm.screening._catalogue import _build

    base = Path(__file__).resolve().parents[2] / "src/opennrm/screening/catalogue/v2026_1"
    meta = json.loads((base / "catalogue.json").read_text(encoding="utf-8"))
    items = json.loads((base / "indicators.json").read_text(encoding="utf-8"))
    assert _build("2026.1", meta, items).version == "2026.1"
    del meta["messages"]["next_action"]["incomplete"]
    with pytest.raises(CatalogueError, match=r"messages\.next_action\.incomplete is missing"):
        _build("2026.1", meta, items)
    meta = json.loads((base / "catalogue.json").read_text(encoding="utf-8"))
    items["indicators"][0]["questions"][0]["ru"] = " "
    with pytest.raises(CatalogueError, match="missing text for ru"):
        _build("2026.1", meta, items)
