"""Scraped posts are hostile: real XSS payloads render as text and never run."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from opennrm.online.models import ImportRun, MonitoredPost
from opennrm.online.services import import_process
from tests.online.posts import write_jsonl
from tests.web.test_e2e_workflow import _second_factor, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alert_queue_upload_review_and_xss(page, world, artifacts, tmp_path):
    TOTPDevice.objects.create(user=world.officer, name="phone", confirmed=True)
    _sign_in(page, "officer")
    _second_factor(page, world.officer)

    # upload through the page: it returns at once to the progress page (queued); the
    # background job (run here as the worker would) imports it and the page, polling
    # with htmx under the strict CSP, shows the counts and the malformed line
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/online/import/")
    page.set_input_files("#id_file", str(write_jsonl(tmp_path / "posts.jsonl")))
    page.click("button.primary")
    expect(page).to_have_url(re.compile(r"/online/imports/\d+/$"))
    expect(page.locator("#import-status")).to_contain_text("Waiting for the worker")
    run = ImportRun.objects.get()
    import_process(run_id=run.pk)
    expect(page.locator("#import-status")).to_contain_text("Finished", timeout=15_000)
    expect(page.locator("#import-stored")).to_have_text("7")
    expect(page.locator("#import-skipped")).to_have_text("1")
    expect(page.locator("#import-status")).to_contain_text("posts.jsonl:3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # phone-first
    page.screenshot(path=str(artifacts / "online-import-progress.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/online/")
    cards = page.locator("article.alert")
    expect(cards.first).to_be_visible()
    # the payloads are visible as text ...
    expect(page.locator("body")).to_contain_text("<script>alert('xss-1')</script>")
    expect(page.locator("body")).to_contain_text("<img src=x onerror=alert('xss-2')>")
    # ... and no element came from them
    assert (
        page.locator(
            "article.alert script, article.alert img, article.alert svg, article.alert iframe"
        ).count()
        == 0
    )
    expect(
        page.locator("article.alert mark").first
    ).to_be_visible()  # reasons highlighted in the text
    page.screenshot(path=str(artifacts / "online-queue.png"), full_page=True)

    # a post page with a javascript: URL shows it as text, not as a link
    # (texts are encrypted at rest: found by reading them; the ad was uploaded twice)
    post = next(p for p in MonitoredPost.objects.order_by("id") if "xss-2" in p.text)
    page.goto(f"/online/posts/{post.pk}/")
    expect(page.locator("dd.pre")).to_contain_text("javascript:alert('url')")
    assert page.locator("a[href^='javascript']").count() == 0

    # the campaign page shows the template; the network page draws the graph
    if post.campaign_id:
        page.goto(f"/online/groups/{post.campaign_id}/")
        expect(page.locator("h1")).to_contain_text("Campaign")
    if post.network_id:
        page.goto(f"/online/groups/{post.network_id}/")
        expect(page.locator("svg.graph")).to_be_visible()
        page.screenshot(path=str(artifacts / "online-network.png"), full_page=True)

    # turn the alert into a case
    page.goto(f"/online/posts/{post.pk}/")
    page.click("text=Create case / lead")
    expect(page).to_have_url(re.compile(r"/cases/C-"))
    expect(page.locator(".messages")).to_contain_text("opened from the alert")
    assert page.dialogs == []
