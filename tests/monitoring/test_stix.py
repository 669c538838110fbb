from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import stix2

from opennrm.monitoring import Post
from opennrm.monitoring.stix import (
    PHONE_SCO_TYPE,
    bundle_json,
    collect_observables,
    to_stix_bundle,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)

POSTS = [
    Post.create(
        "telegram",
        "Робота в Польщі +48 512 345 678, @jobs_pl, https://rabota.example/x, hr@rabota.example",
        channel="c",
        posted_at=datetime(2024, 1, 1, tzinfo=UTC),
    ),
    Post.create(
        "telegram",
        "Ще раз: WhatsApp wa.me/48512345678",
        channel="c",
        posted_at=datetime(2024, 2, 1, tzinfo=UTC),
    ),
    Post.create("csv", "Без контактів"),
]


def bundle(**opts: object) -> dict:  # type: ignore[type-arg]
    b = to_stix_bundle(POSTS, identity_name="NGO Test", clock=lambda: NOW, **opts)  # type: ignore[arg-type]
    data: dict = json.loads(b.serialize())  # type: ignore[type-arg]
    return data


def test_observables_are_aggregated() -> None:
    obs = {(o.kind, o.value): o for o in collect_observables(POSTS)}
    phone = obs[("phone", "+48512345678")]
    assert phone.post_count == 2
    assert phone.first_seen == datetime(2024, 1, 1, tzinfo=UTC)
    assert phone.last_seen == datetime(2024, 2, 1, tzinfo=UTC)
    assert phone.messengers == {"whatsapp"}
    assert set(obs) == {
        ("phone", "+48512345678"),
        ("telegram", "jobs_pl"),
        ("url", "https://rabota.example/x"),
        ("domain", "rabota.example"),
        ("email", "hr@rabota.example"),
    }


def test_bundle_round_trips_through_stix2_parse() -> None:
    data = bundle(risk={POSTS[0].id: 0.87}, labels={POSTS[0].id: ["recruitment-lure"]})
    parsed = stix2.parse(json.dumps(data), allow_custom=True)
    types = [o.type for o in parsed.objects]
    assert types.count("indicator") == 5 and types.count("sighting") == 5
    assert {"url", "domain-name", "email-addr", "user-account", PHONE_SCO_TYPE} <= set(types)
    by_pattern = {o["pattern"]: o for o in data["objects"] if o["type"] == "indicator"}
    phone = by_pattern[f"[{PHONE_SCO_TYPE}:value = '+48512345678']"]
    assert phone["confidence"] == 87 and phone["labels"] == ["recruitment-lure"]
    assert phone["valid_from"].startswith("2024-01-01")
    handle = by_pattern[
        "[user-account:account_type = 'telegram' AND user-account:account_login = 'jobs_pl']"
    ]
    sighting = next(
        o
        for o in data["objects"]
        if o["type"] == "sighting" and o["sighting_of_ref"] == phone["id"]
    )
    assert sighting["count"] == 2
    assert sighting["first_seen"].startswith("2024-01-01")
    assert sighting["last_seen"].startswith("2024-02-01")
    assert handle["created_by_ref"].startswith("identity--")
    text = json.dumps(data, ensure_ascii=False)
    assert "Робота" not in text  # post text never leaves


def test_tlp_marking_default_amber_and_red_for_victims() -> None:
    amber = bundle()
    red = bundle(victim_related=True)
    for data, tlp in ((amber, stix2.TLP_AMBER.id), (red, stix2.TLP_RED.id)):
        marked = [o for o in data["objects"] if o["type"] != "marking-definition"]
        assert all(o["object_marking_refs"] == [tlp] for o in marked)
    with pytest.raises(ValueError, match="unknown TLP"):
        bundle(tlp="purple")


def test_deterministic_ids() -> None:
    first = {o["id"] for o in bundle()["objects"]}
    second = {o["id"] for o in bundle()["objects"]}
    assert first == second


def test_bundle_json_holds_the_same_objects_as_the_spec_ordered_form() -> None:
    b = to_stix_bundle(POSTS, identity_name="NGO Test", clock=lambda: NOW)
    written = bundle_json(b)
    assert json.loads(written) == json.loads(b.serialize(pretty=True))
    # read by a person too: indented, each object starting with its type, version and id
    assert written.startswith('{\n    "type": "bundle",\n    "id": "bundle--')
    first = json.loads(written)["objects"][1]
    assert list(first)[:3] == ["type", "spec_version", "id"]
