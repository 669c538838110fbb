"""A screening step sent after the session ended keeps the ticked answer and says why (a
real browser: htmx follows a redirect by itself; httpguard/signin.py answers 401)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from opennrm.screenings.models import Screening
from tests.httpguard.test_signin import screening_of
from tests.web.conftest import signed_in_context

ALERT = "#request-problem [aria-live=assertive]"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_session_that_ended_keeps_the_ticked_answer_and_says_why(
    browser, live_server, world, artifacts
):
    screening = screening_of(world)
    context = signed_in_context(browser, live_server, world.inspector, "uk")
    page = context.new_page()
    try:
        page.goto(f"/screenings/{screening.public_id}/q/0/")
        answer = page.locator('fieldset.q input[type=radio][value="yes"]').first
        answer.check()
        # the session ends (signed out in another tab, timed out): its cookie is gone
        kept = [c for c in context.cookies() if c["name"] != settings.SESSION_COOKIE_NAME]
        assert len(kept) < len(context.cookies())
        context.clear_cookies()
        context.add_cookies(kept)
        with page.expect_response(re.compile(r"/q/0/$")) as sent:
            page.click('button[name=go][value="next"]')
        assert sent.value.status == 401
        alert = page.locator(ALERT)
        expect(alert).to_contain_text("нічого не збережено")
        expect(alert).to_contain_text("увійдіть знову")
        expect(page).to_have_url(re.compile(r"/q/0/$"))  # not the sign-in page ...
        expect(answer).to_be_checked()  # ... and the answer still ticked
        assert Screening.objects.get(pk=screening.pk).answers == {}
        page.screenshot(path=str(artifacts / "request-problem-signed-out-uk-360.png"))
    finally:
        context.close()
