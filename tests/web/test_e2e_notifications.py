"""In headless Chromium on a 360 px phone, in Ukrainian: the header badge counts unread
notifications, the inbox reads in Ukrainian, and nothing scrolls sideways."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from opennrm.cases.models import Case
from opennrm.notifications import services
from opennrm.notifications.case_reminders import _today_in
from opennrm.notifications.kinds import Kind
from opennrm.notifications.reminders import run_reminders
from tests.cases.helpers import referred_case
from tests.conftest import current_code
from tests.factories import PASSWORD, TOTPDeviceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 740},
        locale="uk-UA",
        extra_http_headers={"Accept-Language": "uk"},
    )
    page = context.new_page()
    yield page
    context.close()


def test_badge_and_inbox_on_a_phone_in_ukrainian(phone, world, artifacts):
    case = referred_case(world)
    Case.objects.filter(pk=case.pk).update(rg_due=_today_in("UA", timezone.now()))
    run_reminders()  # the coordinator is reminded of the decision due today
    # (the referral itself told the coordination office: three notifications in all)
    services.notify(
        recipients=[world.coordinator],
        kind=Kind.ACCESS_REQUESTED,
        params={"purpose": "shelter"},
    )
    TOTPDeviceFactory(user=world.coordinator)

    phone.goto("/login/")
    phone.fill("#id_username", "coordinator")
    phone.fill("#id_password", PASSWORD)
    phone.click("button.primary")
    expect(phone).to_have_url(re.compile(r"/2fa/"))
    phone.fill("#id_token", current_code(TOTPDevice.objects.get(user=world.coordinator)))
    phone.click("button.primary")
    expect(phone).to_have_url(re.compile(r"/$"))

    badge = phone.locator("header a.notif-link")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("Вхідні")
    expect(badge.locator(".notif-count")).to_have_text("3")
    phone.screenshot(path=str(artifacts / "notifications-header-360-uk.png"), full_page=True)
    assert phone.evaluate(OVERFLOW) <= 0

    badge.click()
    expect(phone).to_have_url(re.compile(r"/notifications/$"))
    expect(phone.locator("h1")).to_have_text("Сповіщення")
    items = phone.locator("li.notif")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("Установа просить доступ до справи")
    expect(items.first).to_contain_text("Притулок")
    expect(items.nth(1)).to_contain_text("Рішення щодо обґрунтованих підстав слід ухвалити до")
    expect(items.nth(1)).to_contain_text(case.reference)
    expect(items.nth(2)).to_contain_text("Вашій установі надіслано нове направлення.")
    assert phone.evaluate(OVERFLOW) <= 0
    phone.screenshot(path=str(artifacts / "notifications-inbox-360-uk.png"), full_page=True)

    # open the reminder: marked read, and the case opens
    items.nth(1).locator("button.primary").click()
    expect(phone).to_have_url(re.compile(rf"/cases/{case.reference}/$"))
    expect(phone.locator("header a.notif-link .notif-count")).to_have_text("2")
    assert phone.evaluate(OVERFLOW) <= 0

    phone.goto("/notifications/")
    phone.click("text=Позначити всі прочитаними")
    expect(phone.locator("header a.notif-link .notif-count")).to_have_count(0)
    expect(phone.locator("li.notif.unread")).to_have_count(0)
