"""The referral journey of issue 8, in Ukrainian on a 360-px phone, three people at once:
a labour inspector screens and refers; the coordinator decides reasonable grounds and
refers to a shelter with the person's consent; the shelter's worker sees only the shelter
fields and accepts; the inspector sees the outcome; the consent is withdrawn and the
shelter's access ends."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from opennrm.cases.models import Case
from opennrm.referrals.models import Referral
from opennrm.screenings.services import screening_complete, screening_save_answers, screening_start
from tests.referrals.helpers import shelter_of
from tests.screenings.helpers import presumed_adult_labour
from tests.web.test_e2e_workflow import _second_factor, _sign_in, choose_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 800}


def _phone(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="uk-UA")
    page = context.new_page()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    _sign_in(page, user.username)
    _second_factor(page, user)
    choose_language(page, "uk")
    return context, page


def _fits(page, artifacts, name):
    """No horizontal overflow at 360 px; a screenshot for the record."""
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(artifacts / f"referral-{name}-uk-360.png"), full_page=True)
    assert width <= PHONE["width"], f"{name}: page is {width}px wide"


def test_referral_journey_in_ukrainian_on_a_phone(browser, live_server, world, artifacts):
    shelter = shelter_of(world.ngo, name="Прихисток «Світанок»", capacity_available=2)
    screening = screening_start(
        actor=world.inspector, set_id="adult_labour", age=29, interviewee_language="uk"
    )
    screening = screening_save_answers(
        actor=world.inspector,
        screening=screening,
        answers=presumed_adult_labour(),
        expected_version=1,
    )
    screening = screening_complete(actor=world.inspector, screening=screening)

    inspector_ctx, inspector = _phone(browser, live_server, world.inspector)
    coordinator_ctx, coordinator = _phone(browser, live_server, world.coordinator)
    shelter_ctx, worker = _phone(browser, live_server, world.ngo_worker)
    try:
        # 1. the inspector opens the case from the screening and refers it, with consent
        inspector.goto(f"/screenings/{screening.public_id}/")
        inspector.check("#open-case input[name=consent_given]")
        inspector.select_option("#open-case select[name=interpreter_language]", "uk")
        _fits(inspector, artifacts, "1-open-case")
        inspector.click("#open-case button.primary")
        expect(inspector).to_have_url(re.compile(r"/cases/C-[A-Z0-9]+/$"))
        case = Case.objects.get()
        assert case.state == "referred" and case.owning_agency == world.labour
        inspector.goto(f"/cases/{case.reference}/person/")
        inspector.fill("#id_given_name", "Олена")
        inspector.fill("#id_family_name", "Демченко")
        inspector.check("input[name=gender][value=female]")
        inspector.fill("#id_languages", "uk")
        inspector.fill("#id_documents", "Паспорт FA123456")
        inspector.fill("#id_contact", "Телефон сестри")
        inspector.click("button.primary")
        expect(inspector).to_have_url(re.compile(rf"/cases/{case.reference}/$"))

        # 2. the coordinator decides reasonable grounds and refers to the shelter
        coordinator.goto(f"/cases/{case.reference}/")
        coordinator.locator("details.step summary").first.click()
        form = coordinator.locator("details.step[open] form")
        form.locator("textarea[name=reason]").fill("Сильні індикатори примусової праці")
        form.locator("button.primary").click()
        case.refresh_from_db()
        assert case.state == "presumed_victim"
        _fits(coordinator, artifacts, "2-case-coordinator")
        coordinator.click("#referrals a.button")
        coordinator.check("input[name=needs][value=shelter]")
        coordinator.click("form[method=get] button")
        card = coordinator.locator("#ranked > li", has_text="Світанок")
        expect(card.locator("ul.reasons li").first).to_be_visible()
        _fits(coordinator, artifacts, "3-ranked-services")
        card.locator("summary").click()
        card.locator("textarea[name=note]").fill("Потрібне місце сьогодні")
        card.locator("button.primary").click()  # no consent ticked: refused, input kept
        expect(coordinator.locator("#refer-error, .error").first).to_be_visible()
        card = coordinator.locator("#ranked > li", has_text="Світанок")
        expect(card.locator("textarea[name=note]")).to_have_value("Потрібне місце сьогодні")
        assert not Referral.objects.exists()
        card.locator("input[name=consent_given]").check()
        card.locator("select[name=interpreter_language]").select_option("uk")
        card.locator("button.primary").click()
        expect(coordinator).to_have_url(re.compile(r"/referrals/\d+/$"))
        referral = Referral.objects.get()
        assert referral.status == "sent" and referral.service_id == shelter.pk

        # 3. the shelter's worker sees only the shelter fields, and accepts
        worker.goto("/referrals/")
        worker.locator("#incoming a", has_text=case.reference).click()
        _fits(worker, artifacts, "4-referral-shelter")
        worker.click("#see-person")  # what you may see of the person
        expect(worker.locator("body")).to_contain_text("Олена")
        expect(worker.locator("body")).not_to_contain_text("FA123456")  # passport: not shelter's
        _fits(worker, artifacts, "5-person-shelter")
        worker.goto(f"/cases/{case.reference}/")
        expect(worker.locator("#workflow")).not_to_contain_text("Відкликати")  # no owner's steps
        worker.goto(f"/referrals/{referral.pk}/")
        worker.locator("#referral-actions details.step summary").nth(1).click()  # accept
        worker.locator("#referral-actions details.step[open] button.primary").click()
        referral.refresh_from_db()
        assert referral.status == "accepted"

        # 4. the inspector sees the outcome in the case timeline
        inspector.goto(f"/cases/{case.reference}/")
        expect(inspector.locator("ol.timeline")).to_contain_text("Світанок")
        _fits(inspector, artifacts, "6-case-inspector")

        # 5. the consent to the shelter is withdrawn: the shelter's access ends at once
        coordinator.goto(f"/cases/{case.reference}/")
        coordinator.locator("#consent li", has_text="Світанок").locator("button").click()
        referral.refresh_from_db()
        assert referral.status == "withdrawn"
        response = worker.goto(f"/cases/{case.reference}/")
        assert response.status == 404
    finally:
        for context in (inspector_ctx, coordinator_ctx, shelter_ctx):
            context.close()
