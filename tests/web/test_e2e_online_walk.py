"""The online pages as an officer uses them on a 360 px phone in Ukrainian: the network
graph can be read and tapped, and a post can be picked for export with a finger."""

from __future__ import annotations

import pytest

from opennrm.online.models import Contact, MonitoredPost, PostGroup
from opennrm.online.services import online_import
from tests.online.posts import write_jsonl
from tests.web.conftest import signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser, live_server, user, language="uk"):
    return signed_in_context(browser, live_server, user, language)


_BOXES = """(svg) => ({
  labels: [...svg.querySelectorAll("text")].map((t) => t.getBoundingClientRect().height),
  posts: [...svg.querySelectorAll("circle.post")].map((c) => c.getBoundingClientRect().width),
})"""


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_network_graph_reads_and_taps_on_a_phone(
    browser, live_server, world, artifacts, tmp_path, language
):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    group = PostGroup.objects.filter(kind="network").first()
    assert group is not None
    context = _phone(browser, live_server, world.officer, language)
    page = context.new_page()
    try:
        page.goto(f"/online/groups/{group.pk}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        svg = page.locator("svg.graph")
        boxes = svg.evaluate(_BOXES)
        assert boxes["labels"] and boxes["posts"]
        # a contact's label is text a person can read (the page's small print is ~13 px),
        # not ~6 px; a post is a dot a finger can hit, not a 10 px speck
        assert min(boxes["labels"]) >= 11, boxes
        assert min(boxes["posts"]) >= 16, boxes
        svg.screenshot(path=str(artifacts / f"online-network-graph-360-{language}.png"))
        # a contact node opens the contact's page
        label = svg.locator("text").first.text_content()
        (contact,) = [c for c in Contact.objects.filter(agency=world.police) if c.value == label]
        svg.locator("a:has(text)").first.click()
        page.wait_for_url(f"**/online/contacts/{contact.pk}/")
    finally:
        context.close()


def test_a_post_is_picked_for_export_with_a_finger(browser, live_server, world, tmp_path):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    context = _phone(browser, live_server, world.officer)
    page = context.new_page()
    try:
        page.goto("/online/?category=")
        pick = page.locator("article.alert .alert-head label.pick").first
        pick.scroll_into_view_if_needed()
        box = pick.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, box
        # a tap beside the small box, inside its target, picks the post
        page.mouse.click(box["x"] + 3, box["y"] + 3)
        assert pick.locator("input[type=checkbox]").is_checked()
    finally:
        context.close()


@pytest.mark.parametrize(
    ("language", "ukrainian", "russian"),
    [("uk", "Українська", "Російська"), ("ru", "Украинский", "Русский")],
)
def test_the_language_filter_offers_the_posts_languages_by_name(
    browser, live_server, world, artifacts, tmp_path, language, ukrainian, russian
):
    # an officer who sees "Українська" on every post typed "Українська" into a free text
    # field that only took a code ("uk") and got an empty queue without a word why
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    languages = set(MonitoredPost.objects.values_list("language", flat=True))
    assert {"uk", "ru"} <= languages
    context = _phone(browser, live_server, world.officer, language)
    page = context.new_page()
    try:
        page.goto("/online/?status=&category=")
        field = page.locator("form.queue-filters select[name=language]")
        options = field.locator("option").all_inner_texts()
        assert ukrainian in options and russian in options, options
        assert not {"uk", "ru", "pl", "en"} & set(options), options  # no raw codes
        field.select_option(label=russian)
        page.locator("form.queue-filters button[type=submit]").click()
        page.wait_for_url("**/online/?*language=ru*")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shown = page.locator("article.alert").count()
        assert shown == MonitoredPost.objects.filter(language="ru").count() > 0
        assert page.locator("form.queue-filters select[name=language]").input_value() == "ru"
        page.screenshot(path=str(artifacts / f"online-queue-language-360-{language}.png"))
    finally:
        context.close()
