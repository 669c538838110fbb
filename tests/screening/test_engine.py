"""Worked examples with expected outcomes written out, plus the trace and result shape."""

from __future__ import annotations

import json

import pytest

from opennrm.screening import Answer, Catalogue, Outcome, ScreeningResult, evaluate

# Short names for the indicators used below (full ids are the stable API).
DR_JOB = "deceptive_recruitment.deceived_about_the_nature_of_the_job_location_or_employer"
DR_WAGES = "deceptive_recruitment.deceived_about_wages_or_earnings"
DR_CONDITIONS = "deceptive_recruitment.deceived_about_conditions_of_work"
DR_EDUCATION = "deceptive_recruitment.deceived_about_access_to_education_opportunities"
CR_VIOLENCE = "coercive_recruitment.violence_on_victims"
RV_EMOTIONAL = "recruitment_abuse_of_vulnerability.psychological_and_emotional_dependency"
RV_ECONOMIC = "recruitment_abuse_of_vulnerability.economic_reasons"
RV_PERSONAL = "recruitment_abuse_of_vulnerability.personal_situation"
RV_CONTEXT = "recruitment_abuse_of_vulnerability.general_context"
EX_HOURS = "exploitative_conditions.excessive_working_days_or_hours"
EX_PAY = "exploitative_conditions.low_or_no_salary"
EX_WAGE_MANIP = "exploitative_conditions.wage_manipulation"
EX_LIVING = "exploitative_conditions.bad_living_conditions"
EX_HAZARD = "exploitative_conditions.hazardous_work"
EX_EDUCATION = "exploitative_conditions.no_access_to_education"
CD_DOCS = "coercion_at_destination.confiscation_of_documents"
CD_DEBT = "coercion_at_destination.debt_bondage"
CD_THREATS = "coercion_at_destination.threats_of_violence_against_victim"
CD_TASKS = "coercion_at_destination.forced_tasks_or_clients"
CD_CRIME = "coercion_at_destination.forced_into_illicit_or_criminal_activities"
CD_INFORM = "coercion_at_destination.threats_to_inform_family_community_or_public"
VD_DEPEND = "abuse_of_vulnerability_at_destination.dependency_on_exploiters"
FC_BEG = "forced_criminality.begging_for_others"
FC_PROCEEDS = "forced_criminality.proceeds_taken"
FC_QUOTAS = "forced_criminality.quotas_with_punishment"
OR_UNVERIFIABLE = "online_recruitment.recruiter_unverifiable_online"


def yes(*ids: str) -> dict[str, str]:
    return dict.fromkeys(ids, "yes")


def all_no(cat: Catalogue, set_id: str, **overrides: str) -> dict[str, str]:
    answers = dict.fromkeys(cat.indicator_set(set_id).indicator_ids, "no")
    answers.update(overrides)
    return answers


def dim(result: ScreeningResult, dimension: str) -> tuple[bool, str | None]:
    d = next(x for x in result.dimensions if x.dimension == dimension)
    return d.established, d.clause


# --- adults, labour -----------------------------------------------------------------------


def test_adult_labour_deception_exploitation_and_coercion_is_presumed(cat: Catalogue) -> None:
    # Promised a hotel job, ended up on a farm for less pay; 14-hour days for almost nothing;
    # passport kept by the boss and a debt for the journey that keeps growing.
    r = evaluate(
        cat,
        set_id="adult_labour",
        age=34,
        answers=yes(DR_JOB, DR_WAGES, EX_HOURS, EX_PAY, CD_DOCS, CD_DEBT),
    )
    assert r.outcome is Outcome.PRESUMED_VICTIM
    assert r.refer and r.rule == "adult" and r.rule_clause == "adult"
    assert dim(r, "deceptive_recruitment") == (True, "strong_plus_other")
    assert dim(r, "exploitative_conditions") == (True, "strong_plus_other")
    assert dim(r, "coercion_at_destination") == (True, "two_strong")
    assert dim(r, "coercive_recruitment") == (False, None)
    assert r.reasons == ("rule_met",)
    assert r.next_questions == () and r.open_dimensions == ()
    assert r.forced_criminality is False
    assert set(r.forced_labour_indicators) == {
        "ilo_forced_labour.deception",
        "ilo_forced_labour.excessive_overtime",
        "ilo_forced_labour.withholding_of_wages",
        "ilo_forced_labour.retention_of_identity_documents",
        "ilo_forced_labour.debt_bondage",
    }
    assert r.next_action.en.startswith("Refer now for formal identification")
    assert "This is a child" not in r.next_action.en


