"""The app's default model: trained at set-up from shared data, retrained from feedback."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from opennrm.online import model as online_model
from opennrm.online.models import Feedback, MonitoredPost
from opennrm.online.services import online_import
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

SPAM = "Работа за границей для девушек, {n} евро в день, пиши в лс @job{n}"
HAM = "Подскажите, во сколько завтра пара номер {n}?"


@pytest.fixture
def fresh(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path / "var"
    settings.OPENNRM_MONITORING_MODEL = ""
    monkeypatch.setenv("OPENNRM_SHARED_DATA", str(tmp_path / "no-shared-data"))
    monkeypatch.chdir(tmp_path)
    online_model._cache.clear()
    return tmp_path


def _shared(base: Path) -> None:
    folder = base / "telegram-spam-ru"
    folder.mkdir(parents=True)
    with (folder / "train.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["label", "message"])
        for i in range(40):
            writer.writerow([i % 2, (SPAM if i % 2 else HAM).format(n=i)])


def test_without_model_the_queue_says_flags_only(world, fresh):
    assert online_model.active_model() is None
    assert "no shared data" in online_model.ensure_default_model()
    html = verified_client(world.officer).get("/online/").content.decode()
    assert "No trained model on this server" in html


def test_set_up_trains_from_shared_data_and_imports_are_scored(world, fresh, monkeypatch):
    _shared(fresh / "shared")
    monkeypatch.setenv("OPENNRM_SHARED_DATA", str(fresh / "shared"))
    monkeypatch.setattr(online_model, "UKRAINIAN_PARAGRAPHS", 0)
    assert "trained on 40 labelled posts" in online_model.ensure_default_model()
    assert (fresh / "var" / "monitoring-model" / "manifest.json").exists()
    path = fresh / "posts.jsonl"
    path.write_text('{"text": "Работа за границей для девушек, 300 евро в день"}\n', "utf-8")
    run = online_import(actor=world.officer, path=path, source_name="p")
    post = MonitoredPost.objects.get(run=run)
    assert post.model_score is not None and run.model_version
    html = verified_client(world.officer).get("/online/").content.decode()
    assert "a model trained on 40 labelled posts" in html
    assert online_model.ensure_default_model().startswith("monitoring model: ")  # kept


def test_shared_training_adds_ordinary_ukrainian_text_as_its_own_source(world, fresh, monkeypatch):
    _shared(fresh / "shared")
    monkeypatch.setenv("OPENNRM_SHARED_DATA", str(fresh / "shared"))
    monkeypatch.setattr(online_model, "UKRAINIAN_PARAGRAPHS", 6)
    row_sources: list[str] = []
    texts, labels, sources = online_model.training_rows(feedback=False, row_sources=row_sources)
    assert len(texts) == len(labels) == len(row_sources) == 46
    assert row_sources[-6:] == ["ua-gec"] * 6 and labels[-6:] == [0] * 6
    assert any("і" in t for t in texts[-6:])  # Ukrainian letters
    assert sources == ["telegram-spam-ru", "ua-gec (6 ordinary Ukrainian paragraphs)"]
    report = online_model.model_train(feedback=False)
    assert set(report.model.manifest["false_alarms_by_source"]) == {"telegram-spam-ru", "ua-gec"}


def test_retraining_from_reviewers_feedback_alone(world, fresh):
    path = fresh / "p.jsonl"
    lines = [
        '{"text": "%s"}' % (SPAM if i % 2 else HAM).format(n=i)  # noqa: UP031
        for i in range(30)
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    online_import(actor=world.officer, path=path, source_name="p")
    for post in MonitoredPost.objects.all():
        Feedback.objects.create(post=post, label=int("евро" in post.text), given_by=world.officer)
    report = online_model.model_train(shared=False)
    assert report.model.manifest["n_samples"] == 30
    assert report.model.manifest["training_sources"] == ["reviewers' feedback (30)"]
    assert online_model.active_model() is not None


def test_too_little_feedback_is_a_clear_error(world, fresh):
    with pytest.raises(online_model.NotEnoughData):
        online_model.model_train(shared=False)
