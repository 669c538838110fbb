import pytest

from opennrm.audit.models import AuditEntry
from opennrm.core.errors import Conflict, Forbidden, ValidationFailed
from opennrm.online.highlight import reason_terms, segments
from opennrm.online.models import Feedback, MonitoredPost
from opennrm.online.selectors import alert_queue
from opennrm.online.services import (
    feedback_rows,
    online_import,
    post_mark_false_positive,
    post_open_case,
    posts_stix_bundle,
)
from tests.online.posts import post_with_text, write_jsonl

pytestmark = pytest.mark.django_db


def test_import_scores_skips_bad_lines_and_dedupes(world, tmp_path):
    path = write_jsonl(tmp_path / "posts.jsonl")
    run = online_import(actor=world.officer, path=path, source_name="posts.jsonl")
    assert run.skipped == 1 and run.stored == 7
    assert run.problems[0]["where"].endswith(":3")
    queue = list(alert_queue(world.officer))
    assert queue[0].risk >= queue[-1].risk
    assert any(p.flagged for p in queue)
    assert all(p.text for p in queue)  # original text kept verbatim, hostile markup included
    assert any("<script>" in p.text for p in queue)
    again = online_import(actor=world.officer, path=path, source_name="posts.jsonl")
    assert again.stored == 0 and again.duplicates == 7
    assert AuditEntry.objects.filter(action="online.import").count() == 2


def test_other_agency_sees_nothing(world, tmp_path):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    assert not alert_queue(world.border_guard).exists()
    assert not alert_queue(world.analyst).exists()
    with pytest.raises(Forbidden):
        online_import(actor=world.analyst, path=tmp_path / "p.jsonl", source_name="p")


def test_unreadable_file_is_a_clear_error(world, tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ValidationFailed):
        online_import(actor=world.officer, path=bad, source_name="x.bin", fmt="nonsense")


def test_review_actions_keep_feedback(world, tmp_path):
    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    top, *rest = list(alert_queue(world.officer))
    case = post_open_case(actor=world.officer, post=top)
    assert case.state == "flagged" and "online monitoring" in case.summary
    with pytest.raises(Conflict):
        post_open_case(actor=world.officer, post=top)
    post_mark_false_positive(actor=world.officer, post=rest[-1])
    labels = sorted(row["label"] for row in feedback_rows())
    assert labels == [0, 1]
    assert Feedback.objects.count() == 2
    assert MonitoredPost.objects.get(pk=top.pk).status == "lead"


def test_stix_bundle_has_the_contacts(world, tmp_path):
    import json

    online_import(actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p")
    bundle = json.loads(posts_stix_bundle(actor=world.officer, posts=alert_queue(world.officer)))
    assert bundle["type"] == "bundle"
    assert "380671234567" in json.dumps(bundle)


def test_highlight_marks_words_and_never_builds_html():
    reasons = [{"kind": "flag", "id": "x", "text": 'flag: Women only ("девушки")'}]
    parts = segments("Требуются <b>девушки</b>!", reason_terms(reasons))
    assert ("девушки", True) in parts
    assert "".join(text for text, _ in parts) == "Требуются <b>девушки</b>!"


def test_naive_times_are_read_in_the_chosen_zone_and_bad_dates_keep_the_post(world, tmp_path):
    from datetime import UTC, datetime

    path = tmp_path / "p.csv"
    path.write_text(
        "text,date\nРобота в Польщі,2024-07-01 12:00\nПраца в Чехії,вчора ввечері\n", "utf-8"
    )
    run = online_import(
        actor=world.officer, path=path, source_name="p.csv", time_zone="Europe/Kyiv"
    )
    assert run.stored == 2 and run.skipped == 0
    kyiv = post_with_text("Робота в Польщі")
    assert kyiv.posted_at == datetime(2024, 7, 1, 9, 0, tzinfo=UTC)
    unknown = post_with_text("Праца в Чехії")
    assert unknown.posted_at is None
    assert any("date unknown" in p["why"] for p in run.problems)


def test_an_unknown_time_zone_is_refused(world, tmp_path):
    with pytest.raises(ValidationFailed):
        online_import(
            actor=world.officer, path=write_jsonl(tmp_path / "p.jsonl"), source_name="p",
            time_zone="Mars/Olympus",
        )  # fmt: skip
