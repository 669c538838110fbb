"""Networks across time: one contact store per agency, grown by every import."""

from __future__ import annotations

import pytest

from opennrm.audit.models import AuditEntry
from opennrm.online.models import Contact, MonitoredPost
from opennrm.online.services import online_import
from tests.conftest import verified_client
from tests.online.posts import stored_contact

pytestmark = pytest.mark.django_db


def _file(path, *lines):
    path.write_text(
        "\n".join(f'{{"text": "{t}", "channel": "{c}", "date": "{d}"}}' for t, c, d in lines)
        + "\n",
        "utf-8",
    )
    return path


def test_the_same_phone_in_two_imports_is_one_contact(world, tmp_path):
    online_import(
        actor=world.officer,
        path=_file(tmp_path / "a.jsonl", ("Робота в Польщі, тел 097 123 45 67", "chan-a", "2024-01-05T10:00:00+00:00")),
        source_name="a",
    )  # fmt: skip
    online_import(
        actor=world.officer,
        path=_file(
            tmp_path / "b.jsonl",
            ("Praca w Niemczech, zadzwoń +380971234567", "chan-b", "2024-03-01T10:00:00+00:00"),
            ("Інше оголошення, пишіть 0971234567", "chan-b", "2024-02-01T10:00:00+00:00"),
        ),
        source_name="b",
    )  # fmt: skip
    phone = stored_contact(world.police, "phone", "+380971234567")
    assert phone.posts_count == 3
    assert phone.first_seen.month == 1 and phone.last_seen.month == 3
    client = verified_client(world.officer)
    html = client.get(f"/online/contacts/{phone.pk}/").content.decode()
    for post in MonitoredPost.objects.all():
        assert f"/online/posts/{post.pk}/" in html
    assert ">chan-a</a> (1)" in html and ">chan-b</a> (2)" in html  # each leads to its posts
    assert AuditEntry.objects.filter(action="online.contact_view").count() == 1
    # the post page links its contacts to their pages
    post = MonitoredPost.objects.order_by("id").first()
    assert (
        f"/online/contacts/{phone.pk}/" in client.get(f"/online/posts/{post.pk}/").content.decode()
    )


def test_another_agency_never_sees_the_contact(world, tmp_path):
    online_import(
        actor=world.officer,
        path=_file(tmp_path / "a.jsonl", ("тел 097 123 45 67", "c", "2024-01-05T10:00:00+00:00")),
        source_name="a",
    )  # fmt: skip
    phone = Contact.objects.get()
    response = verified_client(world.border_guard).get(f"/online/contacts/{phone.pk}/")
    assert response.status_code == 404
