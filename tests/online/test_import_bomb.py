"""A "zip bomb" WARC import (a few hundred KB of gzip that unpacks to hundreds of MB) reads
up to ``OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES``, keeps the posts before it and says in the
reader's language that the rest was skipped, through the service and the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from django.conf import settings as django_settings
from django.utils.translation import override

from opennrm.cli import main
from opennrm.online.models import MonitoredPost
from opennrm.online.services import online_import
from tests.monitoring.warc_bomb import warc_bomb
from tests.online.test_imports import ROOT

LIMIT = 5_000_000


@pytest.mark.django_db
def test_the_service_keeps_the_posts_before_the_limit_and_says_why(world, tmp_path, settings):
    settings.OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES = LIMIT
    path = warc_bomb(tmp_path / "crawl.warc.gz", before=5, after=5)
    assert path.stat().st_size < 1_000_000
    run = online_import(actor=world.officer, path=path, source_name="crawl.warc.gz")
    assert run.state == "done"  # not a failure: what was read is kept
    assert run.stored == 5
    urls = set(MonitoredPost.objects.filter(run=run).values_list("url", flat=True))
    assert urls == {f"http://example.org/job/{i}" for i in range(5)}
    (problem,) = run.problems
    assert (problem["code"], problem["params"]) == ("warc.too_large_rest", {"mb": "5"})
    with override("uk"):
        (said,) = run.problem_list
    assert said["where"] == "crawl.warc.gz:#6"
    assert said["why"].startswith("Архів розпаковується більш ніж у 5 МБ")
    with override("ru"):
        assert run.problem_list[0]["why"].startswith("Архив распаковывается более чем в 5 МБ")
    with override("en"):
        assert "the rest of the file is skipped" in run.problem_list[0]["why"]


@pytest.mark.django_db
def test_the_command_line_import_stops_at_the_limit_in_the_users_language(
    world, tmp_path, settings
):
    settings.OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES = LIMIT
    path = warc_bomb(tmp_path / "crawl.warc.gz", before=3, after=4)
    result = CliRunner().invoke(
        main, ["online", "import", str(path), "--user", "officer", "--language", "uk"]
    )
    assert result.exit_code == 0, result.output
    assert "прочитано 4, збережено 3, пропущено 1, повторів 0" in result.output
    assert "crawl.warc.gz:#4: Архів розпаковується більш ніж у 5 МБ" in result.output
    assert MonitoredPost.objects.count() == 3


def test_the_limit_is_read_from_the_environment_and_defaults_to_50_uploads():
    assert django_settings.OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES == (
        50 * django_settings.OPENNRM_MAX_UPLOAD_BYTES
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opennrm.settings",
        "OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES": "1234567",
    }
    code = "from django.conf import settings; print(settings.OPENNRM_IMPORT_MAX_DECOMPRESSED_BYTES)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "1234567"
