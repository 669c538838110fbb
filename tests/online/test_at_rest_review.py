"""Security review of monitoring data at rest (h21): what an insider with the database, or
an auditor after a breach, finds in every table (not only the feature's own), on the
disk while an upload waits (encrypted, under a neutral name), and whether a key rotation keeps one contact per value."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from opennrm.crypto.keys import generate_key
from opennrm.crypto.services import keys_rotate
from opennrm.online import services
from opennrm.online.models import Contact, ContactMention, MonitoredPost, contact_index
from tests.online.posts import stored_contact
from tests.online.test_at_rest import PHONE, SECRETS, _ads, _import


def _all_tables() -> str:
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                out.append(repr([bytes(v) if isinstance(v, memoryview) else v for v in row]))
    return "\n".join(out)


@pytest.mark.django_db
def test_no_table_of_the_database_holds_monitoring_plaintext_after_upload_lead_and_review(
    world, tmp_path, settings
):
    """Every table (job queue, cases, audit, notifications ...), after the path a real
    user takes: an upload queued for the worker, the job run, a lead opened as a case,
    another post marked a false positive, a STIX export."""
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    body = _ads(tmp_path, "a").read_bytes()
    run = services.import_enqueue(
        actor=world.officer, chunks=[body], source_name="Гнатюк 380671234567.jsonl"
    )
    from opennrm.online.tasks import import_file

    import_file.call(run_id=run.pk)  # the worker's job (its result is what the queue stores)
    posts = sorted(MonitoredPost.objects.filter(agency=world.police), key=lambda p: p.pk)
    assert len(posts) == 3
    services.post_open_case(actor=world.officer, post=posts[0])
    services.post_mark_false_positive(actor=world.officer, post=posts[1])
    services.posts_stix_bundle(actor=world.officer, posts=posts)
    raw = _all_tables()
    for secret in SECRETS:
        assert secret not in raw, secret


@pytest.mark.django_db
def test_a_queued_upload_waits_on_disk_encrypted_under_a_neutral_name(world, tmp_path, settings):
    """Fixed (was reported by h21): until the worker takes it, an uploaded file lies in
    OPENNRM_IMPORT_DIR encrypted (crypto.files, under the spool keys) under a random name
    ending in ``.spool``; the name it was uploaded under, which may name someone, is only
    in the run's encrypted ``source_name``. Someone with the server's disk (a backup, a
    snapshot) but not the keys reads neither. The worker still imports it as before."""
    settings.OPENNRM_IMPORT_DIR = str(tmp_path / "imports")
    source = _ads(tmp_path, "a")
    with source.open("a", encoding="utf-8") as f:  # a record the import cannot read
        f.write('{"text": "Гнатюк 0671234567", "date": "Гнатюк"\n')
    body = source.read_bytes()
    run = services.import_enqueue(
        actor=world.officer,
        chunks=[body[:100], body[100:]],
        source_name="Гнатюк 380671234567.jsonl",
    )
    waiting = Path(run.upload_path)
    on_disk = sorted(p for p in Path(settings.OPENNRM_IMPORT_DIR).rglob("*") if p.is_file())
    assert on_disk == [waiting] and waiting.suffix == ".spool"
    names = "/".join(waiting.relative_to(settings.OPENNRM_IMPORT_DIR).parts)
    raw = waiting.read_bytes()
    for secret in [*SECRETS, "jsonl", "posts"]:
        assert secret not in names, secret
        assert secret.encode() not in raw, secret
    for line in body.splitlines():  # not one line of it, in any piece
        for piece in (line[i : i + 16] for i in range(0, len(line) - 16, 16)):
            assert piece not in raw
    from opennrm.online.tasks import import_file

    import_file.call(run_id=run.pk)  # the worker's job
    run.refresh_from_db()
    assert (run.state, run.read, run.stored, run.skipped) == ("done", 4, 3, 1)
    # problems still name the record by the uploaded file's name (encrypted in the row)
    assert run.problems[0]["where"] == "Гнатюк 380671234567.jsonl:4"
    assert not waiting.exists() and not waiting.parent.exists()
    assert MonitoredPost.objects.filter(agency=world.police).count() == 3


@pytest.mark.django_db
def test_the_database_cannot_tell_that_two_agencies_stored_the_same_post(world, tmp_path):
    _import(world.officer, tmp_path, "a")
    _import(world.border_guard, tmp_path, "a")
    mine = set(MonitoredPost.objects.filter(agency=world.police).values_list("post_id", flat=True))
    theirs = set(
        MonitoredPost.objects.filter(agency=world.border_guard.agency).values_list(
            "post_id", flat=True
        )
    )
    assert mine and theirs and not (mine & theirs)


def _duplicate_under_the_old_key(world, old: str) -> Contact:
    """What a process still running with the old key list alone (a worker not yet
    restarted after the new key was put first) stores after the rotation moved the
    contact to the new index: it cannot find it, so it adds a second row for the phone."""
    first = stored_contact(world.police, "phone", PHONE)
    from opennrm.crypto.keys import DataCipher

    stale = Contact.objects.create(
        agency=world.police,
        kind="phone",
        value=PHONE,
        value_index=contact_index(world.police.pk, "phone", PHONE, DataCipher([old])),
        first_seen=first.first_seen,
        last_seen=first.last_seen,
        posts_count=1,
    )
    post = MonitoredPost.objects.filter(agency=world.police).order_by("-pk").first()
    ContactMention.objects.create(contact=stale, post=post)
    return stale


@pytest.mark.django_db
def test_a_rotation_merges_a_second_row_of_one_contact_instead_of_failing(
    world, tmp_path, settings
):
    old, new = generate_key(), generate_key()
    settings.OPENNRM_DATA_KEYS = [old]
    _import(world.officer, tmp_path, "a")
    settings.OPENNRM_DATA_KEYS = [new, old]
    keys_rotate(actor=None, batch_size=2)
    first = stored_contact(world.police, "phone", PHONE)
    _import(world.officer, tmp_path, "b", n=1)  # a post of the stale process (new id)
    stale = _duplicate_under_the_old_key(world, old)
    assert Contact.objects.filter(agency=world.police, kind="phone").count() == 2

    # "running it again does nothing": it must not stop on the unique index either
    report = keys_rotate(actor=None, batch_size=2)
    assert report.tables["online.Contact (blind index)"].changed >= 1
    settings.OPENNRM_DATA_KEYS = [new]
    phones = list(Contact.objects.filter(agency=world.police, kind="phone"))
    assert [c.pk for c in phones] == [first.pk]  # one row, the older one kept
    assert not Contact.objects.filter(pk=stale.pk).exists()
    merged = phones[0]
    linked = set(ContactMention.objects.filter(contact=merged).values_list("post_id", flat=True))
    assert linked == set(
        MonitoredPost.objects.filter(agency=world.police).values_list("pk", flat=True)
    )
    assert merged.posts_count == len(linked) == 4
    _import(world.officer, tmp_path, "c", n=1)
    assert Contact.objects.filter(agency=world.police, kind="phone").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_reason_stored_before_codes_leaves_the_plain_column_and_still_reads(world, api):
    """Runs that failed before 0007 hold an English sentence in the plain ``error``
    column, which named the file's path or quoted a headerless CSV's first row; 0009
    left it there. 0011 moves it into the encrypted ``error_params``."""
    import importlib

    from django.apps import apps

    from opennrm.online.models import ImportRun

    migration = importlib.import_module(
        "opennrm.online.migrations.0011_legacy_import_errors_encrypted"
    )
    sentence = "Гнатюк.csv: no text column 'text'; columns are: Оксана Гнатюк, +380671234567"
    legacy = ImportRun.objects.create(
        agency=world.police, imported_by=world.officer, source_name="x", state="failed",
        error=sentence,
    )  # fmt: skip
    coded = ImportRun.objects.create(
        agency=world.police, imported_by=world.officer, source_name="y", state="failed",
        error="interrupted",
    )  # fmt: skip
    migration.forwards(apps, None)
    raw = _all_tables()
    for secret in ("Гнатюк", "380671234567", "Оксана"):
        assert secret not in raw, secret
    legacy.refresh_from_db()
    coded.refresh_from_db()
    assert legacy.error == "legacy" and legacy.error_text == sentence
    assert coded.error == "interrupted" and coded.error_params == {}
    answer = api(world.officer).get(f"/online/imports/{legacy.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["error"] == sentence and body["error_code"] is None
    assert body["error_params"] == {}
    migration.forwards(apps, None)  # a second run changes nothing
    legacy.refresh_from_db()
    assert legacy.error_text == sentence
    migration.backwards(apps, None)
    legacy.refresh_from_db()
    assert legacy.error == sentence and legacy.error_params == {}


@pytest.mark.django_db
def test_a_personal_telegram_chat_does_not_put_the_persons_name_in_clear(world, tmp_path):
    import json

    from opennrm.online.services import online_import

    export = {
        "name": "Оксана Гнатюк",
        "type": "personal_chat",
        "id": 4242,
        "messages": [
            {
                "id": i,
                "type": "message",
                "date": f"2024-05-0{1 + i}T10:00:00",
                "from": "Оксана Гнатюк",
                "text": f"Робота у Дубаї {i}, 5000$, паспорт оставите нам, пишіть +380 67 123 45 67",
            }
            for i in range(3)
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    online_import(actor=world.officer, path=path, source_name="result.json", fmt="telegram")
    assert MonitoredPost.objects.filter(agency=world.police).count() == 3
    assert "Гнатюк" not in _all_tables()


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_a_contact_already_encrypted_once_and_encrypts_it_once(
    world, tmp_path
):
    """0009 on a database where some contacts are tokens already (a re-run, or rows
    written by a newer process): the index is of the plaintext, the token is not
    encrypted a second time, the contact is found again by the next import."""
    from django.core.management import call_command

    from opennrm.crypto.fields import data_cipher

    _import(world.officer, tmp_path, "a")
    phone = stored_contact(world.police, "phone", PHONE)
    try:
        call_command("migrate", "online", "0007", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE online_contact SET value = %s WHERE id = %s",
                [data_cipher().encrypt(PHONE), phone.pk],
            )
        call_command("migrate", verbosity=0)
        again = stored_contact(world.police, "phone", PHONE)
        assert again.pk == phone.pk and again.value == PHONE
        _import(world.officer, tmp_path, "b", n=1)
        assert Contact.objects.filter(agency=world.police, kind="phone").count() == 1
        assert stored_contact(world.police, "phone", PHONE).posts_count == 4
    finally:
        call_command("migrate", verbosity=0)
