"""A false positive is one tap right under "Create case" on a phone: it asks first, and a
mistaken one is returned to the queue with its label for retraining removed."""

from __future__ import annotations

import re
from html import unescape as html_unescape

import pytest
from django.conf import settings
from django.http import QueryDict

from opennrm.audit.models import AuditEntry
from opennrm.core.errors import Conflict, Forbidden, NotFound
from opennrm.online.models import Feedback, MonitoredPost, PostStatus
from opennrm.online.services import (
    feedback_rows,
    online_import,
    post_mark_false_positive,
    post_open_case,
    post_undo_false_positive,
)
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

RISKY = (
    '{"text": "Паспорт оставите нам, долг за дорогу отработаете. Девушки 18-25, '
    'пишите @demo_rabota_pl", "channel": "c"}\n'
)

#: who may return a post of the police (agency A): its own monitoring role only
ALLOWED = ["officer"]
#: monitoring roles of another agency: the post looks missing
OTHER_AGENCY = ["border_guard", "coordinator", "inspector"]
#: roles that never review online monitoring
NO_MONITORING = ["analyst", "auditor", "ngo_worker"]


def _post(world, tmp_path, actor=None) -> MonitoredPost:
    actor = actor or world.officer
    path = tmp_path / f"p{actor.pk}.jsonl"
    path.write_text(RISKY, encoding="utf-8")
    online_import(actor=actor, path=path, source_name="p.jsonl")
    return MonitoredPost.objects.get(agency_id=actor.agency_id)


def _client(user, language: str):
    client = verified_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# --- the service ------------------------------------------------------------------------


