"""The service directory on a 360 px phone in Ukrainian: no horizontal overflow, and a provider
updates the free places of a shelter."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from opennrm.accounts.models import Agency
from opennrm.directory.demo import directory_load_demo
from opennrm.directory.models import Service
from tests.web.test_e2e_workflow import _open_menu, _second_factor, _sign_in, choose_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


def test_directory_on_a_phone_in_ukrainian(browser, live_server, world, artifacts):
    Agency.objects.filter(pk=world.ngo.pk).update(type="ngo", is_synthetic=True)
    directory_load_demo()
    TOTPDevice.objects.create(user=world.ngo_worker, name="phone", confirmed=True)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 780}, locale="uk-UA"
    )
    page = context.new_page()
    _sign_in(page, "ngo")
    _second_factor(page, world.ngo_worker)
    choose_language(page, "uk")

    _open_menu(page)
    page.click("header nav a[href='/directory/']")
    expect(page.locator("h1")).to_have_text("Довідник служб")
    page.select_option("#id_service_type", "shelter")
    expect(page.locator("#service-rows article")).to_have_count(3)
    expect(page.locator("#service-rows")).to_contain_text("Заповнено")
    _no_overflow(page)
    page.screenshot(path=str(artifacts / "directory-list-uk-360.png"), full_page=True)

    page.locator("#service-rows a", has_text="Women's shelter").click()
    expect(page.locator("#capacity-form")).to_be_visible()
    page.fill("#id_available", "99")
    page.click("#capacity-form button.primary")
    expect(page.locator("#capacity-form .error")).to_contain_text("всього 12 місць")
    expect(page.locator("#id_available")).to_have_value("99")
    page.fill("#id_available", "0")
    page.click("#capacity-form button.primary")
    expect(page).to_have_url(re.compile(r"/directory/services/[0-9a-f-]+/$"))
    expect(page.locator("#capacity")).to_contain_text("Заповнено")
    _no_overflow(page)
    page.screenshot(path=str(artifacts / "directory-service-uk-360.png"), full_page=True)
    assert Service.objects.get(name="Women's shelter (DEMO)").capacity_available == 0

    page.goto("/directory/match/")
    page.check("input[name=needs][value=shelter]")
    page.select_option("#id_language", "ru")
    page.select_option("#id_gender", "male")
    page.fill("#id_age", "30")
    page.select_option("#id_region", "Lviv")
    page.click("#match-form button.primary")
    results = page.locator("#match-results")
    expect(results.locator("h2").first).to_have_text("Можуть прийняти особу зараз")
    expect(results.locator("article").first).to_contain_text("Shelter for men")
    expect(results.locator("article").first).to_contain_text("Мова спілкування: Російська")
    expect(results).to_contain_text("Лише для жінок")
    expect(results).to_contain_text("Заповнено: вільних місць немає")
    assert page.url.endswith("/directory/match/")  # the person's facts never go in the URL
    _no_overflow(page)
    page.screenshot(path=str(artifacts / "directory-match-uk-360.png"), full_page=True)
    context.close()
