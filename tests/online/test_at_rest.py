"""What online monitoring collected about people, at rest: a copy of the database shows
tokens, not the posts' texts, phones, handles or authors; the application reads them as
before; a contact is found again across imports by its blind index, also across a key
rotation; the migration encrypts rows stored before it and decrypts them going back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from opennrm.crypto.keys import DataCipher, generate_key
from opennrm.crypto.services import keys_rotate
from opennrm.online.models import CampaignChunk, Contact, ImportRun, MonitoredPost, PostGroup
from opennrm.online.selectors import contacts_of_group
from opennrm.online.services import online_import
from tests.conftest import verified_client
from tests.online.posts import stored_contact

PHONE = "+380671234567"
SECRETS = (
    "Оксана Гнатюк",  # the author
    "380671234567",  # the phone, in any written form
    "67 123 45 67",
    "rabota_dubai_vip",  # a Telegram handle
    "vip-jobs-dubai",  # a domain
    "паспорт оставите",  # the text
    "t.me/oksana",  # the post's address
    "Гнатюк",  # the imported file's name
)
TABLES = (
    "online_monitoredpost", "online_contact", "online_postgroup", "online_campaignchunk",
    "online_contactmention", "online_importrun", "audit_auditentry",
)  # fmt: skip


def _ads(tmp_path: Path, name: str, n: int = 3) -> Path:
    """A templated recruiter ad posted ``n`` times (a campaign, a network by the phone)."""
    lines = [
        json.dumps(
            {
                "id": f"{name}-{i}",
                "text": (
                    f"Робота для дівчат {18 + i}-25 у Дубаї ({name}), 5000$, паспорт оставите нам, "
                    "дорогу відпрацюєте. Пишіть @rabota_dubai_vip або +380 67 123 45 67, "
                    "vip-jobs-dubai.com"
                ),
                "channel": "jobs-abroad",
                "author": "Оксана Гнатюк",
                "url": f"https://t.me/oksana/{i}",
                "date": f"2024-05-0{1 + i}T10:00:00+03:00",
            },
            ensure_ascii=False,
        )
        for i in range(n)
    ]
    path = tmp_path / f"{name}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(actor, tmp_path: Path, name: str, n: int = 3):
    return online_import(
        actor=actor, path=_ads(tmp_path, name, n), source_name="Гнатюк 380671234567.jsonl"
    )


def _dump(tables=TABLES) -> str:
    out = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                out.append(repr([bytes(v) if isinstance(v, memoryview) else v for v in row]))
    return "\n".join(out)


@pytest.mark.django_db
def test_the_database_holds_tokens_the_application_reads_posts(world, tmp_path):
    path = _ads(tmp_path, "a")
    with path.open("a", encoding="utf-8") as f:  # a record the import cannot read
        f.write('{"text": "Гнатюк 0671234567", "date": "Гнатюк"\n')
    run = online_import(actor=world.officer, path=path, source_name="Гнатюк 380671234567.jsonl")
    run = ImportRun.objects.get(pk=run.pk)
    assert run.source_name == "Гнатюк 380671234567.jsonl" and run.problems
    posts = sorted(MonitoredPost.objects.filter(agency=world.police), key=lambda p: p.url)
    assert len(posts) == 3
    # the application sees what was imported ...
    post = posts[0]
    assert "паспорт оставите нам" in post.text and post.author == "Оксана Гнатюк"
    assert post.url == "https://t.me/oksana/0"
    assert f"phone:{PHONE}" in post.contacts and post.reasons
    assert any("evidence" in r for r in post.reasons)
    campaign = PostGroup.objects.get(agency=world.police, kind="campaign")
    assert campaign.size == 3 and "паспорт оставите нам" in campaign.template
    network = PostGroup.objects.get(agency=world.police, kind="network")
    assert f"phone:{PHONE}" in network.contacts
    assert {c.value for c in contacts_of_group(network)} >= {PHONE}
    assert CampaignChunk.objects.filter(agency=world.police).exists()
    # ... the database does not: every table of the feature read raw
    raw = _dump()
    for secret in SECRETS:
        assert secret not in raw, secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, author, url, reasons, contacts FROM online_monitoredpost")
        values = [v for row in cursor.fetchall() for v in row]
        cursor.execute("SELECT blob FROM online_campaignchunk")
        blobs = [bytes(row[0]) for row in cursor.fetchall()]
    assert values and all(str(v).startswith("gAAAAA") for v in values)
    assert blobs and all(b.startswith(b"gAAAAA") for b in blobs)


@pytest.mark.django_db
def test_the_database_cannot_tell_that_two_agencies_saw_the_same_phone(world, tmp_path):
    _import(world.officer, tmp_path, "a")
    _import(world.border_guard, tmp_path, "b")
    mine = stored_contact(world.police, "phone", PHONE)
    theirs = stored_contact(world.border_guard.agency, "phone", PHONE)
    assert mine.pk != theirs.pk and mine.value == theirs.value == PHONE
    assert mine.value_index != theirs.value_index  # the agency is part of the index
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT value FROM online_contact WHERE id IN (%s, %s)", [mine.pk, theirs.pk]
        )
        tokens = [row[0] for row in cursor.fetchall()]
    assert tokens[0] != tokens[1]  # and no two tokens of one value are equal


@pytest.mark.django_db
def test_a_contact_page_shows_the_decrypted_contact_and_its_posts(world, tmp_path):
    _import(world.officer, tmp_path, "a")
    _import(world.officer, tmp_path, "b", n=2)  # the same phone, another import
    phone = stored_contact(world.police, "phone", PHONE)
    assert phone.posts_count == 5
    assert Contact.objects.filter(agency=world.police, kind="phone").count() == 1
    html = verified_client(world.officer).get(f"/online/contacts/{phone.pk}/").content.decode()
    assert "+380 67 123 4567" in html or PHONE in html
    assert html.count('href="/online/posts/') >= 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="a copy of the SQLite database file")
def test_a_copy_of_the_sqlite_file_shows_no_phone_or_text(world, tmp_path):
    _import(world.officer, tmp_path, "a")
    stolen = tmp_path / "stolen.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(stolen)])
    data = stolen.read_bytes()
    for secret in SECRETS:
        assert secret.encode() not in data, secret
        assert secret.encode("utf-16-le") not in data, secret


@pytest.mark.django_db
def test_contacts_are_found_again_across_a_key_rotation(world, tmp_path, settings):
    old, new = generate_key(), generate_key()
    settings.OPENNRM_DATA_KEYS = [old]
    _import(world.officer, tmp_path, "a")
    before = stored_contact(world.police, "phone", PHONE)

    # a new key first, the old one kept: new rows use the new key, the old contact is
    # still found (by its index under the old key), not stored a second time
    settings.OPENNRM_DATA_KEYS = [new, old]
    _import(world.officer, tmp_path, "b", n=2)
    assert Contact.objects.filter(agency=world.police, kind="phone").count() == 1
    assert stored_contact(world.police, "phone", PHONE).posts_count == 5

    report = keys_rotate(actor=None, batch_size=2)
    assert report.tables["online.Contact (blind index)"].changed >= 1
    assert report.tables["online.CampaignChunk"].rows >= 1
    # the old key removed: everything reads, the contact is found under the new index
    settings.OPENNRM_DATA_KEYS = [new]
    only_new = DataCipher([new])
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, contacts FROM online_monitoredpost")
        tokens = [v for row in cursor.fetchall() for v in row]
        cursor.execute("SELECT blob FROM online_campaignchunk")
        tokens += [bytes(row[0]) for row in cursor.fetchall()]
    stale = [t[:20] for t in tokens if not only_new.is_current(t)]
    assert tokens and not stale, (len(tokens), stale, report.as_detail())
    after = stored_contact(world.police, "phone", PHONE)
    assert after.pk == before.pk and after.value_index != before.value_index
    assert all(p.text for p in MonitoredPost.objects.all())
    _import(world.officer, tmp_path, "c", n=1)  # reads the rotated campaign index
    assert Contact.objects.filter(agency=world.police, kind="phone").count() == 1
    assert stored_contact(world.police, "phone", PHONE).posts_count == 6
    assert PostGroup.objects.get(agency=world.police, kind="campaign").size == 6


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_stored_before_it_and_going_back_decrypts(world, tmp_path):
    _import(world.officer, tmp_path, "a")
    phone = stored_contact(world.police, "phone", PHONE)
    try:
        call_command("migrate", "online", "0007", verbosity=0)  # before the encryption
        plain = _dump(TABLES[:4])
        assert "rabota_dubai_vip" in plain and PHONE in plain and "Оксана Гнатюк" in plain
        with connection.cursor() as cursor:
            cursor.execute("SELECT contacts FROM online_monitoredpost")
            first = cursor.fetchone()[0]
        contacts = first if isinstance(first, list) else json.loads(first)
        assert f"phone:{PHONE}" in contacts  # the JSON column is JSON again

        call_command("migrate", verbosity=0)
        raw = _dump()
        for secret in SECRETS:
            assert secret not in raw, secret
        again = stored_contact(world.police, "phone", PHONE)
        assert again.pk == phone.pk and again.posts_count == 3
        post = MonitoredPost.objects.first()
        assert post.author == "Оксана Гнатюк" and f"phone:{PHONE}" in post.contacts
        _import(world.officer, tmp_path, "b", n=1)  # the old campaign index reads
        assert stored_contact(world.police, "phone", PHONE).posts_count == 4
        assert PostGroup.objects.get(agency=world.police, kind="campaign").size == 4
    finally:
        call_command("migrate", verbosity=0)