def test_adult_labour_without_means_at_destination_is_possible(cat: Catalogue) -> None:
    r = evaluate(
        cat, set_id="adult_labour", age=41, answers=yes(DR_JOB, DR_WAGES, EX_HOURS, EX_PAY)
    )
    assert r.outcome is Outcome.POSSIBLE_VICTIM
    assert r.reasons == (
        "dimension_established",
        "strong_indicator",
        "indicators_present_rule_reachable",
    )
    assert r.next_action.en.startswith("Further interview needed.")
    # the destination element is the one still open; its strongest items come first
    assert r.open_dimensions == ("coercion_at_destination", "abuse_of_vulnerability_at_destination")
    assert r.next_questions[:4] == (
        CD_DOCS,
        CD_DEBT,
        "coercion_at_destination.isolation_confinement_or_surveillance",
        "coercion_at_destination.violence_on_victims",
    )
    assert all(
        q.split(".")[0] in r.open_dimensions or q.startswith("forced_criminality.quotas")
        for q in r.next_questions
    )


def test_unknown_is_not_no(cat: Catalogue) -> None:
    """The same facts with the destination questions answered "no" rather than "unknown":
    still possible (two dimensions established) but nothing left to ask."""
    base = yes(DR_JOB, DR_WAGES, EX_HOURS, EX_PAY)
    dest = [
        i
        for i in cat.indicator_set("adult_labour").indicator_ids
        if i.startswith(("coercion_at_destination.", "abuse_of_vulnerability_at_destination."))
        or i == FC_QUOTAS
    ]
    unknown = evaluate(
        cat, set_id="adult_labour", age=41, answers=base | dict.fromkeys(dest, "unknown")
    )
    no = evaluate(cat, set_id="adult_labour", age=41, answers=base | dict.fromkeys(dest, "no"))
    assert unknown.outcome is no.outcome is Outcome.POSSIBLE_VICTIM
    assert "indicators_present_rule_reachable" in unknown.reasons
    assert "indicators_present_rule_reachable" not in no.reasons
    assert len(unknown.next_questions) == len(dest)
    assert no.next_questions == ()
    assert unknown.answer_counts["unknown"] == len(dest)


def test_everything_no_is_no_indicators(cat: Catalogue) -> None:
    r = evaluate(cat, set_id="adult_labour", age=25, answers=all_no(cat, "adult_labour"))
    assert r.outcome is Outcome.NO_INDICATORS
    assert r.reasons == ("rule_unreachable",)
    assert r.next_questions == ()
    assert r.next_action.en.startswith("No referral for trafficking is needed")


def test_war_refugee_with_no_other_indicator_is_not_flagged(cat: Catalogue) -> None:
    # A weak indicator alone (fled a war) with every other question answered "no".
    r = evaluate(
        cat, set_id="adult_labour", age=29, answers=all_no(cat, "adult_labour", **yes(RV_CONTEXT))
    )
    assert r.outcome is Outcome.NO_INDICATORS


def test_nothing_answered_is_incomplete(cat: Catalogue) -> None:
    r = evaluate(cat, set_id="adult_labour", age=None, answers={})
    assert r.outcome is Outcome.INCOMPLETE
    assert r.reasons == ("rule_reachable_nothing_present",)
    assert r.answer_counts == {"yes": 0, "no": 0, "unknown": 0, "not_asked": 78}
    assert set(r.open_dimensions) == {d.id for d in cat.dimensions}
    same = evaluate(
        cat,
        set_id="adult_labour",
        age=None,
        answers=dict.fromkeys(cat.indicator_set("adult_labour").indicator_ids, "unknown"),
    )
    assert same.outcome is Outcome.INCOMPLETE
    assert same.next_questions == r.next_questions


