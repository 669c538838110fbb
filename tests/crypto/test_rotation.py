"""Key rotation: a new key first in OPENNRM_DATA_KEYS encrypts new writes, old keys still
decrypt, `opennrm keys rotate` moves every row and attachment to the new key (batches,
audited, counts), after which the old key can be removed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.db import connection

from opennrm.audit.models import AuditEntry
from opennrm.cases.models import Person
from opennrm.casework import files
from opennrm.casework import services as casework
from opennrm.casework.models import Attachment, Note
from opennrm.cli import main
from opennrm.crypto.fields import UndecryptableValue
from opennrm.crypto.keys import DataCipher, generate_key
from opennrm.crypto.services import encrypted_columns, keys_rotate
from tests.casework.factories import PDF, chunks_of
from tests.crypto.test_at_rest import NAME, NOTE, _victim_case

pytestmark = pytest.mark.django_db

OLD = generate_key()
NEW = generate_key()


def _tokens() -> list[str]:
    out = []
    with connection.cursor() as cursor:
        for _label, table, columns in encrypted_columns():
            q = connection.ops.quote_name
            cursor.execute(f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)}")  # noqa: S608
            out.extend(str(v) for row in cursor.fetchall() for v in row if v)
    return out


def _old_world(world, settings, cases: int = 3):
    settings.OPENNRM_DATA_KEYS = [OLD]
    settings.OPENNRM_FILE_KEYS = [OLD]
    made = []
    for _ in range(cases):
        case = _victim_case(world)
        casework.attachment_add(
            actor=world.case_manager,
            reference=case.reference,
            kind="document",
            filename="passport.pdf",
            size=len(PDF),
            chunks=chunks_of(PDF),
        )
        made.append(case)
    return made


def test_rotation_moves_everything_to_the_new_key(world, settings):
    cases = _old_world(world, settings)
    before = _tokens()
    assert before and all(DataCipher([OLD]).is_current(t) for t in before)

    settings.OPENNRM_DATA_KEYS = [NEW, OLD]
    settings.OPENNRM_FILE_KEYS = [NEW, OLD]
    # old rows still read; a new write uses the new key
    assert Person.objects.get(case=cases[0]).given_name == NAME
    person = Person.objects.get(case=cases[1])
    person.other_names = "Sasha"
    person.save(update_fields=["other_names"])

    report = keys_rotate(actor=None, batch_size=2)  # several batches
    values = len(before)
    assert report.values_rotated == values  # every old token, not the fresh one
    assert report.values_current == 1
    assert report.files.rotated == 3 and report.files.missing == 0
    assert all(DataCipher([NEW]).is_current(t) for t in _tokens())

    entries = list(AuditEntry.objects.filter(action__startswith="admin.keys_rotate"))
    assert [e.action for e in entries] == ["admin.keys_rotate_start", "admin.keys_rotate"]
    assert entries[1].detail["values_rotated"] == values
    assert entries[1].detail["files_rotated"] == 3
    assert NAME not in str(entries[1].detail)

    # the old key can go now: everything still reads
    settings.OPENNRM_DATA_KEYS = [NEW]
    settings.OPENNRM_FILE_KEYS = [NEW]
    assert Person.objects.get(case=cases[0]).given_name == NAME
    assert Person.objects.get(case=cases[1]).other_names == "Sasha"
    assert Note.objects.filter(case=cases[2], kind="note").get().text == NOTE
    attachment = Attachment.objects.filter(case=cases[0]).get()
    _a, stream = casework.attachment_open(
        actor=world.case_manager, reference=cases[0].reference, attachment_id=attachment.pk
    )
    assert b"".join(stream) == PDF

    # a second run has nothing left to do
    again = keys_rotate(actor=None)
    assert again.values_rotated == 0 and again.files.rotated == 0
    assert again.values_current == values + 1 and again.files.current == 3


def test_without_the_old_key_before_rotating_reading_fails_clearly(world, settings):
    cases = _old_world(world, settings, cases=1)
    settings.OPENNRM_DATA_KEYS = [NEW]
    with pytest.raises(UndecryptableValue, match="OPENNRM_DATA_KEYS") as error:
        Person.objects.get(case=cases[0])
    assert NAME not in str(error.value)


def test_a_value_changed_during_rotation_is_not_overwritten(world, settings):
    """Compare-and-set: rotation never writes back a value someone changed meanwhile."""
    from opennrm.crypto.columns import rewrite_batch

    cases = _old_world(world, settings, cases=1)
    settings.OPENNRM_DATA_KEYS = [NEW, OLD]
    cipher = DataCipher([NEW, OLD])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, given_name FROM cases_person")
        rows = cursor.fetchall()
    person = Person.objects.get(case=cases[0])
    person.given_name = "Changed meanwhile"
    person.save(update_fields=["given_name"])
    counts = rewrite_batch(
        connection,
        "cases_person",
        "id",
        ["given_name"],
        rows,
        lambda token: cipher.rotate(token),
    )
    assert counts.skipped == 1 and counts.changed == 0
    assert Person.objects.get(case=cases[0]).given_name == "Changed meanwhile"


def test_cli_rotate_reports_counts(world, settings):
    _old_world(world, settings, cases=1)
    settings.OPENNRM_DATA_KEYS = [NEW, OLD]
    settings.OPENNRM_FILE_KEYS = [NEW, OLD]
    result = CliRunner().invoke(main, ["keys", "rotate", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "cases.Person: 1 rows, 5 values re-encrypted" in result.output
    assert "attachments: 1 re-encrypted" in result.output
    assert "uploads waiting for the import worker: 0 re-encrypted" in result.output
    assert NAME not in result.output


def test_cli_generate_prints_a_usable_key():
    result = CliRunner().invoke(main, ["keys", "generate"])
    assert result.exit_code == 0
    DataCipher([result.output.strip()])


def test_attachment_file_reencrypt_is_atomic_and_idempotent(tmp_path):
    stored = files.store_encrypted([PDF * 3000], directory=tmp_path, keys=[OLD])
    assert files.reencrypt(stored.storage_name, directory=tmp_path, keys=[NEW, OLD])
    assert not files.reencrypt(stored.storage_name, directory=tmp_path, keys=[NEW, OLD])
    assert [p.name for p in tmp_path.iterdir()] == [stored.storage_name]
    plain = b"".join(files.read_decrypted(stored.storage_name, directory=tmp_path, keys=[NEW]))
    assert plain == PDF * 3000


def test_a_file_under_a_lost_key_is_counted_and_left(world, settings):
    cases = _old_world(world, settings, cases=1)
    attachment = Attachment.objects.get(case=cases[0])
    path = settings.OPENNRM_ATTACHMENT_DIR / attachment.storage_name
    before = path.read_bytes()
    settings.OPENNRM_DATA_KEYS = [NEW, OLD]
    settings.OPENNRM_FILE_KEYS = [NEW]  # the old file key is gone
    report = keys_rotate(actor=None)
    assert report.files.undecryptable == 1 and report.files.rotated == 0
    assert report.values_rotated > 0  # the rows were still done
    assert path.read_bytes() == before
    assert (
        AuditEntry.objects.filter(action="admin.keys_rotate").get().detail["files_undecryptable"]
        == 1
    )
