"""The alert queue's filter row: the chosen queue reads whole on a desktop in every
language, and nothing overflows a phone."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.conftest import verified_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# the chosen option's text against the room inside the select (padding and arrow excluded):
# a select's own scrollWidth does not grow with its text in every engine, so this measures
# the text with the select's font as well
_FITS = """(select) => {
  const style = getComputedStyle(select);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = style.font;
  const text = ctx.measureText(select.options[select.selectedIndex].text).width;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {scroll: select.scrollWidth, client: select.clientWidth, text, room};
}"""


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_the_chosen_queue_reads_whole_and_the_phone_never_overflows(
    browser, live_server, world, artifacts, language
):
    session = verified_client(world.officer).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    page = context.new_page()
    try:
        page.goto("/online/?category=recruitment")
        select = page.locator("form.filters select[name=category]")
        assert select.input_value() == "recruitment"
        size = select.evaluate(_FITS)
        page.screenshot(path=str(artifacts / f"online-queue-filters-1280-{language}.png"))
        assert size["scroll"] <= size["client"], size
        # the arrow of the native control takes about 20 px of the room
        assert size["text"] + 20 <= size["room"], size
        page.set_viewport_size({"width": 360, "height": 740})
        page.goto("/online/?category=recruitment")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        size = page.locator("form.filters select[name=category]").evaluate(_FITS)
        assert size["scroll"] <= size["client"], size
        page.screenshot(path=str(artifacts / f"online-queue-filters-360-{language}.png"))
    finally:
        context.close()
