"""The alert queue's filter row: the chosen queue reads whole at every width, from a
320 px phone to a desktop, in every language, and nothing overflows.

The queue used to be a select: a select shows its chosen option on one line and cuts it
("Вербування з ризиком торгівлі лю") below about 440 px and between 464 and 480 px. The
choices are radio buttons now; their labels wrap.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 360, 400, 440, 464, 472, 480, 520, 640, 800, 1280)

# each choice of the queue: its label's text against the label's box, and the box
# against the form's (nothing cut, nothing outside the card)
_CHOICES = """(form) => {
  const card = form.getBoundingClientRect();
  return [...form.querySelectorAll(".wide fieldset.choices label.choice")].map((label) => {
    const box = label.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(label);
    const text = range.getBoundingClientRect();
    const input = label.querySelector("input");
    return {
      value: input.value, checked: input.checked, text: label.textContent.trim(),
      scroll: label.scrollWidth, client: label.clientWidth, height: box.height,
      inside: box.left >= card.left - 0.5 && box.right <= card.right + 0.5,
      textInside: text.left >= box.left - 0.5 && text.right <= box.right + 0.5,
    };
  });
}"""


_WIDE = """(wide) => {
  const form = wide.parentElement, style = getComputedStyle(form);
  const content = form.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {width: wide.getBoundingClientRect().width, content};
}"""


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_the_chosen_queue_reads_whole_at_every_width(
    browser, live_server, world, artifacts, language
):
    context = signed_in_context(browser, live_server, world.officer, language, width=1280)
    page = context.new_page()
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto("/online/?category=recruitment")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            choices = page.locator("form.queue-filters").evaluate(_CHOICES)
            assert [c["value"] for c in choices] == ["recruitment", "spam", "unflagged", ""]
            assert [c["checked"] for c in choices] == [True, False, False, False]
            # the queue takes a whole row of one column, or two columns (25rem) once there
            # are two: never one narrow column beside another
            wide = page.locator("form.queue-filters .wide").evaluate(_WIDE)
            assert wide["width"] >= min(wide["content"], 400) - 1, (width, wide)
            for choice in choices:
                assert choice["text"] and choice["scroll"] <= choice["client"], (width, choice)
                assert choice["inside"] and choice["textInside"], (width, choice)
                assert choice["height"] >= 44, (width, choice)  # a finger's target
            if width in (360, 1280):
                page.locator("form.queue-filters .wide fieldset.choices").screenshot(
                    path=str(artifacts / f"online-queue-filters-{width}-{language}.png")
                )
        # choosing another queue and filtering shows it chosen
        page.get_by_role("radio", name=choices[1]["text"]).check()
        page.locator("form.queue-filters button[type=submit]").click()
        page.wait_for_url("**/online/?*category=spam*")
        assert page.get_by_role("radio", name=choices[1]["text"]).is_checked()
    finally:
        context.close()
