"""The online pages as an officer uses them on a 360 px phone in Ukrainian: the network
graph can be read and tapped, and a post can be picked for export with a finger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from opennrm.online.models import Contact, Feedback, MonitoredPost, PostGroup, PostStatus
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
        legend = page.locator("#graph-legend")
        expect(legend).to_be_visible()  # what the colours mean, under the graph
        assert legend.locator("li").count() == 3
        page.locator("section.card:has(svg.graph)").screenshot(
            path=str(artifacts / f"online-network-legend-360-{language}.png")
        )
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


@pytest.mark.parametrize(
    ("language", "mark", "yes", "cancel", "undo"),
    [
        ("uk", "Хибне спрацювання", "Так, позначити", "Скасувати", "Повернути в чергу"),
        ("ru", "Ложное срабатывание", "Да, отметить", "Отмена", "Вернуть в очередь"),
    ],
)
def test_a_false_positive_asks_first_and_a_mistaken_one_returns_to_the_queue(
    browser, live_server, world, artifacts, tmp_path, language, mark, yes, cancel, undo
):
    # the button sits right under "Create case" on a phone: one tap removed the post from
    # the queue and stored a label for retraining, with no way back
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    context = _phone(browser, live_server, world.officer, language)
    page = context.new_page()
    try:
        page.goto("/online/?category=&status=new")
        page.locator("article.alert .alert-head a").first.click()
        page.wait_for_url("**/online/posts/*/?back=*")
        pk = int(page.url.split("/online/posts/")[1].split("/")[0])
        # a tap asks first (a page, no script dialog); "Cancel" changes nothing
        page.get_by_role("button", name=mark).click()
        expect(page.locator("#confirm-false-positive")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(artifacts / f"online-false-positive-confirm-360-{language}.png"))
        page.get_by_role("link", name=cancel).click()
        page.wait_for_url(f"**/online/posts/{pk}/?back=*")
        assert MonitoredPost.objects.get(pk=pk).status == PostStatus.NEW
        # confirmed: back on the queue as it was left, with the way back offered
        page.get_by_role("button", name=mark).click()
        page.get_by_role("button", name=yes).click()
        page.wait_for_url("**/online/?*status=new*")
        assert MonitoredPost.objects.get(pk=pk).status == PostStatus.FALSE_POSITIVE
        assert Feedback.objects.filter(post_id=pk).count() == 1
        back = page.locator("#undo-false-positive button")
        expect(back).to_have_text(undo)
        box = back.bounding_box()
        assert box and box["height"] >= 44, box
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(artifacts / f"online-false-positive-undo-360-{language}.png"))
        back.click()
        page.wait_for_url("**/online/?*status=new*")
        expect(page.locator(".messages")).to_be_visible()
        assert MonitoredPost.objects.get(pk=pk).status == PostStatus.NEW
        assert not Feedback.objects.filter(post_id=pk).exists()
        # the post page of a false positive returns it too
        page.goto(f"/online/posts/{pk}/")
        page.get_by_role("button", name=mark).click()
        page.get_by_role("button", name=yes).click()
        page.goto(f"/online/posts/{pk}/")
        page.get_by_role("button", name=undo).click()
        page.wait_for_url(f"**/online/posts/{pk}/")
        expect(page.get_by_role("button", name=mark)).to_be_visible()
        assert MonitoredPost.objects.get(pk=pk).status == PostStatus.NEW
        assert not Feedback.objects.filter(post_id=pk).exists()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_a_table_without_its_text_column_is_answered_on_the_form_on_a_phone(
    browser, live_server, world, artifacts, tmp_path, language
):
    """An officer's Excel export ("Дата;Канал;Оголошення", Windows-1251) is refused at
    once with the columns it has; typing one of them, and choosing the file again,
    imports it."""
    table = tmp_path / "Вакансії.csv"
    table.write_bytes(
        "Дата;Канал;Оголошення\n2026-11-30 10:00;robota;Робота в Польщі\n".encode("cp1251")
    )
    context = _phone(browser, live_server, world.officer, language)
    page = context.new_page()
    try:
        page.goto("/online/import/")
        page.set_input_files("input[type=file]", str(table))
        page.locator("form[enctype] button[type=submit]").click()
        error = page.locator("input[name=text_column]").locator("xpath=..")
        expect(error).to_contain_text("«Дата», «Канал», «Оголошення»")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(
            path=str(artifacts / f"online-import-no-text-column-360-{language}.png"), full_page=True
        )
        page.fill("input[name=text_column]", "оголошення")
        page.set_input_files("input[type=file]", str(table))
        page.locator("form[enctype] button[type=submit]").click()
        page.wait_for_url("**/online/imports/*/")
    finally:
        context.close()
