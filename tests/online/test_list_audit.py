"""Pages that list posts put their texts (phones, handles) in front of the reader: the audit
says which posts each page showed, so an auditor after a leak can answer "who saw post N";
and a post page's channel leads to that channel's posts, not back to the post itself."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.conf import settings
from django.http import QueryDict

from opennrm.audit.models import AuditEntry
from opennrm.online.models import Contact, MonitoredPost, PostGroup
from opennrm.online.services import online_import
from tests.conftest import verified_client
from tests.online.posts import write_jsonl

pytestmark = pytest.mark.django_db


def _client(user, language: str = "uk"):
    client = verified_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def imported(world, tmp_path):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    return MonitoredPost.objects.filter(agency=world.police)


def test_a_queue_page_records_the_posts_it_showed(world, imported):
    client = _client(world.officer)
    html = client.get("/online/", {"status": "", "category": ""}).content.decode()
    entry = AuditEntry.objects.get(action="online.queue_view")
    shown = [int(pk) for pk in re.findall(r'href="/online/posts/(\d+)/', html)]
    assert shown and entry.detail["posts"] == list(dict.fromkeys(shown))
    assert entry.user_id == world.officer.pk
    assert set(entry.detail["posts"]) <= set(imported.values_list("pk", flat=True))


def test_an_empty_queue_page_records_no_post_only_the_channels_it_offered(world, imported):
    _client(world.officer).get("/online/", {"channel": "no-such-channel"})
    (entry,) = AuditEntry.objects.filter(action="online.queue_view")
    assert "posts" not in entry.detail and entry.detail["channels"] >= 1
    # an agency with no posts reads nothing: no entry
    _client(world.border_guard).get("/online/")
    assert AuditEntry.objects.filter(action="online.queue_view").count() == 1


def test_contact_and_group_pages_record_the_posts_they_showed(world, imported):
    client = _client(world.officer)
    contact = Contact.objects.filter(agency=world.police).first()
    group = PostGroup.objects.filter(agency=world.police).first()
    for url, action in (
        (f"/online/contacts/{contact.pk}/", "online.contact_view"),
        (f"/online/groups/{group.pk}/", "online.group_view"),
    ):
        html = client.get(url).content.decode()
        shown = list(
            dict.fromkeys(int(pk) for pk in re.findall(r'href="/online/posts/(\d+)/', html))
        )
        entry = AuditEntry.objects.filter(action=action).latest("seq")
        assert shown and sorted(entry.detail["posts"]) == sorted(shown), url


def test_a_post_pages_channel_leads_to_that_channels_posts(world, imported):
    client = _client(world.officer)
    post = imported.exclude(channel_index="").first()  # channels are encrypted
    html = client.get(f"/online/posts/{post.pk}/").content.decode()
    card = html[html.index('<article class="card alert"') :]
    head = card[: card.index("</header>")]
    links = [unescape(h) for h in re.findall(r'href="([^"]+)"', head)]
    assert f"/online/posts/{post.pk}/" not in [h.split("?")[0] for h in links]
    (link,) = links
    path, _sep, query = link.partition("?")
    assert path == "/online/"
    params = QueryDict(query)
    assert params["channel"] == post.channel and params["status"] == "" and params["category"] == ""
    listed = client.get(link).content.decode()
    ids = {int(pk) for pk in re.findall(r'href="/online/posts/(\d+)/', listed)}
    same_channel = set(
        imported.filter(channel_index=post.channel_index).values_list("pk", flat=True)
    )
    assert ids and ids <= same_channel
    assert post.pk in ids or len(same_channel) > 20


def test_a_case_handed_over_to_another_agency_is_not_offered_as_a_link(world, imported):
    from opennrm.cases.models import Handover
    from opennrm.cases.services import handover_decide, handover_request
    from opennrm.online.services import post_open_case

    contact = Contact.objects.filter(agency=world.police).first()
    post = imported.filter(mentions__contact=contact).first()
    case = post_open_case(actor=world.officer, post=post)
    client = _client(world.officer, "uk")
    assert (
        f'href="/cases/{case.reference}/"'
        in client.get(f"/online/posts/{post.pk}/").content.decode()
    )
    assert (
        f'href="/cases/{case.reference}/"'
        in client.get(f"/online/contacts/{contact.pk}/").content.decode()
    )

    handover = handover_request(
        actor=world.officer, case=case, to_agency=world.coordination, reason="their remit"
    )
    handover_decide(actor=world.coordinator, handover=handover, accept=True)
    assert Handover.objects.get(pk=handover.pk).status == Handover.Status.ACCEPTED

    page = client.get(f"/online/posts/{post.pk}/").content.decode()
    assert case.reference not in page
    assert "справа, яку тепер веде інша організація" in page
    page = client.get(f"/online/contacts/{contact.pk}/").content.decode()
    assert case.reference not in page
    assert "1 справа іншої організації" in page
