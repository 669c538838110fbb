"""The pages of the load test (bench/load.py) send a number of queries that does not grow
with the rows they show: no N+1. Counted with 2 and with 12 rows of each kind."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opennrm.online.services import online_import
from tests.cases.helpers import open_case
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path)
    assert answer.status_code == 200, path
    return len(captured)


def _posts(tmp_path, n: int, start: int):
    path = tmp_path / f"posts-{start}.jsonl"
    rows = [
        {
            "id": start + i,
            "text": f"Робота в Польщі {start + i}, 3000 євро, житло, пиши +48 500 {i:03d} 111",
            "channel": f"chan-{i % 3}",
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("path", ["/cases/", "/cases/?state=flagged", "/", "/online/"])
def test_list_pages_do_not_query_per_row(world, tmp_path, path):
    client = verified_client(world.officer)
    for _ in range(2):
        open_case(world.officer, region="Kyiv")
    online_import(actor=world.officer, path=_posts(tmp_path, 2, 0), source_name="a")
    client.get(path)  # warm caches (content types, sessions)
    few = _queries(client, path)
    for _ in range(10):
        open_case(world.officer, region="Kyiv")
    online_import(actor=world.officer, path=_posts(tmp_path, 10, 100), source_name="b")
    many = _queries(client, path)
    assert many <= few, (path, few, many)
