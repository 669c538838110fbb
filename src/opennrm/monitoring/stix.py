"""STIX 2.1 export of the contacts found in monitored posts.

Mapping (each observable becomes one SCO, one Indicator ``based-on`` it, and one
Sighting that carries the context):

=================  =====================================================================
found in posts     STIX 2.1
=================  =====================================================================
URL                ``url`` (``value``)
domain             ``domain-name`` (``value``)
e-mail             ``email-addr`` (``value``)
Telegram @handle   ``user-account`` (``account_type="telegram"``, ``account_login``)
Instagram handle   ``user-account`` (``account_type="instagram"``)
t.me/+invite,      ``url``
chat.whatsapp.com
phone number,      STIX 2.1 has no phone-number object: a custom SCO
WhatsApp/Viber     ``x-opennrm-phone-number`` with ``value`` (E.164) and
number             ``x_messengers`` (whatsapp/viber when seen as such). Consumers that do
                   not know it still get the Indicator pattern
                   ``[x-opennrm-phone-number:value = '+48...']`` and its name.
=================  =====================================================================

Context: the Sighting's ``first_seen``/``last_seen``/``count`` are the first and last
post times and the number of posts; the Indicator's ``confidence`` is the highest risk
(0-100) of those posts and its ``labels`` are the union of their labels. Every object
carries a TLP marking: TLP:AMBER by default, TLP:RED with ``victim_related=True`` (e.g.
when a bundle is built from posts that describe a possible victim). Only contacts are
exported, never post text. Ids of Indicators and Sightings are deterministic (UUIDv5 of
the pattern), so exporting the same posts twice gives the same objects.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from opennrm.monitoring._post import Post
from opennrm.monitoring.extract import DEFAULT_REGIONS, Extraction, extract

__all__ = ["PHONE_SCO_TYPE", "Observable", "bundle_json", "collect_observables", "to_stix_bundle"]

PHONE_SCO_TYPE = "x-opennrm-phone-number"
_NAMESPACE = uuid.UUID("6f0c2d1e-4f6a-5b7c-9d3e-0a1b2c3d4e5f")


@dataclasses.dataclass
class Observable:
    """One contact aggregated over the posts that mention it."""

    kind: str  # phone, url, domain, email, telegram, instagram
    value: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    post_count: int = 0
    risk: float | None = None
    labels: set[str] = dataclasses.field(default_factory=set)
    messengers: set[str] = dataclasses.field(default_factory=set)

    def add(self, post: Post, risk: float | None, labels: Sequence[str]) -> None:
        self.post_count += 1
        when = post.posted_at
        if when is not None:
            self.first_seen = when if self.first_seen is None else min(self.first_seen, when)
            self.last_seen = when if self.last_seen is None else max(self.last_seen, when)
        if risk is not None:
            self.risk = risk if self.risk is None else max(self.risk, risk)
        self.labels.update(labels)


def _contacts(ex: Extraction) -> Iterable[tuple[str, str, str | None]]:
    for phone in ex.phones:
        yield "phone", phone, None
    for w in ex.whatsapp:
        yield ("phone", w, "whatsapp") if w.startswith("+") else ("url", "https://" + w, None)
    for v in ex.viber:
        if v.startswith("+"):
            yield "phone", v, "viber"
    for url in ex.urls:
        yield "url", url, None
    for domain in ex.domains:
        yield "domain", domain, None
    for email in ex.emails:
        yield "email", email, None
    for handle in ex.telegram:
        if handle.startswith("@"):
            yield "telegram", handle[1:], None
        else:
            yield "url", "https://" + handle, None
    for handle in ex.instagram:
        yield "instagram", handle.lstrip("@"), None


def collect_observables(
    posts: Iterable[Post],
    *,
    risk: Mapping[str, float] | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
    extractions: Mapping[str, Extraction] | None = None,
    regions: Sequence[str] = DEFAULT_REGIONS,
) -> list[Observable]:
    """Aggregate the contacts of ``posts`` (``risk``/``labels``/``extractions`` by post id)."""
    found: dict[tuple[str, str], Observable] = {}
    for post in posts:
        ex = (extractions or {}).get(post.id) or extract(post.text, regions=regions)
        post_risk = (risk or {}).get(post.id)
        post_labels = (labels or {}).get(post.id, ())
        seen_here: set[tuple[str, str]] = set()
        for kind, value, messenger in _contacts(ex):
            key = (kind, value)
            obs = found.setdefault(key, Observable(kind, value))
            if messenger:
                obs.messengers.add(messenger)
            if key not in seen_here:
                seen_here.add(key)
                obs.add(post, post_risk, post_labels)
    return sorted(found.values(), key=lambda o: (o.kind, o.value))


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _phone_class() -> Any:
    import stix2  # type: ignore[import-untyped]
    from stix2.properties import ListProperty, StringProperty  # type: ignore[import-untyped]

    registered = _PHONE_CLASS.get("cls")
    if registered is None:

        @stix2.v21.CustomObservable(
            PHONE_SCO_TYPE,
            [
                ("value", StringProperty(required=True)),
                ("x_messengers", ListProperty(StringProperty)),
            ],
            id_contrib_props=["value"],
        )
        class PhoneNumber:
            """E.164 phone number (custom SCO; STIX 2.1 has no phone object)."""

        registered = _PHONE_CLASS["cls"] = PhoneNumber
    return registered


_PHONE_CLASS: dict[str, Any] = {}


def _sco_and_pattern(obs: Observable, marking: Any) -> tuple[Any, str]:
    import stix2

    common = {"object_marking_refs": [marking]}
    v = _quote(obs.value)
    if obs.kind == "phone":
        cls = _phone_class()
        props: dict[str, Any] = {"value": obs.value, **common}
        if obs.messengers:
            props["x_messengers"] = sorted(obs.messengers)
        return cls(**props), f"[{PHONE_SCO_TYPE}:value = '{v}']"
    if obs.kind == "url":
        return stix2.URL(value=obs.value, **common), f"[url:value = '{v}']"
    if obs.kind == "domain":
        return stix2.DomainName(value=obs.value, **common), f"[domain-name:value = '{v}']"
    if obs.kind == "email":
        return stix2.EmailAddress(value=obs.value, **common), f"[email-addr:value = '{v}']"
    sco = stix2.UserAccount(account_type=obs.kind, account_login=obs.value, **common)
    pattern = f"[user-account:account_type = '{obs.kind}' AND user-account:account_login = '{v}']"
    return sco, pattern


_NAMES = {
    "phone": "Phone number",
    "url": "URL",
    "domain": "Domain",
    "email": "E-mail address",
    "telegram": "Telegram account",
    "instagram": "Instagram account",
}


def to_stix_bundle(
    posts: Iterable[Post],
    *,
    identity_name: str,
    risk: Mapping[str, float] | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
    extractions: Mapping[str, Extraction] | None = None,
    victim_related: bool = False,
    tlp: str | None = None,
    regions: Sequence[str] = DEFAULT_REGIONS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Any:
    """A ``stix2.Bundle`` of the contacts in ``posts`` (see the module docstring).

    ``risk`` maps post id to a 0..1 score; ``labels`` post id to label strings.
    ``tlp`` ("white", "green", "amber", "red") overrides the default marking.
    """
    import stix2

    markings = {
        "white": stix2.TLP_WHITE,
        "green": stix2.TLP_GREEN,
        "amber": stix2.TLP_AMBER,
        "red": stix2.TLP_RED,
    }
    level = (tlp or ("red" if victim_related else "amber")).lower()
    if level not in markings:
        raise ValueError(f"unknown TLP level {tlp!r}; use white, green, amber or red")
    marking = markings[level]
    now = clock()
    identity = stix2.Identity(
        id="identity--" + str(uuid.uuid5(_NAMESPACE, "identity:" + identity_name)),
        name=identity_name,
        identity_class="organization",
        created=now,
        modified=now,
        object_marking_refs=[marking],
    )
    objects: list[Any] = [marking, identity]
    observables = collect_observables(
        posts, risk=risk, labels=labels, extractions=extractions, regions=regions
    )
    for obs in observables:
        sco, pattern = _sco_and_pattern(obs, marking)
        key = str(uuid.uuid5(_NAMESPACE, pattern))
        indicator_props: dict[str, Any] = {}
        if obs.risk is not None:
            indicator_props["confidence"] = max(0, min(100, round(obs.risk * 100)))
        if obs.labels:
            indicator_props["labels"] = sorted(obs.labels)
        indicator = stix2.Indicator(
            id="indicator--" + key,
            created_by_ref=identity.id,
            created=now,
            modified=now,
            name=f"{_NAMES[obs.kind]} seen in online recruitment posts",
            description=(
                f"{_NAMES[obs.kind]} found in {obs.post_count} monitored post(s) "
                "(OpenNRM monitoring; post text not included)."
            ),
            indicator_types=["anomalous-activity"],
            pattern=pattern,
            pattern_type="stix",
            valid_from=obs.first_seen or now,
            object_marking_refs=[marking],
            **indicator_props,
        )
        relationship = stix2.Relationship(
            id="relationship--" + str(uuid.uuid5(_NAMESPACE, "based-on:" + pattern)),
            relationship_type="based-on",
            allow_custom=True,  # the target may be the custom phone-number SCO
            source_ref=indicator.id,
            target_ref=sco.id,
            created_by_ref=identity.id,
            created=now,
            modified=now,
            object_marking_refs=[marking],
        )
        sighting_props: dict[str, Any] = {}
        if obs.first_seen is not None and obs.last_seen is not None:
            sighting_props["first_seen"] = obs.first_seen
            sighting_props["last_seen"] = obs.last_seen
        sighting = stix2.Sighting(
            id="sighting--" + str(uuid.uuid5(_NAMESPACE, "sighting:" + pattern)),
            sighting_of_ref=indicator.id,
            where_sighted_refs=[identity.id],
            count=obs.post_count,
            created_by_ref=identity.id,
            created=now,
            modified=now,
            object_marking_refs=[marking],
            **sighting_props,
        )
        objects.extend([sco, indicator, relationship, sighting])
    return stix2.Bundle(objects=objects, allow_custom=True)


def bundle_json(bundle: Any) -> str:
    """``bundle`` as indented JSON, each object's properties in the order it was built
    with (``type``, ``spec_version``, ``id`` first).

    Not ``bundle.serialize(pretty=True)``: its spec-order sort looks every key up across
    the whole bundle, quadratic in the bundle's size (a campaign of 521 posts took 130 s
    and more; see ``bench/stix_export.py``). The objects are the same.
    """
    return str(bundle.serialize(indent=4))
