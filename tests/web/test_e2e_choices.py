"""Long choices on a phone: radio buttons instead of selects that cut their labels, and the
case list's state filter folded under its label with the chosen state beside it, kept
current when htmx updates the rows."""

from __future__ import annotations

import pytest

from opennrm.cases.models import Case
from tests.cases.helpers import open_case
from tests.web.conftest import signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser, live_server, user, language="uk"):
    context = signed_in_context(browser, live_server, user, language)
    return context, context.new_page()


def test_the_state_filter_folds_and_says_the_chosen_state(browser, live_server, world, artifacts):
    kept = open_case(world.case_manager, summary="Справа, що триває")
    closed = open_case(world.case_manager, summary="Закрита справа")
    Case.objects.filter(pk=closed.pk).update(state="closed")
    context, page = _page(browser, live_server, world.case_manager)
    try:
        page.goto("/cases/")
        folded = page.locator("details.choices")
        summary = folded.locator("summary")
        assert folded.get_attribute("open") is None  # "any state": folded
        assert summary.inner_text().split() == ["Стан", "Будь-який", "стан"]
        assert not page.get_by_role("radio", name="Закрито").is_visible()
        summary.click()
        with page.expect_response(lambda r: "state=closed" in r.url):
            page.get_by_role("radio", name="Закрито").check()
        page.wait_for_function(
            "(ref) => document.querySelector('#case-rows').innerText.includes(ref)",
            arg=closed.reference,
        )
        assert kept.reference not in page.locator("#case-rows").inner_text()
        summary.click()  # fold it again: the chosen state shows beside the label
        assert summary.inner_text().split() == ["Стан", "Закрито"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(artifacts / "case-list-state-folded-uk-360.png"), full_page=True)
        # a link with a state opens the list unfolded, that state chosen
        page.goto("/cases/?state=recovery_reflection")
        assert folded.get_attribute("open") is not None
        assert page.get_by_role("radio", name="Період відновлення та роздумів").is_checked()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_long_choices_are_radio_buttons_that_read_whole(browser, live_server, world, language):
    context, page = _page(browser, live_server, world.coordinator, language)
    try:
        for path, name in (("/cases/new/", "exploitation_type"), ("/screenings/new/", "set_id")):
            page.goto(path)
            assert page.locator("select").count() == page.locator("select[name$=language]").count()
            labels = page.locator(f"label.choice:has(input[name={name}])")
            assert labels.count() >= 4, path
            for i in range(labels.count()):
                box = labels.nth(i).evaluate(
                    "(l) => ({scroll: l.scrollWidth, client: l.clientWidth, "
                    "right: l.getBoundingClientRect().right})"
                )
                assert box["scroll"] <= box["client"] and box["right"] <= 360, (path, box)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
