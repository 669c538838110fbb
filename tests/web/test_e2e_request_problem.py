"""A page's request that fails says so (httpguard/_request_problem.html, request-problem.js).

htmx swaps no answer with an error status and nothing when the server cannot be reached:
before, a click on "Next" of a screening (a boosted form) behind a busy database did
nothing visible, and the interviewer could believe the answers were saved. Now the reader
is told in their language, in a box screen readers announce at once (aria-live
"assertive"), that nothing was saved and to try again; what they ticked or typed stays."""

from __future__ import annotations

import re

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from opennrm.screenings import services as screening_services
from opennrm.screenings.models import Screening
from tests.cases.helpers import open_case
from tests.web.conftest import signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALERT = "#request-problem [aria-live=assertive]"


def _busy(*args, **kwargs):
    # what the SQLite write queue raises after OPENNRM_SQLITE_WRITE_WAIT (opennrm.core.db_sqlite);
    # DatabaseBusyMiddleware turns it into the 503 "busy" answer
    raise OperationalError("database is locked (the write queue waited too long)")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width} px wide on a 360 px screen"
    box = page.locator("#request-problem").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["y"] + box["height"] <= 740  # on the screen, not below it


def _settle(page, sent: list) -> None:
    """Wait until the list's requests stop: the filter's form sends one request on Enter
    (submit) and, 400 ms later, a second one from its typing trigger (keyup changed delay);
    a late one must not land after the step the test is checking."""
    seen = -1
    for _ in range(40):
        if len(sent) == seen:
            return
        seen = len(sent)
        page.wait_for_timeout(700)
    raise AssertionError(f"the page kept sending requests ({len(sent)})")


def test_a_busy_answer_to_a_screening_step_says_nothing_was_saved_and_keeps_the_answer(
    browser, live_server, world, artifacts, monkeypatch
):
    screening = screening_services.screening_start(
        actor=world.inspector, set_id="adult_labour", age=31, interviewee_language="uk"
    )
    context = signed_in_context(browser, live_server, world.inspector, "uk")
    page = context.new_page()
    try:
        page.goto(f"/screenings/{screening.public_id}/q/0/")
        expect(page.locator(ALERT)).to_be_empty()  # in the page, silent, before anything fails
        answer = page.locator('fieldset.q input[type=radio][value="yes"]').first
        answer.check()
        monkeypatch.setattr(screening_services, "screening_save_answers", _busy)
        with page.expect_response(re.compile(r"/q/0/$")) as sent:
            page.click('button[name=go][value="next"]')
        assert sent.value.status == 503
        assert sent.value.request.headers.get("hx-request") == "true"  # htmx sent it
        alert = page.locator(ALERT)
        expect(alert).to_have_text(re.compile("нічого не збережено"))
        expect(alert).to_contain_text("спробуйте ще раз")
        expect(page.locator("#request-problem")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/q/0/$"))  # still on the same step ...
        expect(answer).to_be_checked()  # ... with the answer as ticked
        assert Screening.objects.get(pk=screening.pk).answers == {}  # and nothing stored
        _fits(page)
        page.screenshot(path=str(artifacts / "request-problem-busy-uk-360.png"), full_page=False)

        monkeypatch.undo()  # the database is free again: the same click goes through
        page.click('button[name=go][value="next"]')
        expect(page).to_have_url(re.compile(r"/q/1/$"))
        expect(page.locator(ALERT)).to_be_empty()
        assert Screening.objects.get(pk=screening.pk).answers
    finally:
        context.close()


def test_a_lost_connection_or_a_refusal_of_a_filter_is_said_and_the_typed_search_stays(
    browser, live_server, world
):
    open_case(world.case_manager, summary="Справа для пошуку")
    context = signed_in_context(browser, live_server, world.case_manager, "ru")
    page = context.new_page()
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.url) if "/cases/?" in request.url else None
    )
    try:
        page.goto("/cases/")
        # from here on the list's updates find the server gone
        page.route(re.compile(r"/cases/\?"), lambda route: route.abort("connectionfailed"))
        page.fill("input[name=q]", "Одесса")
        page.press("input[name=q]", "Enter")  # htmx sends the filter (no page load)
        alert = page.locator(ALERT)
        expect(alert).to_have_text(re.compile("Не удалось связаться с сервером"))
        expect(alert).to_contain_text("могло не сохраниться")
        expect(page.locator("input[name=q]")).to_have_value("Одесса")
        _settle(page, sent)

        page.unroute(re.compile(r"/cases/\?"))
        page.route(
            re.compile(r"/cases/\?"),
            lambda route: route.fulfill(status=429, body="slow down", content_type="text/plain"),
        )
        page.fill("input[name=q]", "Одесса, порт")
        page.press("input[name=q]", "Enter")
        expect(alert).to_have_text(re.compile("Слишком много запросов.*ничего не сохранено"))
        expect(page.locator("input[name=q]")).to_have_value("Одесса, порт")
        _settle(page, sent)
        expect(alert).to_have_text(re.compile("Слишком много запросов"))

        page.get_by_role("button", name="Закрыть").click()  # the reader may put it away
        expect(alert).to_be_empty()
        expect(page.get_by_role("button", name="Закрыть")).to_be_hidden()
    finally:
        context.close()
