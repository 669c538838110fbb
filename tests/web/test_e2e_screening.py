"""A labour inspector screens an adult in Ukrainian on a phone, gets "presumed victim",
opens the case with one action, and the case shows the explanation."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from opennrm.cases.models import Case
from opennrm.screening import load_catalogue
from tests.screenings.helpers import presumed_adult_labour
from tests.web.test_e2e_workflow import _second_factor, _sign_in, choose_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_screening_in_ukrainian_to_referred_case(page, world, artifacts):
    TOTPDevice.objects.create(user=world.inspector, name="phone", confirmed=True)
    _sign_in(page, "inspector")
    _second_factor(page, world.inspector)
    choose_language(page, "uk")

    page.goto("/screenings/new/")
    page.check("input[name=set_id][value=adult_labour]")
    page.fill("#id_age", "31")
    page.select_option("#id_interviewee_language", "uk")
    page.check('input[name=mode][value="full"]')  # the formal interview, topic by topic
    page.click("button.primary")

    catalogue = load_catalogue()
    wanted = presumed_adult_labour()
    order = [d.id for d in catalogue.dimensions]
    for index, dimension in enumerate(order):
        expect(page).to_have_url(re.compile(rf"/q/{index}/$"))
        # the question is shown in Ukrainian (responder) — Cyrillic text on the page
        expect(page.locator("fieldset.q legend").first).to_have_text(
            re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
        )
        for indicator_id in wanted:
            if indicator_id.startswith(dimension + "."):
                page.check(f'input[name="a:{indicator_id}"][value="yes"]')
        last = index == len(order) - 1
        page.click('button[name=go][value="finish"]' if last else 'button[name=go][value="next"]')

    expect(page.locator("#outcome")).to_have_class(re.compile("outcome-presumed_victim"))
    expect(page.locator("#explanation li").first).to_have_text(re.compile(r"[А-Яа-яІіЇїЄєҐґ]"))
    page.screenshot(path=str(artifacts / "screening-result-uk.png"), full_page=True)

    # without the person's consent the case is not opened and the typed note stays
    page.fill("#open-case textarea[name=reason]", "Знайдено на будівництві в Одесі")
    page.click("#open-case button.primary")
    expect(page.locator("#open-case .error").first).to_be_visible()
    expect(page.locator("#open-case textarea[name=reason]")).to_have_value(
        "Знайдено на будівництві в Одесі"
    )
    assert not Case.objects.exists()
    page.check("#open-case input[name=consent_given]")
    page.select_option("#open-case select[name=interpreter_language]", "uk")
    page.click("#open-case button.primary")
    expect(page).to_have_url(re.compile(r"/cases/C-[A-Z0-9]+/$"))
    case = Case.objects.get()
    assert case.state == "referred" and case.screening_outcome == "presumed_victim"
    explanation = page.locator("#screenings .explanation")
    first_dimension = catalogue.dimension("deceptive_recruitment").label.get("uk")
    expect(explanation).to_contain_text(first_dimension)
    page.screenshot(path=str(artifacts / "case-with-screening-uk.png"), full_page=True)


def _no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width} px wide on a 360 px screen"


def test_short_screening_on_a_phone_in_ukrainian(page, world, artifacts):
    """First contact: the short interview asks the deciding questions first, one tap per
    answer, says when the outcome can no longer change, and the result explains it in plain
    words with the formal rule one click away; nothing overflows 360 px."""
    TOTPDevice.objects.create(user=world.inspector, name="phone", confirmed=True)
    page.set_viewport_size({"width": 360, "height": 740})
    _sign_in(page, "inspector")
    _second_factor(page, world.inspector)
    choose_language(page, "uk")

    page.goto("/screenings/new/")
    page.check("input[name=set_id][value=adult_labour]")
    page.fill("#id_age", "31")
    expect(page.locator('input[name=mode][value="short"]')).to_be_checked()
    _no_horizontal_overflow(page)
    page.click("button.primary")
    expect(page).to_have_url(re.compile(r"/ask/$"))

    wanted = presumed_adult_labour()
    taps = 0
    while page.locator("#settled").count() == 0:
        expect(page.locator(".sc-progress")).to_contain_text("78")
        if taps == 0:
            _no_horizontal_overflow(page)
            page.screenshot(path=str(artifacts / "screening-short-question-uk.png"))
        indicator = page.locator('input[name="indicator"]').get_attribute("value")
        answer = wanted.get(indicator, "no")
        page.click(f'#question button[name=answer][value="{answer}"]')
        taps += 1
        assert taps < 78
    assert taps < 40, taps
    _no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "screening-short-settled-uk.png"), full_page=True)
    page.click("#settled button.primary")

    expect(page.locator("#outcome")).to_have_class(re.compile("outcome-presumed_victim"))
    expect(page.locator("#explanation .explanation li").first).to_have_text(
        re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
    )
    formal = page.locator("#explanation details.formal")
    expect(formal.locator(".explanation-formal")).not_to_be_visible()
    formal.locator("summary").click()
    expect(formal.locator(".explanation-formal")).to_be_visible()
    _no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "screening-short-result-uk.png"), full_page=True)


def test_long_section_keeps_its_primary_action_in_reach_on_a_phone(page, world, artifacts):
    """Full interview at 360 px in Russian: a long topic's "Save and continue" is on screen
    without scrolling to the bottom, nothing overflows, and "Finish" is not offered before
    the outcome is settled (only "Finish early…", which asks for confirmation)."""
    TOTPDevice.objects.create(user=world.inspector, name="phone", confirmed=True)
    page.set_viewport_size({"width": 360, "height": 740})
    _sign_in(page, "inspector")
    _second_factor(page, world.inspector)
    choose_language(page, "ru")
    page.goto("/screenings/new/")
    page.check("input[name=set_id][value=adult_labour]")
    page.check('input[name=mode][value="full"]')
    page.click("button.primary")
    expect(page).to_have_url(re.compile(r"/q/0/$"))
    _no_horizontal_overflow(page)
    primary = page.locator('button[name=go][value="next"]')
    box = primary.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740, box
    page.screenshot(path=str(artifacts / "screening-full-section-ru-360.png"))
    early = page.locator('button[name=go][value="finish"]')
    expect(early).to_have_count(1)
    expect(early).not_to_have_class(re.compile("primary"))
    early.click()
    expect(page).to_have_url(re.compile(r"/finish/$"))
    expect(page.locator("#finish")).to_contain_text("78")
    _no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "screening-finish-early-ru-360.png"), full_page=True)