def test_single_strong_indicator_is_possible(cat: Catalogue) -> None:
    r = evaluate(
        cat, set_id="adult_labour", age=52, answers=all_no(cat, "adult_labour", **yes(CD_DOCS))
    )
    # one strong indicator never establishes a dimension, and the rule is unreachable here,
    # but a strong indicator is still worth a further interview
    assert r.outcome is Outcome.POSSIBLE_VICTIM
    assert r.reasons == ("strong_indicator",)
    assert r.next_questions == ()
    assert r.next_action.en.startswith("Do not close the case.")
    assert r.next_action.uk.startswith("Не закривайте справу.")


@pytest.mark.parametrize(
    ("present", "clause"),
    [
        ((EX_HOURS, FC_PROCEEDS), "two_strong"),
        ((EX_HOURS, EX_PAY), "strong_plus_other"),
        ((EX_HOURS, EX_EDUCATION), "strong_plus_other"),  # strong + weak
        ((EX_PAY, EX_LIVING, EX_HAZARD), "three_medium"),
        ((EX_PAY, EX_LIVING, EX_EDUCATION), "two_medium_one_weak"),
        ((EX_HOURS,), None),  # one strong alone is not enough
        ((EX_PAY, EX_LIVING), None),
        ((EX_PAY, EX_EDUCATION), None),
        ((EX_EDUCATION,), None),  # weak alone never
    ],
)
def test_dimension_rule(cat: Catalogue, present: tuple[str, ...], clause: str | None) -> None:
    r = evaluate(cat, set_id="adult_labour", age=30, answers=yes(*present))
    assert dim(r, "exploitative_conditions") == (clause is not None, clause)


# --- adults, sexual exploitation ----------------------------------------------------------


def test_adult_sexual_lover_boy_case_is_presumed(cat: Catalogue) -> None:
    # Recruited by a "boyfriend" while in debt and homeless; long nights, no money, crowded flat;
    # cannot refuse clients and threatened.
    r = evaluate(
        cat,
        set_id="adult_sexual",
        age=19,
        answers=yes(
            RV_EMOTIONAL,
            RV_ECONOMIC,
            RV_PERSONAL,
            EX_HOURS,
            EX_PAY,
            EX_LIVING,
            CD_TASKS,
            CD_THREATS,
        ),
    )
    assert r.outcome is Outcome.PRESUMED_VICTIM
    assert dim(r, "recruitment_abuse_of_vulnerability") == (True, "three_medium")
    # in the sexual sets excessive hours is medium (no strong exploitation indicator)
    assert dim(r, "exploitative_conditions") == (True, "three_medium")
    assert dim(r, "coercion_at_destination") == (True, "strong_plus_other")


def test_adult_sexual_same_hours_and_pay_are_weaker_than_in_labour(cat: Catalogue) -> None:
    answers = yes(EX_HOURS, EX_PAY)
    labour = evaluate(cat, set_id="adult_labour", age=30, answers=answers)
    sexual = evaluate(cat, set_id="adult_sexual", age=30, answers=answers)
    assert dim(labour, "exploitative_conditions") == (True, "strong_plus_other")
    assert dim(sexual, "exploitative_conditions") == (False, None)


# --- children -----------------------------------------------------------------------------


def test_child_labour_exploitation_alone_is_referred(cat: Catalogue) -> None:
    # A 15-year-old working long days in a market instead of school; recruitment unknown.
    r = evaluate(cat, set_id="child_labour", age=15, answers=yes(EX_HOURS, EX_EDUCATION))
    assert r.child and r.rule == "child"
    assert r.outcome is Outcome.PRESUMED_VICTIM
    assert r.rule_clause == "child_exploitation_only"
    assert "This is a child" in r.next_action.en
    assert "Це дитина" in r.next_action.uk and "Это ребёнок" in r.next_action.ru


def test_child_labour_recruitment_and_exploitation(cat: Catalogue) -> None:
    # Deception about schooling is strong for children (weak for adults).
    r = evaluate(
        cat, set_id="child_labour", age=13, answers=yes(DR_JOB, DR_EDUCATION, EX_HOURS, EX_PAY)
    )
    assert r.rule_clause == "child_recruitment_and_exploitation"
    assert dim(r, "deceptive_recruitment") == (True, "two_strong")
    adult = evaluate(cat, set_id="adult_labour", age=18, answers=yes(DR_EDUCATION, DR_CONDITIONS))
    assert dim(adult, "deceptive_recruitment") == (False, None)  # 1 weak + 1 medium


