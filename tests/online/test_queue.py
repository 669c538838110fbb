"""The alert queue by category: recruitment with trafficking risk first, spam apart."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.conf import settings

from opennrm.online import selectors
from opennrm.online.models import ImportRun, MonitoredPost
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

RECRUITMENT = "Робота для дівчат у Дубаї, паспорт залишите нам, борг за дорогу відпрацюєте"
SPAM = "Казино онлайн, бонус 500% на перший депозит, крути слоти зараз"
PLAIN = "Продам велосипед, майже новий, Київ"


def _posts(world, agency=None, actor=None):
    agency = agency or world.police
    run = ImportRun.objects.create(
        agency=agency, imported_by=actor or world.officer, source_name="p", state="done"
    )

    def post(pid: str, text: str, risk: float, flagged: bool, category: str) -> MonitoredPost:
        return MonitoredPost.objects.create(
            agency=agency, run=run, post_id=pid, text=text, risk=risk, flagged=flagged,
            category=category, channel="c",
        )  # fmt: skip

    return {
        "recruitment": post(f"r-{agency.pk}", RECRUITMENT, 0.7, True, "recruitment"),
        "spam": post(f"s-{agency.pk}", SPAM, 0.9, True, "spam"),
        "plain": post(f"p-{agency.pk}", PLAIN, 0.1, False, ""),
    }


def _client(user, language: str):
    client = verified_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_selector_filters_by_category_and_ranks_recruitment_first(world):
    p = _posts(world)
    _posts(world, agency=world.border, actor=world.border_guard)  # never in police's queue
    queue = selectors.alert_queue
    assert list(queue(world.officer, category="recruitment")) == [p["recruitment"]]
    assert list(queue(world.officer, category="spam")) == [p["spam"]]
    assert list(queue(world.officer, category="unflagged")) == [p["plain"]]
    # all posts: recruitment first although the spam scores higher
    assert list(queue(world.officer, category="")) == [p["recruitment"], p["spam"], p["plain"]]


def test_the_queue_opens_on_recruitment_and_switches_to_spam(world):
    _posts(world)
    client = _client(world.officer, "en")
    default = client.get("/online/").content.decode()
    assert RECRUITMENT.split(",")[0] in default and "Казино" not in default and PLAIN not in default
    spam = client.get("/online/", {"status": "new", "category": "spam"}).content.decode()
    assert "Казино" in spam and RECRUITMENT.split(",")[0] not in spam
    everything = client.get("/online/", {"status": "new", "category": ""}).content.decode()
    assert (
        everything.index("Робота для дівчат")
        < everything.index("Казино")
        < everything.index("Продам велосипед")
    )
    # a link without the switch (an old bookmark) still opens the recruitment queue
    old = client.get("/online/", {"status": "new"}).content.decode()
    assert "Казино" not in old and "Робота для дівчат" in old


@pytest.mark.parametrize(
    ("language", "recruitment", "spam", "plain"),
    [
        ("uk", "Вербування з ризиком торгівлі людьми", "Звичайний спам", "Не позначено"),
        ("ru", "Вербовка с риском торговли людьми", "Обычный спам", "Не отмечено"),
        ("en", "Recruitment with trafficking risk", "Generic spam", "Not flagged"),
    ],
)
def test_categories_are_words_in_the_reader_language(world, language, recruitment, spam, plain):
    _posts(world)
    html = _client(world.officer, language).get("/online/", {"category": ""}).content.decode()
    assert html.count(f">{recruitment}</span>") == 1
    assert f">{spam}</span>" in html and f">{plain}</span>" in html
    assert ">recruitment<" not in html and ">spam<" not in html  # never the code


def test_flagged_posts_stored_before_categories_get_one(world):
    p = _posts(world)
    MonitoredPost.objects.filter(pk__in=[p["recruitment"].pk, p["spam"].pk]).update(category="")
    migration = importlib.import_module("opennrm.online.migrations.0005_backfill_post_category")
    migration.backfill(django_apps, None)
    p["recruitment"].refresh_from_db()
    p["spam"].refresh_from_db()
    p["plain"].refresh_from_db()
    assert (p["recruitment"].category, p["spam"].category, p["plain"].category) == (
        "recruitment",
        "spam",
        "",
    )


def test_the_switch_shows_the_queue_it_filters(world):
    _posts(world)
    html = _client(world.officer, "en").get("/online/", {"status": "new"}).content.decode()
    assert re.search(r'<input type="radio" name="category" value="recruitment"[^>]* checked>', html)
    html = _client(world.officer, "en").get("/online/", {"category": "spam"}).content.decode()
    assert re.search(r'<input type="radio" name="category" value="spam"[^>]* checked>', html)
    assert "Казино" in html


def test_a_link_without_a_status_shows_new_posts_as_the_page_without_filters_does(world):
    p = _posts(world)
    MonitoredPost.objects.filter(pk=p["recruitment"].pk).update(status="false_positive")
    client = _client(world.officer, "en")
    assert RECRUITMENT not in client.get("/online/", {"category": "recruitment"}).content.decode()
    assert RECRUITMENT not in client.get("/online/").content.decode()
    # "any status", chosen in the form, still shows it
    html = client.get("/online/", {"category": "recruitment", "status": ""}).content.decode()
    assert RECRUITMENT in html
