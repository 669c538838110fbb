"""The case manager's casework on a 360-px phone in Ukrainian: assign the case, write a
note and a contact, add a need to the plan, attach a signed consent (a PDF), and every
page fits the screen."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from opennrm.audit.models import AuditEntry
from opennrm.casework.models import Assignment, Attachment, Note, PlanItem
from tests.cases.helpers import open_case
from tests.web.test_e2e_workflow import _second_factor, _sign_in, choose_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 800}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _fits(page, artifacts, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(artifacts / f"casework-{name}-uk-360.png"), full_page=True)
    assert width <= PHONE["width"], f"{name}: page is {width}px wide"


def test_casework_in_ukrainian_on_a_phone(
    browser, live_server, world, artifacts, settings, tmp_path
):
    settings.OPENNRM_FILE_KEYS = [Fernet.generate_key().decode()]
    settings.OPENNRM_ATTACHMENT_DIR = tmp_path / "attachments"
    settings.OPENNRM_CLAMD_SOCKET = ""
    case = open_case(world.case_manager, summary="Трудова експлуатація на будівництві")
    user = world.case_manager
    user.first_name, user.last_name = "Олена", "Коваль"
    user.save(update_fields=["first_name", "last_name"])

    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="uk-UA")
    page = context.new_page()
    try:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        _sign_in(page, user.username)
        _second_factor(page, user)
        choose_language(page, "uk")

        page.goto(f"/cases/{case.reference}/")
        expect(page.locator("#casework h2")).to_have_text("Робота зі справою")
        _fits(page, artifacts, "1-case")
        page.click("#open-casework")
        expect(page).to_have_url(re.compile(rf"/casework/{case.reference}/$"))
        _fits(page, artifacts, "2-casework")

        # assign to oneself
        page.select_option("#id_assign-assignee", str(user.pk))
        page.click("#assignment button.primary")
        expect(page.locator(".messages")).to_contain_text("Призначення збережено.")
        expect(page.locator("#assignment ul")).to_contain_text("Олена Коваль")

        # a contact, first without its date: the form says so and keeps the text
        page.click("#notes summary")
        page.select_option("#id_note-kind", "contact")
        page.fill("#id_note-text", "Телефонувала щодо житла")
        page.select_option("#id_note-channel", "phone")
        page.click("#notes button.primary")
        expect(page.locator("#notes .error")).to_contain_text("Вкажіть дату контакту.")
        expect(page.locator("#id_note-text")).to_have_value("Телефонувала щодо житла")
        _fits(page, artifacts, "3-note-error")
        page.fill("#id_note-contact_on", case.created_at.date().isoformat())
        page.click("#notes button.primary")
        expect(page.locator("#notes ol")).to_contain_text("Телефонувала щодо житла")
        expect(page.locator("#notes ol")).to_contain_text("Телефон")

        # a need in the assistance plan
        page.click("#plan summary")
        page.select_option("#id_plan-kind", "need")
        page.select_option("#id_plan-service_type", "shelter")
        page.fill("#id_plan-text", "Безпечне житло на 3 місяці")
        page.click("#plan button.primary")
        expect(page.locator("#plan table")).to_contain_text("Безпечне житло на 3 місяці")

        # the signed consent, a PDF
        page.click("#attachments summary")
        page.select_option("#id_file-kind", "consent")
        page.set_input_files(
            "#attachments input[type=file]",
            {"name": "згода.pdf", "mimeType": "application/pdf", "buffer": PDF},
        )
        page.click("#attachments button.primary")
        expect(page.locator(".messages")).to_contain_text("Файл додано.")
        link = page.locator("#attachments ul a").first
        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        assert download.path().read_bytes() == PDF
        _fits(page, artifacts, "4-casework-filled")

        # the dashboard: assigned to me; and the calendar as a list on the phone
        page.goto("/")
        expect(page.locator("#assigned-to-me")).to_contain_text(case.reference)
        _fits(page, artifacts, "5-dashboard")
        page.goto("/casework/calendar/")
        expect(page.locator("h1")).to_have_text("Календар строків")
        expect(page.locator("#month-list")).to_be_visible()
        expect(page.locator("#month-grid")).to_be_hidden()
        _fits(page, artifacts, "6-calendar")
    finally:
        context.close()

    assert Assignment.objects.get(case=case).user == user
    assert Note.objects.filter(case=case, kind="contact", channel="phone").count() == 1
    assert PlanItem.objects.filter(case=case, service_type="shelter").count() == 1
    attachment = Attachment.objects.get(case=case)
    stored = (tmp_path / "attachments" / attachment.storage_name).read_bytes()
    assert b"%PDF" not in stored
    assert AuditEntry.objects.filter(
        action="casework.attachment.download", object_ref=case.reference
    ).exists()
