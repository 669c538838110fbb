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
