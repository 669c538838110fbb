"""End to end in headless Chromium: sign in with 2FA, open a case, move it
through the workflow as two agencies, and find it all in the audit log."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import current_code
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")


def _enrol_second_factor(page) -> None:
    """First sign-in: the setup page shows a QR code and the key; confirm with a code."""
    expect(page).to_have_url(re.compile(r"/2fa/setup/$"))
    expect(page.locator("img.qr")).to_be_visible()
    secret = page.locator("#otp-secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_token", f"{totp(key):06d}")
    page.click("button.primary")
    expect(page).to_have_url(re.compile(r"/$"))


def _second_factor(page, user) -> None:
    expect(page).to_have_url(re.compile(r"/2fa/"))
    page.fill("#id_token", current_code(TOTPDevice.objects.get(user=user, confirmed=True)))
    page.click("button.primary")


def _open_menu(page) -> None:
    """On a phone the navigation, language and sign-out fold behind the menu button."""
    page.wait_for_load_state("load")
    button = page.locator("label.menu-button")
    if button.is_visible() and not page.locator("#menu-toggle").is_checked():
        button.click()


def choose_language(page, code: str) -> None:
    _open_menu(page)
    page.select_option("#lang-select", code)
    page.click("form.lang button")


def _sign_out(page) -> None:
    _open_menu(page)
    page.click("header form button.link")
    expect(page).to_have_url(re.compile(r"/login/"))


def _take_step(page, label: str, **fields: str) -> None:
    page.locator("details.step summary", has_text=label).click()
    form = page.locator("details.step[open] form")
    for name, value in fields.items():
        if name in ("screening_outcome", "referral_agency"):
            form.locator(f"select[name={name}]").select_option(value)
        else:
            form.locator(f"[name={name}]").fill(value)
    form.locator("button.primary").click()


def test_case_through_the_workflow_with_audit(page, world, artifacts):
    world.coordinator.refresh_from_db()
    # 1. a police officer signs in for the first time and sets up 2FA
    _sign_in(page, "officer")
    _enrol_second_factor(page)
    assert TOTPDevice.objects.filter(user=world.officer, confirmed=True).exists()

    # 2. opens a case, with a hostile summary that must stay text
    page.click("text=Open a case")
    page.check("input[name=exploitation_type][value=labour]")
    page.fill("#id_region", "Kyiv")
    page.fill(
        "#id_summary", "Met at bus station <img src=x onerror=alert(1)><script>alert(2)</script>"
    )
    page.click("button.primary")
    expect(page.locator("h1")).to_contain_text("Case C-")
    reference = page.locator("h1").inner_text().split()[-1]
    expect(page.locator("dd.pre").last).to_contain_text("<script>alert(2)</script>")

    # 3. screens and refers it to the national coordination office
    _take_step(page, "Record screening", screening_outcome="presumed_victim")
    expect(page.locator(".badge.state")).to_have_text("Screened")
    # without the person's consent the referral is refused and the case stays screened
    _take_step(
        page,
        "Refer to the NRM",
        referral_agency=str(world.coordination.pk),
        reason="Passport withheld, debt, no pay",
    )
    expect(page.locator(".messages li.error")).to_contain_text("consent")
    expect(page.locator(".badge.state")).to_have_text("Screened")
    page.locator("#consent summary").first.click()
    consent = page.locator("#consent details[open] form")
    consent.locator("select[name=recipient_agency]").select_option(str(world.coordination.pk))
    consent.locator("input[name=purpose][value=nrm_referral]").check()
    consent.locator("select[name=interpreter_language]").select_option("uk")
    consent.locator("button").click()
    expect(page.locator("#consent li").first).to_contain_text(world.coordination.name)
    _take_step(
        page,
        "Refer to the NRM",
        referral_agency=str(world.coordination.pk),
        reason="Passport withheld, debt, no pay",
    )
    expect(page.locator(".badge.state")).to_have_text("Referred")
    # a front-line officer has no decision buttons
    expect(page.locator("details.step summary", has_text="Reasonable grounds")).to_have_count(0)
    _sign_out(page)

    # 4. the NRM coordinator takes the reasonable-grounds decision
    TOTPDevice.objects.create(user=world.coordinator, name="phone", confirmed=True)
    _sign_in(page, "coordinator")
    _second_factor(page, world.coordinator)
    expect(page.locator("body")).to_contain_text(reference)  # the deadline list on the dashboard
    page.goto(f"/cases/{reference}/")
    _take_step(
        page, "Reasonable grounds: presumed victim", reason="Strong indicators of forced labour"
    )
    expect(page.locator(".badge.state")).to_have_text("Presumed victim")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Referred → Presumed victim")
    expect(timeline).to_contain_text("Strong indicators of forced labour")
    _sign_out(page)

    # 5. the auditor sees every step and a verified chain
    TOTPDevice.objects.create(user=world.auditor, name="phone", confirmed=True)
    _sign_in(page, "auditor")
    _second_factor(page, world.auditor)
    page.goto(f"/audit/?object_ref={reference}")
    rows = page.locator("table.audit tbody tr")
    # rows carry the action code; the page shows its translated label
    expect(page.locator("tr[data-action='case.create']")).to_have_count(1)
    expect(page.locator("tr[data-action='case.transition']")).to_have_count(3)
    expect(page.locator("tr[data-action='grant.create']")).to_have_count(1)
    expect(rows.filter(has_text="Case opened")).to_have_count(1)
    assert page.locator("tr[data-action='case.view']").count() >= 3  # each opening, both users
    expect(rows.filter(has_text="(NRM coordinator)").first).to_be_visible()
    page.click("button[name=verify]")  # a POST: verification is work, not a page view
    expect(page.locator("#verify-result")).to_contain_text("Chain intact")
    assert page.dialogs == []  # nothing from the hostile summary ever ran


def test_dashboard_screenshot_on_a_phone(page, world, artifacts):
    from tests.cases.helpers import open_case, referred_case

    open_case(world.officer, region="Kyiv")
    referred_case(world)
    TOTPDevice.objects.create(user=world.officer, name="phone", confirmed=True)
    _sign_in(page, "officer")
    _second_factor(page, world.officer)
    expect(page.locator("h1")).to_have_text("Dashboard")
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    page.goto("/cases/")
    page.screenshot(path=str(artifacts / "case-list.png"), full_page=True)
    assert (artifacts / "dashboard.png").stat().st_size > 10_000


def test_language_switch_to_ukrainian_and_russian(page, world):
    TOTPDevice.objects.create(user=world.officer, name="phone", confirmed=True)
    _sign_in(page, "officer")
    _second_factor(page, world.officer)
    choose_language(page, "uk")
    expect(page.locator("h1")).to_have_text("Інформаційна панель")
    choose_language(page, "ru")
    expect(page.locator("h1")).to_have_text("Информационная панель")


def test_wrong_code_is_refused_with_a_message(page, world):
    TOTPDevice.objects.create(user=world.officer, name="phone", confirmed=True)
    _sign_in(page, "officer")
    page.fill("#id_token", "000000")
    page.click("button.primary")
    expect(page.locator(".error")).to_contain_text("not right")
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/2fa/"))  # still locked out of every page