def test_child_no_means_needed(cat: Catalogue) -> None:
    """Coercion at destination is irrelevant for a child; for an adult it is required."""
    answers = yes(DR_JOB, DR_WAGES, EX_HOURS, EX_PAY)
    child = evaluate(cat, set_id="child_labour", age=16, answers=answers)
    adult = evaluate(cat, set_id="adult_labour", age=18, answers=answers)
    assert child.outcome is Outcome.PRESUMED_VICTIM
    assert adult.outcome is Outcome.POSSIBLE_VICTIM


def test_child_sexual_hazardous_work_is_strong(cat: Catalogue) -> None:
    r = evaluate(cat, set_id="child_sexual", age=14, answers=yes(EX_HAZARD, EX_PAY))
    assert dim(r, "exploitative_conditions") == (True, "strong_plus_other")
    assert r.outcome is Outcome.PRESUMED_VICTIM
    assert r.rule_clause == "child_exploitation_only"


def test_child_recruitment_without_exploitation_is_possible(cat: Catalogue) -> None:
    r = evaluate(cat, set_id="child_sexual", age=16, answers=yes(CR_VIOLENCE, DR_JOB))
    assert r.outcome is Outcome.POSSIBLE_VICTIM
    # recruitment is not established either (one strong item in each of two dimensions), so
    # its dimensions stay open, but exploitation questions come first: for a child a "yes"
    # there can complete the rule on its own
    assert r.open_dimensions == (
        "deceptive_recruitment",
        "coercive_recruitment",
        "recruitment_abuse_of_vulnerability",
        "exploitative_conditions",
    )
    first = cat.indicator(r.next_questions[0])
    assert first.dimension == "exploitative_conditions"
    assert first.strengths["child_sexual"].value == "strong"
    assert "This is a child" in r.next_action.en


# --- forced criminality -------------------------------------------------------------------


def test_forced_begging_with_quotas_is_presumed_and_flagged(cat: Catalogue) -> None:
    # Recruited through an online "job" by an untraceable profile; made to beg, hands over
    # the money, beaten if the daily target is missed; passport taken.
    r = evaluate(
        cat,
        set_id="adult_labour",
        age=23,
        answers=yes(DR_JOB, OR_UNVERIFIABLE, FC_BEG, FC_PROCEEDS, FC_QUOTAS, CD_DOCS),
    )
    assert r.outcome is Outcome.PRESUMED_VICTIM
    assert dim(r, "exploitative_conditions") == (True, "strong_plus_other")
    assert dim(r, "coercion_at_destination") == (True, "two_strong")
    assert r.forced_criminality is True
    assert r.forced_criminality_indicators == (FC_BEG, FC_QUOTAS)  # proceeds alone is no offence
    assert "non-punishment principle" in r.next_action.en
    assert "принцип непокарання" in r.next_action.uk
    assert "принцип ненаказания" in r.next_action.ru


def test_delphi_criminal_activity_item_alone_sets_flag(cat: Catalogue) -> None:
    r = evaluate(
        cat, set_id="adult_sexual", age=27, answers=all_no(cat, "adult_sexual", **yes(CD_CRIME))
    )
    assert r.outcome is Outcome.POSSIBLE_VICTIM
    assert r.reasons == ("forced_criminality",)
    assert r.forced_criminality_indicators == (CD_CRIME,)


def test_child_forced_drug_transport(cat: Catalogue) -> None:
    r = evaluate(
        cat,
        set_id="child_labour",
        age=15,
        answers=yes("forced_criminality.drug_cultivation_or_transport", FC_PROCEEDS),
    )
    assert r.outcome is Outcome.PRESUMED_VICTIM
    assert r.forced_criminality
    assert "This is a child" in r.next_action.en and "non-punishment" in r.next_action.en


# --- trace and result shape ---------------------------------------------------------------