def test_undo_restores_the_status_removes_the_label_and_is_audited(world, tmp_path):
    post = _post(world, tmp_path)
    post_mark_false_positive(actor=world.officer, post=post)
    assert list(feedback_rows()) == [{"message": post.text, "label": 0}]
    post_undo_false_positive(actor=world.officer, post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.NEW
    assert post.reviewed_by is None and post.reviewed_at is None
    assert not Feedback.objects.filter(post=post).exists()
    assert list(feedback_rows()) == []  # the mistaken tap teaches the model nothing
    entry = AuditEntry.objects.get(action="online.false_positive_undo")
    assert (entry.user_id, entry.object_type, entry.object_ref) == (
        world.officer.pk,
        "post",
        str(post.pk),
    )
    assert entry.detail == {"labels_removed": 1}


def test_undo_twice_changes_nothing_more(world, tmp_path):
    post = _post(world, tmp_path)
    post_mark_false_positive(actor=world.officer, post=post)
    for _ in range(2):  # a double tap
        post_undo_false_positive(actor=world.officer, post=post)
    assert AuditEntry.objects.filter(action="online.false_positive_undo").count() == 1
    # marked again after the undo: one label again, which the next undo removes
    post_mark_false_positive(actor=world.officer, post=post)
    assert Feedback.objects.filter(post=post, label=0).count() == 1


def test_undo_keeps_the_label_of_a_case_and_refuses_a_lead(world, tmp_path):
    post = _post(world, tmp_path)
    post_open_case(actor=world.officer, post=post)
    with pytest.raises(Conflict):
        post_undo_false_positive(actor=world.officer, post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.LEAD
    assert list(feedback_rows()) == [{"message": post.text, "label": 1}]


@pytest.mark.parametrize("persona", [*ALLOWED, *OTHER_AGENCY, *NO_MONITORING])
def test_who_may_undo(world, tmp_path, persona):
    post = _post(world, tmp_path)
    post_mark_false_positive(actor=world.officer, post=post)
    user = getattr(world, persona)
    if persona in ALLOWED:
        post_undo_false_positive(actor=user, post=post)
        assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.NEW
        return
    expected = NotFound if persona in OTHER_AGENCY else Forbidden
    with pytest.raises(expected):
        post_undo_false_positive(actor=user, post=post)
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.FALSE_POSITIVE
    assert Feedback.objects.filter(post=post, label=0).count() == 1
    assert not AuditEntry.objects.filter(action="online.false_positive_undo").exists()
    if persona in OTHER_AGENCY:
        assert AuditEntry.objects.filter(
            action="access.refused", user_id=user.pk, object_type="post"
        ).exists()


@pytest.mark.parametrize("persona", ["coordinator", "case_manager"])
def test_every_monitoring_role_undoes_in_its_own_agency(world, tmp_path, persona):
    post = _post(world, tmp_path, actor=world.coordinator)
    user = getattr(world, persona)
    post_mark_false_positive(actor=user, post=post)
    post_undo_false_positive(actor=user, post=post)
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.NEW
    assert not Feedback.objects.exists()


# --- the pages, in each language --------------------------------------------------------

WORDS = {
    "en": {
        "ask": "Mark as a false positive?",
        "yes": "Yes, mark it",
        "cancel": "Cancel",
        "undo": "Return to the queue",
        "undone": "Returned to the queue as new",
    },
    "uk": {
        "ask": "Позначити як хибне спрацювання?",
        "yes": "Так, позначити",
        "cancel": "Скасувати",
        "undo": "Повернути в чергу",
        "undone": "Допис повернуто в чергу як новий",
    },
    "ru": {
        "ask": "Отметить как ложное срабатывание?",
        "yes": "Да, отметить",
        "cancel": "Отмена",
        "undo": "Вернуть в очередь",
        "undone": "Публикация возвращена в очередь как новая",
    },
}


def _form(html: str, action: str) -> dict[str, str]:
    form = re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S
    )
    assert form is not None, action
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
    fields.pop("csrfmiddlewaretoken", None)
    return {k: html_unescape(v) for k, v in fields.items()}


@pytest.mark.parametrize("language", ["en", "uk", "ru"])
def test_a_tap_asks_first_then_marks_and_the_queue_offers_the_way_back(world, tmp_path, language):
    post = _post(world, tmp_path)
    words = WORDS[language]
    client = _client(world.officer, language)
    fp, undo = (
        f"/online/posts/{post.pk}/false-positive/",
        f"/online/posts/{post.pk}/false-positive/undo/",
    )
    back = "category=&status=new&channel=c"
    page = client.get(f"/online/posts/{post.pk}/", {"back": back}).content.decode()
    views = AuditEntry.objects.filter(action="online.post_view", object_ref=str(post.pk))
    viewed = views.count()
    asked = client.post(fp, _form(page, fp))
    assert asked.status_code == 200
    html = asked.content.decode()
    assert words["ask"] in html and words["yes"] in html and words["cancel"] in html
    # which post the question is about: its channel and the beginning of its text, read
    # and so recorded
    which = html.split('id="confirm-which"')[1].split("</blockquote>")[0]
    assert post.channel in which and html_unescape(post.text[:40]) in html_unescape(which)
    assert views.count() == viewed + 1
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.NEW
    assert not Feedback.objects.exists()
    assert not AuditEntry.objects.filter(action="online.false_positive").exists()
    # "Cancel" goes back to the post, the queue's filters kept
    cancel = re.search(r'<a class="button" href="([^"]+)">' + words["cancel"], html).group(1)
    assert QueryDict(html_unescape(cancel).split("?", 1)[1])["back"] == back
    # "Yes" marks it and returns to the queue as the officer left it
    marked = client.post(fp, _form(html, fp))
    assert marked.status_code == 302
    assert QueryDict(marked["Location"].split("?", 1)[1]).dict() == QueryDict(back).dict()
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.FALSE_POSITIVE
    assert Feedback.objects.filter(post=post, label=0).count() == 1
    # the queue offers to return it, once
    queue = client.get(marked["Location"]).content.decode()
    assert words["undo"] in queue
    fields = _form(queue, undo)
    assert fields["to"] == "queue"
    assert words["undo"] not in client.get(marked["Location"]).content.decode()
    returned = client.post(undo, fields)
    assert returned.status_code == 302
    assert returned["Location"].startswith("/online/?")
    after = client.get(returned["Location"]).content.decode()
    assert words["undone"] in after
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.NEW
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("language", ["en", "uk", "ru"])
def test_the_post_page_of_a_false_positive_returns_it_to_the_queue(world, tmp_path, language):
    post = _post(world, tmp_path)
    words = WORDS[language]
    post_mark_false_positive(actor=world.officer, post=post)
    client = _client(world.officer, language)
    fp, undo = (
        f"/online/posts/{post.pk}/false-positive/",
        f"/online/posts/{post.pk}/false-positive/undo/",
    )
    page = client.get(f"/online/posts/{post.pk}/", {"back": "status=false_positive"})
    html = page.content.decode()
    assert words["undo"] in html and f'action="{fp}"' not in html
    returned = client.post(undo, _form(html, undo))
    assert returned.status_code == 302
    location = returned["Location"]
    assert location.startswith(f"/online/posts/{post.pk}/?")
    assert QueryDict(location.split("?", 1)[1])["back"] == "status=false_positive"
    html = client.get(location).content.decode()
    assert words["undone"] in html
    assert f'action="{fp}"' in html and words["undo"] not in html
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.NEW
    assert list(feedback_rows()) == []


def test_a_false_positive_already_marked_or_a_lead_is_not_asked_again(world, tmp_path):
    post = _post(world, tmp_path)
    client = _client(world.officer, "uk")
    post_open_case(actor=world.officer, post=post)
    response = client.post(f"/online/posts/{post.pk}/false-positive/")
    assert response.status_code == 302  # said why on the queue, nothing to confirm
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.LEAD


def test_undo_on_a_lead_says_why(world, tmp_path):
    post = _post(world, tmp_path)
    post_open_case(actor=world.officer, post=post)
    client = _client(world.officer, "uk")
    response = client.post(f"/online/posts/{post.pk}/false-positive/undo/")
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert 'class="error"' in html
    assert MonitoredPost.objects.get(pk=post.pk).status == PostStatus.LEAD
