from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opennrm.monitoring import Post, post_id


def test_id_is_stable_content_hash() -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    a = Post.create("telegram", "Работа в Польше", channel="jobs", posted_at=when, record="a:1")
    b = Post.create("telegram", "Работа в Польше", channel="jobs", posted_at=when, record="b:9")
    assert a.id == b.id  # provenance is not part of the identity
    assert len(a.id) == 32
    assert a.id == post_id("telegram", "Работа в Польше", "jobs", None, when)
    other_channel = Post.create("telegram", "Работа в Польше", channel="other", posted_at=when)
    assert other_channel.id != a.id
    assert Post.create("telegram", "Работа в Польше!", channel="jobs", posted_at=when).id != a.id


def test_same_instant_in_other_zone_is_different_text_of_time_but_constructor_fills_id() -> None:
    p = Post(source="csv", text="x")
    assert p.id == post_id("csv", "x")


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Post.create("csv", "x", posted_at=datetime(2024, 1, 1))  # noqa: DTZ001


def test_round_trip_json_and_pickle() -> None:
    tz = timezone(timedelta(hours=3))
    p = Post.create(
        "telegram", "текст", channel="c", author="a", posted_at=datetime(2024, 1, 2, tzinfo=tz),
        url="https://t.me/c/1", record="result.json:#1",
    )  # fmt: skip
    assert Post.from_dict(p.to_dict()) == p
    assert pickle.loads(pickle.dumps(p)) == p  # noqa: S301 - our own object


@given(st.text(), st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_id_deterministic_and_roundtrips(
    text: str, channel: str | None, author: str | None
) -> None:
    p = Post.create("jsonl", text, channel=channel, author=author)
    assert Post.from_dict(p.to_dict()).id == p.id
    assert Post.create("jsonl", text, channel=channel, author=author).id == p.id