def test_explanation_names_every_dimension_clause_and_answers(cat: Catalogue) -> None:
    r = evaluate(
        cat,
        set_id="adult_labour",
        age=34,
        answers=yes(DR_JOB, DR_WAGES, EX_HOURS, EX_PAY, CD_DOCS, VD_DEPEND)
        | {CD_INFORM: "unknown"},
    )
    lines = r.explanation("en")
    assert lines[0] == (
        "Deceptive recruitment: ESTABLISHED — clause '1 strong + 1 medium or weak' met by: "
        "Deceived about the nature of the job, location or employer (strong); "
        "Deceived about wages or earnings (medium)."
    )
    assert lines[1].startswith(
        "Coercive recruitment: not established — no indicator answered 'yes'."
    )
    assert lines[4].startswith(
        "Coercion at destination: not established — present: Confiscation of documents (strong)"
    )
    assert "Open questions (unknown or not asked): 15." in lines[4]
    assert (
        lines[-1] == "Indicators are present and the open questions could still complete the rule."
    )
    for lang in ("uk", "ru"):
        translated = r.explanation(lang)
        assert len(translated) == len(lines)
        for d in cat.dimensions:
            assert any(line.startswith(d.label.get(lang)) for line in translated)


def test_to_dict_is_json_with_stable_keys(cat: Catalogue) -> None:
    r = evaluate(cat, set_id="child_labour", age=None, answers=yes(EX_HOURS, EX_EDUCATION))
    d = r.to_dict()
    assert list(d) == [
        "catalogue_version",
        "set",
        "age",
        "child",
        "outcome",
        "refer",
        "rule",
        "rule_clause",
        "reasons",
        "forced_criminality",
        "forced_criminality_indicators",
        "forced_labour_indicators",
        "open_dimensions",
        "next_questions",
        "next_action",
        "answer_counts",
        "dimensions",
        "elements",
        "explanation",
    ]
    assert d["catalogue_version"] == "2026.1"
    assert d["outcome"] == "presumed_victim" and d["child"] is True and d["age"] is None
    assert set(d["next_action"]) == set(d["explanation"]) == {"en", "uk", "ru"}
    assert list(d["dimensions"][0]) == [
        "dimension",
        "element",
        "established",
        "clause",
        "present",
        "absent",
        "unknown",
        "not_asked",
        "reachable",
    ]
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d


def test_deterministic(cat: Catalogue) -> None:
    answers = yes(DR_JOB, EX_HOURS, CD_DOCS) | {EX_PAY: "unknown", CD_DEBT: "no"}
    first = evaluate(cat, set_id="adult_labour", age=30, answers=answers).to_dict()
    second = evaluate(cat, set_id="adult_labour", age=30, answers=dict(reversed(answers.items())))
    assert second.to_dict() == first


def test_answers_accept_enum_and_normalised_strings(cat: Catalogue) -> None:
    a = evaluate(
        cat, set_id="adult_labour", age=30, answers={EX_HOURS: Answer.YES, EX_PAY: " YES "}
    )
    b = evaluate(cat, set_id="adult_labour", age=30, answers={EX_HOURS: "ｙｅｓ", EX_PAY: "Yes"})
    assert (
        dim(a, "exploitative_conditions")
        == dim(b, "exploitative_conditions")
        == (
            True,
            "strong_plus_other",
        )
    )
    c = evaluate(cat, set_id=" Adult_Labour ", age=30, answers={EX_HOURS: "yes"})
    assert c.set_id == "adult_labour"


def test_outcome_order() -> None:
    assert (
        Outcome.NO_INDICATORS
        < Outcome.INCOMPLETE
        < Outcome.POSSIBLE_VICTIM
        < Outcome.PRESUMED_VICTIM
    )
    assert max(Outcome) is Outcome.PRESUMED_VICTIM
    assert sorted(Outcome, reverse=True)[0] is Outcome.PRESUMED_VICTIM
    assert Outcome("possible_victim") >= Outcome.INCOMPLETE
    by_value: dict[str, int] = {Outcome.INCOMPLETE: 1}
    assert by_value["incomplete"] == 1  # still a str-valued enum: hashes and compares as str
