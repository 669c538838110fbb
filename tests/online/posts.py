"""Hostile and realistic synthetic posts for tests (no real person)."""

from __future__ import annotations

import json
from pathlib import Path

XSS = [
    "<script>alert('xss-1')</script> Робота в Польщі, 3000 євро, житло безкоштовно, пиши @rabota_pl",
    "<img src=x onerror=alert('xss-2')> Работа для девушек 18-25 в Дубае, 5000$ в месяц, опыт не нужен. WhatsApp +380 67 123 45 67",
    "\"><svg onload=alert('xss-3')> Praca w Niemczech, mieszkanie i transport zapewnione, tel +48 512 345 678",
    "Требуются девушки <iframe src=javascript:alert('xss-4')></iframe> работа за границей, оплата сразу, @job_abroad_ru",
]
BENIGN = [
    "Продам велосипед, майже новий, Київ",
    "Кто знает хорошего стоматолога в Варшаве?",
]


def write_jsonl(path: Path, *, extra_bad_line: bool = True) -> Path:
    lines = [
        json.dumps(
            {"text": t, "channel": "test-channel", "url": "javascript:alert('url')"},
            ensure_ascii=False,
        )
        for t in XSS + BENIGN
    ]
    # the same recruiter ad posted twice with a different phone spacing: one campaign
    lines.append(
        json.dumps(
            {"text": XSS[1].replace("+380 67 123 45 67", "+380671234567"), "channel": "other"},
            ensure_ascii=False,
        )
    )
    if extra_bad_line:
        lines.insert(2, "{this is not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Post texts, contacts and contact values are encrypted at rest: the database cannot
# compare them, so tests find rows by reading them (as an application would).


def post_where(predicate, queryset=None):
    """The one stored post for which ``predicate(post)`` holds (an error if none or more)."""
    from opennrm.online.models import MonitoredPost

    qs = MonitoredPost.objects.all() if queryset is None else queryset
    found = [p for p in qs.order_by("pk") if predicate(p)]
    assert len(found) == 1, f"{len(found)} posts match"
    return found[0]


def post_with_text(text: str, queryset=None):
    return post_where(lambda p: p.text == text, queryset)


def first_with_contacts(queryset):
    """The first post (by id) in which contacts were found, or None."""
    return next((p for p in queryset.order_by("pk") if p.contacts), None)


def stored_contact(agency, kind: str, value: str):
    """An agency's stored contact, found as the application finds it (its blind index)."""
    from opennrm.online.models import Contact, contact_indexes

    return Contact.objects.get(
        agency=agency, value_index__in=contact_indexes(agency.pk, kind, value)
    )


#: words for texts whose overlaps are chosen (campaigns that share a run of words)
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]
