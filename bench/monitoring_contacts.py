"""Contact extraction: recall on the hand-written evaluation set, firing on ordinary chat.

    PYTHONPATH=src python bench/monitoring_contacts.py [--chat CSV] [--sms CSV] [--json OUT]

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
* ``--sms CSV``: a public set from elsewhere with a flag per message, the "SMS Phishing
  Dataset for Machine Learning and Pattern Recognition" (Mishra & Soni, Mendeley Data,
  doi:10.17632/f45bkkt8pr.1; 5,971 English messages from India and the UK: ham, spam,
  smishing; columns ``LABEL``/``label``, ``TEXT``, ``URL``, ``EMAIL``, ``PHONE`` with
  ``yes``/``No``). Never copied into this repository: pass the path of your own copy.
  Per extractor: the share of messages flagged ``yes`` where it finds one or more
  (message-level recall), and the share of messages flagged ``No`` where it finds one
  (the set's flags come from its authors' own extraction code, so some of those are
  real contacts the flags missed: an upper bound on false alarms, not a count of them),
  and that share among the ordinary ("ham") messages alone. Reported for the even rows ("dev": the only misses printed, the ones looked at when
  changing the extractor), the odd rows ("odd": figures only until 2026-12-02, when the
  misses of a frozen extractor were read once to count label errors, and then used: there is
  no untouched half any more, see bench/README.md) and all.
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


def sms_flags(path: Path) -> dict[str, Any]:
    """Message-level recall and firing against the per-message flags of the SMS set, on
    its even rows ("dev": the only ones whose misses are printed, to look at) and its odd
    rows ("odd": once held out, read on 2026-12-02; figures only here)."""
    from opennrm.monitoring.extract import extract

    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        rows = list(csv.DictReader(fh))
    finders = {
        "PHONE": {
            "ours": lambda ex, t: bool(our_phones(ex)),
            "naive 7+ digits": lambda ex, t: bool(naive_phones(t)),
        },
        "URL": {
            "ours": lambda ex, t: bool(ex.urls or ex.domains),
            "naive http/www": lambda ex, t: bool(naive_hosts(t)),
        },
        "EMAIL": {"ours": lambda ex, t: bool(ex.emails)},
    }
    out: dict[str, Any] = {"messages": len(rows), "data": str(path)}
    halves = ("dev", "odd", "all")
    tallies: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    missed: dict[str, list[str]] = defaultdict(list)
    for i, row in enumerate(rows):
        text = row["TEXT"]
        ex = extract(text)
        half = halves[i % 2]
        ham = (row.get("LABEL") or row.get("label") or "").strip().lower() == "ham"
        for flag, named in finders.items():
            marked = row[flag].strip().lower() == "yes"
            for name, find in named.items():
                hit = find(ex, text)
                for where in (half, "all"):
                    t = tallies[(where, flag, name)]
                    if marked:
                        t[0] += hit
                        t[1] += 1
                    else:
                        t[2] += hit
                        t[3] += 1
                        if ham:  # an ordinary message the flags say holds none
                            t[4] += hit
                            t[5] += 1
                if marked and not hit and name == "ours" and half == "dev":
                    missed[flag].append(text.replace("\n", " ")[:160])
                if not marked and hit and name == "ours" and half == "dev":
                    missed[flag + " fired"].append(text.replace("\n", " ")[:160])
    print(f"\ncontacts: per-message flags of {path.name} ({len(rows)} messages)")
    print(
        f"  {'half':<9}{'flag / extractor':<24}{'recall':>8}{'found/flagged':>15}"
        f"{'fires on No':>13}{'on ham, No':>12}"
    )
    for (half, flag, name), (hit, marked, fired, unmarked, ham_fired, ham_rows) in sorted(
        tallies.items(), key=lambda kv: (halves.index(kv[0][0]), kv[0][1], kv[0][2])
    ):
        recall = hit / marked if marked else float("nan")
        rate = fired / unmarked if unmarked else float("nan")
        ham_rate = ham_fired / ham_rows if ham_rows else float("nan")
        out[f"{half} {flag} {name}"] = {
            "fires_on_unflagged_ham": ham_rate,
            "ham_fired": ham_fired,
            "ham_unflagged": ham_rows,
            "recall": recall,
            "found": hit,
            "flagged": marked,
            "fires_on_unflagged": rate,
            "fired": fired,
            "unflagged": unmarked,
        }
        print(
            f"  {half:<9}{flag + ' ' + name:<24}{recall:8.3f}{f'{hit}/{marked}':>15}"
            f"{rate:13.2%}{ham_rate:12.2%}"
        )
    # the misses are printed, never written to the JSON (the set's texts stay out of this
    # repository)
    out["dev_misses"] = {k: len(v) for k, v in missed.items()}
    for flag, texts in missed.items():
        for text in texts[:40]:
            print(f"  dev {flag}: {text}")
    return out


def load_chat(path: Path) -> list[str]:
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as fh:
        return [r["message"] for r in csv.DictReader(fh) if r["label"] == "0"]


def _rows(name: str) -> list[dict[str, Any]]:
    text = (DATA / name).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run(chat: Path | None = DEFAULT_CHAT, sms: Path | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if sms is not None:
        result["sms_flags"] = sms_flags(sms)
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
    parser.add_argument("--sms", type=Path, help="the SMS phishing set with per-message flags")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.chat, args.sms)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
