"""Contact extraction: recall on the hand-written evaluation set, firing on ordinary chat.

    PYTHONPATH=src python bench/monitoring_contacts.py [--chat CSV] [--json OUT]

(also run as a section of ``bench/monitoring.py``). Beside each extractor, in the same run,
a naive baseline: phones = any run of 7+ digits with single spaces, dashes, dots or
brackets between them; web = ``http(s)://`` or ``www.`` up to the next space.

* Recall: ``tests/monitoring/data/contacts_eval.jsonl`` (hand-written messages in ru, uk,
  en, pl, ro with their true phone numbers and web hosts; the extractor was developed
  against it, so read it as a regression set) and ``contacts_holdout.jsonl`` (written after
  the extractor was frozen and measured once, before any change prompted by it). A phone counts as found when a
  found number has the same last nine digits; a host when a found host equals it or is a
  sub-domain of it. Phones count verified (E.164) and unverified candidates with
  confidence >= 0.5 (what the pipeline keeps as contacts).
* Firing: the share of ordinary messages (label 0) of the shared ``ru-chat-stankin``
  chat on which each extractor finds anything. That chat had real phone numbers,
  @mentions and t.me links replaced by placeholders, so a phone found there is a false
  alarm; web addresses there are mostly real (university pages, shops).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DATA = ROOT / "tests" / "monitoring" / "data"
SETS = ("contacts_eval.jsonl", "contacts_holdout.jsonl")


def shared_data(*parts: str) -> Path:
    """A file of the shared data sets: ``$OPENNRM_SHARED_DATA``, else ``../shared/data`` of
    the repository root (or of the folder above it, for a git worktree)."""
    import os

    env = os.environ.get("OPENNRM_SHARED_DATA")
    bases = [Path(env)] if env else []
    bases += [ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"]
    for base in bases:
        if (base / Path(*parts)).exists():
            return base / Path(*parts)
    return bases[0] / Path(*parts)


DEFAULT_CHAT = shared_data("ru-chat-stankin", "messages.csv")

NAIVE_PHONE_RE = re.compile(r"\+?\d(?:[ \-.()]?\d){6,}")
NAIVE_URL_RE = re.compile(r"(?i)(?:https?://|www\.)\S+")


def naive_phones(text: str) -> list[str]:
    return [re.sub(r"\D", "", m) for m in NAIVE_PHONE_RE.findall(text)]


def naive_hosts(text: str) -> list[str]:
    out = []
    for url in NAIVE_URL_RE.findall(text):
        host = re.sub(r"(?i)^(?:https?://)?(?:www\.)?", "", url).split("/", 1)[0]
        out.append(host.split(":", 1)[0].lower().rstrip(".,;:!?)"))
    return out


def our_phones(ex: Any) -> list[str]:
    return [p.lstrip("+") for p in (*ex.phones, *ex.unverified_phones)]


def _same_number(found: str, gold: str) -> bool:
    return found[-9:] == gold[-9:] if min(len(found), len(gold)) >= 9 else found == gold


def _same_host(found: str, gold: str) -> bool:
    return found == gold or found.endswith("." + gold)


def evaluate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from opennrm.monitoring.extract import extract

    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed: list[str] = []
    for row in rows:
        ex = extract(row["text"])
        found = {
            "phones": our_phones(ex),
            "naive_phones": naive_phones(row["text"]),
            "web": list(ex.domains),
            "naive_web": naive_hosts(row["text"]),
        }
        for gold in row["phones"]:
            for key in ("phones", "naive_phones"):
                ok = any(_same_number(f, gold) for f in found[key])
                hits[key][0] += ok
                hits[key][1] += 1
                if key == "phones":
                    by_lang[row["lang"]][0] += ok
                    by_lang[row["lang"]][1] += 1
                    if not ok:
                        missed.append(f"phone {gold}: {row['text']}")
        for gold in row["hosts"]:
            for key in ("web", "naive_web"):
                ok = any(_same_host(f, gold) for f in found[key])
                hits[key][0] += ok
                hits[key][1] += 1
                if key == "web" and not ok:
                    missed.append(f"host {gold}: {row['text']}")
    quiet = [r for r in rows if not r["phones"] and not r["hosts"]]
    quiet_fires = {
        "phones": sum(1 for r in quiet if our_phones(extract(r["text"]))),
        "naive_phones": sum(1 for r in quiet if naive_phones(r["text"])),
        "web": sum(1 for r in quiet if extract(r["text"]).domains),
        "naive_web": sum(1 for r in quiet if naive_hosts(r["text"])),
    }
    return {
        "messages": len(rows),
        "recall": {k: v[0] / v[1] for k, v in hits.items()},
        "counts": {k: list(v) for k, v in hits.items()},
        "phone_recall_by_language": {k: v[0] / v[1] for k, v in sorted(by_lang.items())},
        "ordinary_messages_in_set": len(quiet),
        "fires_on_ordinary_messages_in_set": quiet_fires,
        "missed": missed,
    }


def firing(texts: list[str]) -> dict[str, Any]:
    from opennrm.monitoring.extract import extract

    keys = ("phones", "unverified_phones", "urls", "domains", "emails", "handles")
    counts = dict.fromkeys(keys, 0) | {"naive_phones": 0, "naive_web": 0, "any_contact": 0}
    c0 = time.process_time()
    for text in texts:
        ex = extract(text, contacts_only=True)
        for key in keys:
            counts[key] += bool(getattr(ex, key))
        counts["any_contact"] += ex.has_contact or bool(ex.domains)
    cpu = time.process_time() - c0
    for text in texts:
        counts["naive_phones"] += bool(naive_phones(text))
        counts["naive_web"] += bool(naive_hosts(text))
    return {
        "messages": len(texts),
        "rate": {k: v / len(texts) for k, v in counts.items()},
        "extract_contacts_messages_per_cpu_s": len(texts) / cpu,
    }


def load_chat(path: Path) -> list[str]:
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as fh:
        return [r["message"] for r in csv.DictReader(fh) if r["label"] == "0"]


def _rows(name: str) -> list[dict[str, Any]]:
    text = (DATA / name).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run(chat: Path | None = DEFAULT_CHAT) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in SETS:
        result[name] = _report_set(name, evaluate(_rows(name)))
    if chat is not None and chat.exists():
        texts = load_chat(chat)
        fire = firing(texts)
        result["ordinary_chat"] = fire | {"data": str(chat)}
        print(f"\ncontacts: firing on ordinary chat ({chat.parent.name}, {len(texts)} messages)")
        for key, value in fire["rate"].items():
            print(f"  {key:<28}{value:8.2%}")
        print(f"  extract (contacts) {fire['extract_contacts_messages_per_cpu_s']:,.0f} msg/CPU-s")
    else:
        print(f"\ncontacts: ordinary chat not found at {chat}; firing rate not measured")
    return result


def _report_set(name: str, ev: dict[str, Any]) -> dict[str, Any]:
    print(f"\ncontacts: recall on the hand-written set {name} ({ev['messages']} messages)")
    print(f"  {'extractor':<28}{'recall':>8}{'found/true':>12}")
    for key, label in (
        ("phones", "phones (ours)"),
        ("naive_phones", "phones, naive 7+ digits"),
        ("web", "URLs/domains (ours)"),
        ("naive_web", "URLs, naive http/www"),
    ):
        found, total = ev["counts"][key]
        print(f"  {label:<28}{ev['recall'][key]:8.3f}{f'{found}/{total}':>12}")
    langs = ", ".join(f"{k} {v:.2f}" for k, v in ev["phone_recall_by_language"].items())
    print(f"  phone recall by language: {langs}")
    print(
        f"  on the set's {ev['ordinary_messages_in_set']} ordinary messages, messages with a "
        f"find: {ev['fires_on_ordinary_messages_in_set']}"
    )
    for line in ev["missed"]:
        print(f"  missed: {line}")
    return ev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chat", type=Path, default=DEFAULT_CHAT)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.chat)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
