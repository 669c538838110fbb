"""The print stylesheet in headless Chromium: the case page and the screening result on
paper keep their content and lose navigation, forms and buttons."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from opennrm.cases.services import person_save
from opennrm.referrals.services import referral_create
from opennrm.screenings.services import screening_record
from tests.cases.helpers import referred_case, step
from tests.conftest import current_code
from tests.factories import PASSWORD, TOTPDeviceFactory
from tests.referrals.helpers import consent_to_service, shelter_of
from tests.screenings.helpers import presumed_adult_labour

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, user) -> None:
    TOTPDeviceFactory(user=user)
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(re.compile(r"/2fa/"))
    page.fill("#id_token", current_code(TOTPDevice.objects.get(user=user, confirmed=True)))
    page.click("button.primary")
    expect(page).to_have_url(re.compile(r"/$"))


def _hidden_in_print(page, selectors: list[str]) -> None:
    for selector in selectors:
        for element in page.locator(selector).all():
            expect(element).to_be_hidden()


def test_case_page_prints_without_navigation_and_forms(page, world, artifacts):
    case = referred_case(world)
    _sign_in(page, world.officer)
    page.goto(f"/cases/{case.reference}/")
    expect(page.locator("header.top")).to_be_visible()
    expect(page.locator("#workflow")).to_be_visible()
    page.emulate_media(media="print")
    _hidden_in_print(
        page, ["header.top", "footer", "#workflow", "#handover", "form", "a.button", "button"]
    )
    expect(page.locator("h1")).to_contain_text(case.reference)
    expect(page.locator("dl.facts")).to_be_visible()
    expect(page.locator("ol.timeline")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    page.screenshot(path=str(artifacts / "print-case.png"), full_page=True)
    # on A4 paper, as the browser's "Print → Save as PDF" makes it
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-")
    (artifacts / "print-case.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")
    expect(page.locator("header.top")).to_be_visible()


def test_screening_result_prints_the_outcome_not_the_forms(page, world, artifacts):
    screening = screening_record(
        actor=world.officer, set_id="adult_labour", age=30, answers=presumed_adult_labour()
    )
    _sign_in(page, world.officer)
    page.goto(f"/screenings/{screening.public_id}/")
    expect(page.locator("#open-case")).to_be_visible()
    page.emulate_media(media="print")
    _hidden_in_print(page, ["header.top", "#open-case", "form", "button"])
    expect(page.locator("#outcome")).to_be_visible()
    expect(page.locator("#explanation")).to_be_visible()
    page.screenshot(path=str(artifacts / "print-screening.png"), full_page=True)


def test_referral_page_prints_the_referral_not_the_answer_forms(page, world, artifacts):
    case = referred_case(world)
    person_save(actor=world.officer, case=case, expected_version=None, data={"given_name": "Олена"})
    case.refresh_from_db()
    step(case, world.coordinator, "decide_reasonable_grounds")
    case.refresh_from_db()
    shelter = shelter_of(world.ngo, name="Shelter Harbour")
    consent_to_service(case, world.coordinator, shelter)
    referral = referral_create(actor=world.coordinator, case=case, service=shelter)
    _sign_in(page, world.ngo_worker)
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.locator("#referral-actions")).to_be_visible()
    page.emulate_media(media="print")
    _hidden_in_print(page, ["header.top", "#referral-actions", "form", "a.button", "button"])
    expect(page.locator("h1")).to_contain_text("Shelter Harbour")
    expect(page.locator("#referral-history")).to_be_visible()
    (artifacts / "print-referral.pdf").write_bytes(page.pdf(format="A4"))
