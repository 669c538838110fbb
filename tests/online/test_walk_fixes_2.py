"""What the second walk of online monitoring (Ukrainian, 360-px phone, police officer)
found on the pages: why a post is or is not in the queue, the strongest signs queued
whatever the model says, lists that stopped silently at 60 or 100 posts, and "csv" shown
where a channel goes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from opennrm.audit.models import AuditEntry
from opennrm.online.models import Contact, MonitoredPost, PostGroup
from opennrm.online.services import online_import, post_open_case
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def _client(user, language: str):
    client = verified_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _import(world, tmp_path: Path, rows: list[dict[str, str]], name: str = "p.jsonl") -> None:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    online_import(actor=world.officer, path=path, source_name=name)


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


WHY = {
    "uk": (
        "Чи піднято сигнал?",
        "Так, незалежно від ризику: «Документи забирає роботодавець»",
        "Ні: ризик нижчий",
        "Так: його оцінила попередня модель",
    ),
    "ru": (
        "Поднят ли сигнал?",
        "Да, независимо от риска: «Документы забирает работодатель»",
        "Нет: риск ниже",
        "Да: её оценила предыдущая модель",
    ),
    "en": (
        "Alert raised?",
        "Yes, whatever the risk: “Identity documents kept by the employer”",
        "No: the risk is below",
        "Yes: it was scored under an earlier model",
    ),
}


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_the_post_page_says_why_a_post_is_or_is_not_in_the_queue(world, tmp_path, language):
    # the walk's post: a documents-kept sign, shown as a reason, yet "0,79 · not flagged"
    # with no word of the threshold
    _import(
        world,
        tmp_path,
        [
            {
                "text": "Робота в Чехії, збір полуниці. Документи тримає роботодавець до кінця контракту.",
                "channel": "jobs",
            },
            {"text": "Продам велосипед, майже новий, Київ", "channel": "market"},
        ],
    )
    posts = {p.channel: p for p in MonitoredPost.objects.all()}
    queued, ordinary = posts["jobs"], posts["market"]
    assert queued.flagged and queued.category == "recruitment" and not ordinary.flagged
    label, yes, no, earlier = WHY[language]
    client = _client(world.officer, language)
    page = _text(client.get(f"/online/posts/{queued.pk}/").content)
    assert label in page and yes in page
    page = _text(client.get(f"/online/posts/{ordinary.pk}/").content)
    assert no in page and re.search(r"\(0[.,]\d{3}\)", page)
    # flagged under an earlier model with a lower threshold: the page must not say that
    # its risk reaches the current one (the review found "0,500 … reaches … (0,866)")
    MonitoredPost.objects.filter(pk=ordinary.pk).update(flagged=True, category="spam")
    page = _text(client.get(f"/online/posts/{ordinary.pk}/").content)
    assert earlier in page and no not in page


def test_a_post_without_a_channel_is_opened_by_a_word_not_by_its_format(world, tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text("text\nРобота в Польщі, паспорт залишите нам, тел +48 512 345 678\n", "utf-8")
    online_import(actor=world.officer, path=path, source_name="ads.csv")
    post = MonitoredPost.objects.get()
    client = _client(world.officer, "uk")
    queue = client.get("/online/").content.decode()
    assert f'href="/online/posts/{post.pk}/' in queue
    link = re.search(
        rf'<a class="open-post" href="/online/posts/{post.pk}/[^"]*">([^<]*)</a>', queue
    )
    assert link is not None and link.group(1) == "Відкрити допис"
    page = client.get(f"/online/posts/{post.pk}/").content.decode()
    assert re.search(r"<h1>\s*Сигнал\s*</h1>", page), re.search(r"<h1>.*?</h1>", page, re.S)


def test_campaign_and_contact_pages_page_through_every_post_and_say_how_many(world, tmp_path):
    rows = [
        {
            "text": f"Робота в Польщі на складі № {i}, житло безкоштовно, тел +48 512 345 678",
            "channel": f"jobs-{i % 3}",
        }
        for i in range(45)
    ]
    _import(world, tmp_path, rows)
    network = PostGroup.objects.get(kind="network")
    assert network.size == 45
    client = _client(world.officer, "uk")
    seen: set[int] = set()
    for number in (1, 2, 3):
        before = AuditEntry.objects.count()
        html = client.get(f"/online/groups/{network.pk}/?page={number}").content.decode()
        cards = {int(pk) for pk in re.findall(r'<article class="card alert" id="post-(\d+)"', html)}
        assert len(cards) == (20 if number < 3 else 5)
        first, last = 20 * (number - 1) + 1, min(45, 20 * number)
        assert f"Оголошення {first}–{last} з 45." in _text(html.encode())
        assert f"Сторінка {number} з 3" in html
        seen |= cards
        assert AuditEntry.objects.count() > before  # every page shown is audited
    assert seen == set(MonitoredPost.objects.values_list("pk", flat=True))
    # a case opened from the oldest post (the last page of the contact's list, newest
    # first) is named on the contact's first page
    oldest = MonitoredPost.objects.order_by("id").first()
    case = post_open_case(actor=world.officer, post=oldest)
    phone = Contact.objects.get(kind="phone")
    html = client.get(f"/online/contacts/{phone.pk}/").content.decode()
    assert html.count('class="card alert"') == 20 and "Оголошення 1–20 з 45." in _text(
        html.encode()
    )
    assert f'id="post-{oldest.pk}"' not in html and case.reference in html


def test_channels_missing_are_said_in_words(world, tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text(
        "text\n"
        "Робота в Польщі, житло безкоштовно, тел +48 512 345 678\n"
        "Робота в Чехії, житло безкоштовно, тел +48 512 345 678\n",
        "utf-8",
    )
    online_import(actor=world.officer, path=path, source_name="ads.csv")
    network = PostGroup.objects.get(kind="network")
    client = _client(world.officer, "uk")
    html = _text(client.get(f"/online/groups/{network.pk}/").content)
    assert "Канали — Мови" in html  # was an empty line
    phone = Contact.objects.get(kind="phone")
    html = _text(client.get(f"/online/contacts/{phone.pk}/").content)
    assert "Канали без каналу (2)" in html and "— (2)" not in html


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_model_reason_names_the_word_once_not_its_fragment(language):
    # (a word inside another is still said: "бот" after "робота")
    # "Модель: «опл» у «оплата» (+0,18)", "«на час»" beside "«час»", "«111» у «111,»"
    from django.utils import translation

    from opennrm.online.reasons import localized_reasons

    reasons = [
        {"kind": "flag", "id": "control.documents_withheld", "evidence": "паспорт залишите нам"},
        {"kind": "model", "id": "опл", "weight": 0.18, "evidence": "оплата"},
        {"kind": "model", "id": "на час", "weight": 0.17, "evidence": "на час"},
        {"kind": "model", "id": "час", "weight": 0.17, "evidence": "час"},
        {"kind": "model", "id": "111", "weight": 1.27, "evidence": "111,"},
        {"kind": "model", "id": "бот", "weight": 0.2, "evidence": "бот"},
    ]
    with translation.override(language):
        said = [r["text"] for r in localized_reasons(reasons)]
    if language == "uk":
        assert said == [
            "Індикатор: Документи забирає роботодавець («паспорт залишите нам»)",
            "Модель: «оплата» (+0,18)",
            "Модель: «на час» (+0,17)",
            "Модель: «111» (+1,27)",
            "Модель: «бот» (+0,20)",
        ]
    else:
        assert said[1:] == [
            "Model: “оплата” (+0.18)",
            "Model: “на час” (+0.17)",
            "Model: “111” (+1.27)",
            "Model: “бот” (+0.20)",
        ]


@pytest.mark.parametrize(
    ("language", "legend", "cut"),
    [
        ("uk", "допис, що спричинив сигнал", "На графі — 60 найризикованіших дописів (усього: 70)"),
        (
            "ru",
            "публикация, вызвавшая сигнал",
            "На графе — 60 самых рискованных публикаций (всего: 70)",
        ),
        (
            "en",
            "a post that raised an alert",
            "The graph draws the 60 riskiest posts (of 70 in all)",
        ),
    ],
)
def test_the_network_graph_has_a_legend_and_says_when_it_draws_only_some(
    world, tmp_path, language, legend, cut
):
    rows = [
        {"text": f"Робота на складі № {i}, тел +48 512 345 678", "channel": "jobs"}
        for i in range(70)
    ]
    _import(world, tmp_path, rows)
    network = PostGroup.objects.get(kind="network")
    html = _client(world.officer, language).get(f"/online/groups/{network.pk}/").content.decode()
    graph = html.split('class="graph network-graph"')[1].split("</svg>")[0]
    assert graph.count("<circle") == 60
    assert 'id="graph-legend"' in html and legend in html
    assert cut in _text(html.encode())
