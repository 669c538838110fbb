"""The analyst's statistics dashboard on a 360 px phone in Ukrainian: readable, no
sideways scrolling. (Here beside the other browser tests, which share one Chromium per
test session: two sync Playwright instances cannot run in one thread.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.stats.factories import make_population

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_at_360px_in_ukrainian(browser, live_server, world, artifacts):
    from django.core.cache import cache

    cache.clear()
    make_population(world, 200)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 780},
        locale="uk-UA",
        extra_http_headers={"Accept-Language": "uk"},
    )
    page = context.new_page()
    try:
        page.goto("/login/")
        page.fill("#id_username", "analyst")
        page.fill("#id_password", PASSWORD)
        page.click("button.primary")
        expect(page).to_have_url(re.compile(r"/$"))
        page.goto("/stats/?start=2025-01-01&end=2025-12-31")
        expect(page.locator("h1")).to_have_text("Статистика")
        expect(page.locator("section.chart")).to_have_count(11)
        expect(page.locator("#chart-by_exploitation")).to_contain_text(
            "Примушування до злочинної діяльності"
        )  # a label, not a code
        expect(page.locator("#chart-by_exploitation")).to_contain_text("Приховування малих значень")
        page.screenshot(path=str(artifacts / "stats-dashboard-360-uk.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            print(
                page.evaluate(
                    """[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).slice(0, 8).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right) + " " + (e.textContent || "").slice(0, 40))"""
                )
            )
        assert overflow <= 0
        # bad input: a message in Ukrainian on the page, not an error page
        page.goto("/stats/?start=2025-06-01&end=2025-01-01")
        expect(page.locator("[role=alert]")).to_contain_text("Період починається після")
    finally:
        context.close()
