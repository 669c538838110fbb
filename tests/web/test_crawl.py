"""Every page, as every role, in every language, at phone size.

The crawler signs in as each persona of the demo data set, starts from the dashboard, every
parameter-less page the URL configuration knows and a few pages with real ids, follows
same-origin links, and on each page (one per URL shape and role) checks:

- in Ukrainian and Russian: no English interface word is left (data such as names, agency
  names and summaries is allowed: every text value stored in the database is an allowed
  phrase; codes such as ``presumed_victim`` are not, they must be shown as words);
- in all three languages at 360 × 740: nothing is wider than the screen;
- touch targets (buttons, fields, menu and action links) are at least 44 px high;
- no option of a select is cut when chosen (a select shows its choice on one line);
- axe-core (bundled by axe-playwright-python) finds no WCAG 2.1 A/AA violation.

Pages that other parts of the application add are found the same way: through the menu,
through links, or through the URL configuration. One failing test lists every problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import verified_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "uk", "ru")
PHONE = {"width": 360, "height": 740}
MIN_TARGET = 44
MAX_PAGES_PER_ROLE = 70

# Demo users, one per role (see opennrm.demo).
PERSONAS = (
    "labourinspector",  # front-line, labour inspectorate
    "police",  # front-line, police
    "athbpolice",  # case manager, specialised police unit (owns cases)
    "casemanager",  # case manager, coordination office
    "coordinator",
    "ngo",  # service provider
    "analyst",
    "auditor",
    "admin",
)

# Paths never fetched: they act (sign-out), leave the application (admin, API) or are files.
SKIP = re.compile(
    r"^/(logout/|admin/|api/|i18n/|static/|media/)|\.(csv|json|pdf|xlsx|zip|ods|stix)$"
    r"|/pdf/$|/files/\d+/$|/export/"
)
# Product name and technical terms that stay as they are in every language.
TECHNICAL = {
    "OpenNRM",
    "NRM",
    "CSV",
    "PDF",
    "JSON",
    "STIX",
    "HTCDS",
    "API",
    "QR",
    "URL",
    "UTC",
    "TOTP",
    "ID",
    "DEMO",
    "ISO",
    "HTTPS",
    "Telegram",
    "WhatsApp",
    "Viber",
    "Signal",
    "Facebook",
    "Instagram",
    "VK",
    "TikTok",
    "ClamAV",
    "FreeOTP",  # authenticator apps, by name
    "Aegis",
    "Google Authenticator",
    "JPEG",
    "PNG",
    "HTML",
    "RSS",
    "Atom",
    "WARC",
    "JSON Lines",
    "result.json",  # the name of Telegram's export file
    "XLSX",
    "zip",
    "CTDC",
    "HSDS",
    "Open Referral",
    "Authorization: Bearer",  # an HTTP header, typed as it is
    "opennrm online retrain",  # a command, typed as it is
    "SHA",
    "Ed25519",
}
REFERENCE = re.compile(r"[A-Z]+-[A-Z0-9-]+")  # a case reference (C-MNYUDASG)
CODE_LIKE = re.compile(r"^[a-z0-9_.:/-]+$")  # stored codes are not data that may show raw
# ... except in these fields, which hold names chosen by people elsewhere (an online
# channel's handle, a post's author or id), shown as they are
CODE_LIKE_DATA = {
    "channel",
    "channels",
    "author",
    "post_id",
    "url",
    "record",
    "external_ref",
    "value",  # an online contact: a handle, a domain
    "contacts",
}
QUOTED = re.compile(r"«[^»]*»")  # the interface quotes data verbatim in guillemets
LATIN_WORD = re.compile(r"(?<![0-9A-Za-z_@./-])[A-Za-z][A-Za-z_'’]*[A-Za-z](?![0-9A-Za-z_@/-])")

_TEXTS_JS = """
() => {
  const lang = document.documentElement.lang;
  const other = (el) => { const l = el && el.closest('[lang]'); return l && !l.lang.startsWith(lang); };
  const out = [document.title];
  // text is read per block (a paragraph, a list item, a cell): inline markup such as a
  // highlighted word inside a quoted post must not cut a stored phrase into pieces
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest('script,style,template,noscript,code,kbd,samp') || other(el)) continue;
    let block = el;
    while (block !== document.body && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    blocks.set(block, (blocks.get(block) || '') + n.nodeValue);
  }
  for (const text of blocks.values()) { const t = text.replace(/\\s+/g, ' ').trim(); if (t) out.push(t); }
  for (const el of document.querySelectorAll('[placeholder],[title],[aria-label],img[alt],input[type=submit],input[type=button]')) {
    if (other(el)) continue;
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) { const v = el.getAttribute(a); if (v) out.push(v); }
    if (el.type === 'submit' || el.type === 'button') out.push(el.value);
  }
  return out;
}
"""

_OVERFLOW_JS = """
() => {
  const w = window.innerWidth;
  if (document.documentElement.scrollWidth <= w) return null;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5 && r.width > 0) {
      const p = el.parentElement && el.parentElement.getBoundingClientRect();
      if (!p || p.right <= w + 0.5) wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().replace(/\\s+/g, '.') : '') + ' ' + Math.round(r.right) + 'px');
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: w, culprits: wide.slice(0, 5)};
}
"""

# Targets: controls and navigation links. Links inside running text and table cells are
# exempt (WCAG 2.5.8's inline exception); so are hidden ones.
_TARGETS_JS = """
(min) => {
  const small = [];
  const sel = 'button, input:not([type=hidden]), select, textarea, summary, nav a, .actions a, a.button, label.menu-button';
  for (const el of document.querySelectorAll(sel)) {
    if (!el.checkVisibility()) continue;
    let r = el.getBoundingClientRect();
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (!label) { small.push('unlabelled ' + el.type); continue; }
      r = label.getBoundingClientRect();
    }
    if (r.height < min - 0.5) {
      const text = (el.innerText || el.value || el.name || el.type || '').trim().slice(0, 30);
      small.push(el.tagName.toLowerCase() + ' "' + text + '" ' + Math.round(r.height) + 'px');
    }
  }
  return small;
}
"""


# A select shows its chosen option on one line and cuts what does not fit. Every option's
# text, measured in the select's font, must fit the room inside it (padding and the
# native arrow, about 20 px, excluded) — whichever one the user picks.
_CUT_SELECT_JS = """
() => {
  const cut = [];
  const ctx = document.createElement('canvas').getContext('2d');
  for (const select of document.querySelectorAll('select')) {
    if (!select.checkVisibility()) continue;
    const style = getComputedStyle(select);
    ctx.font = style.font;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
    for (const option of select.options) {
      const width = ctx.measureText(option.text).width;
      if (width > room + 0.5) {
        cut.push((select.name || select.id) + ': "' + option.text.trim().slice(0, 40) + '" ' + Math.round(width) + '/' + Math.round(room) + 'px');
        break;
      }
    }
  }
  return cut;
}
"""


@dataclass
class Report:
    untranslated: dict[str, set[str]] = field(default_factory=dict)
    overflow: dict[str, str] = field(default_factory=dict)
    cut: dict[str, list[str]] = field(default_factory=dict)
    targets: dict[str, list[str]] = field(default_factory=dict)
    axe: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    visited: int = 0
    pages: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        out = []
        for key, words in sorted(self.untranslated.items()):
            out.append(f"untranslated {key}: {sorted(words)[:12]}")
        out += [f"overflow {k}: {v}" for k, v in sorted(self.overflow.items())]
        out += [f"cut select {k}: {v}" for k, v in sorted(self.cut.items())]
        out += [f"small targets {k}: {v[:6]}" for k, v in sorted(self.targets.items())]
        out += [f"axe {k}: {v}" for k, v in sorted(self.axe.items())]
        out += [f"error {k}: {v}" for k, v in sorted(self.errors.items())]
        return out


def _data_phrases() -> tuple[list[str], set[str]]:
    """Every text stored in the database (names, agency names, summaries, notes): data.

    Values of fields with choices and code-like values are codes, not data: a page must show
    their label. User names are data even when they look like codes."""
    from opennrm.accounts.models import User

    phrases: set[str] = set()

    def add(value: object, code_is_data: bool = False) -> None:
        if isinstance(value, str):
            v = value.strip()
            code = CODE_LIKE.match(v) and not code_is_data
            if len(v) > 1 and not code and re.search(r"[A-Za-z]", v):
                phrases.add(v)
                phrases.update(line.strip() for line in v.splitlines() if line.strip())
        elif isinstance(value, dict):
            for item in value.values():
                add(item, code_is_data)
        elif isinstance(value, list | tuple):
            for item in value:
                add(item, code_is_data)

    for model in apps.get_models():
        if model._meta.app_label in ("sessions", "contenttypes", "auth", "admin"):
            continue
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
        ]
        if not names:
            continue
        for row in model._base_manager.values_list(*names):
            for name, value in zip(names, row, strict=True):
                add(value, code_is_data=name in CODE_LIKE_DATA)
    usernames = set(User.objects.values_list("username", flat=True))
    return sorted(phrases, key=len, reverse=True), usernames


def _english_words(texts: Iterable[str], phrases: list[str], usernames: set[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        if not LATIN_WORD.search(text):
            continue
        # case references first: a short stored phrase ("UA") must not cut one in two
        text = REFERENCE.sub(" ", text)
        for phrase in phrases:
            if phrase in text:
                text = text.replace(phrase, " ")
                if not LATIN_WORD.search(text):
                    break
        text = QUOTED.sub(" ", text)
        for term in sorted(TECHNICAL, key=len, reverse=True):
            text = text.replace(term, " ")
        words = [w for w in LATIN_WORD.findall(text) if w not in usernames]
        if words:
            found.add(f"{' '.join(words[:5])} in «{text[:70]}»")
    return found


def _shape(path: str) -> str:
    """One page per URL shape: ids, references and UUIDs become {}."""
    parts = [
        ("{}" if re.search(r"\d", seg) or REFERENCE.fullmatch(seg) else seg)
        for seg in path.split("/")
    ]
    return "/".join(parts)


def _static_paths() -> list[str]:
    """Every page of the URL configuration that takes no parameter."""
    out: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern) and "<" not in route and not route.startswith("^"):
                out.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return [p for p in out if not SKIP.search(p) and p not in ("/login/", "/2fa/", "/2fa/setup/")]


def _seed_paths() -> list[str]:
    """Pages with real ids from the demo data, so that detail pages are visited by every role
    even where no link reaches them (the page then says not found or forbidden: checked too)."""
    seeds: list[str] = ["/no-such-page/", "/cases/C-0000-00000/"]
    case = apps.get_model("cases.Case").objects.filter(person__isnull=False).order_by("pk").first()
    if case is not None:
        seeds += [
            f"/cases/{case.reference}/",
            f"/cases/{case.reference}/person/",
            f"/cases/{case.reference}/edit/",
            f"/casework/{case.reference}/",
        ]
    for label, template in (
        ("referrals.Referral", "/referrals/{pk}/"),
        ("online.MonitoredPost", "/online/posts/{pk}/"),
        ("online.Contact", "/online/contacts/{pk}/"),
        ("online.PostGroup", "/online/groups/{pk}/"),
        ("directory.Service", "/directory/services/{pk}/"),
        ("screenings.Screening", "/screenings/{obj.public_id}/"),
        ("screenings.Screening", "/screenings/{obj.public_id}/q/0/"),
    ):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        obj = model._base_manager.order_by("pk").first()
        if obj is not None:
            seeds.append(template.format(pk=obj.pk, obj=obj))
    return seeds


def _casework_data() -> None:
    """A note, a contact, a plan item on a case of the specialised police unit."""
    from opennrm.accounts.models import User
    from opennrm.cases.models import Case
    from opennrm.casework import services

    manager = User.objects.get(username="athbpolice")
    case = Case.objects.filter(owning_agency=manager.agency).order_by("pk").first()
    if case is None:
        return
    services.assignment_set(actor=manager, reference=case.reference, assignee=manager)
    services.note_add(actor=manager, reference=case.reference, kind="note", text="Demo note.")
    services.plan_item_add(
        actor=manager, reference=case.reference, kind="need", service_type="shelter"
    )


def _axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


class Crawler:
    def __init__(self, browser, base_url: str, report: Report) -> None:
        self.browser = browser
        self.base = base_url
        self.report = report
        self.phrases, self.usernames = _data_phrases()
        self.axe = _axe_script()
        self.axe_done: set[str] = set()
        self.static = _static_paths()
        self.seeds = _seed_paths()

    def context(self, session: str | None, language: str):
        context = self.browser.new_context(
            base_url=self.base, viewport=PHONE, locale="en-GB", java_script_enabled=True
        )
        cookies = [{"name": "django_language", "value": language, "url": self.base}]
        if session:
            cookies.append({"name": "sessionid", "value": session, "url": self.base})
        context.add_cookies(cookies)
        return context

    def visit(self, page, path: str, probe: bool = True) -> tuple[str, int] | None:
        """Open a page; None for what is not one (a file, a POST-only endpoint: probed first,
        since Chromium turns those into its own error page or a download)."""
        if probe:
            head = page.request.get(path)
            kind = head.headers.get("content-type", "")
            head.dispose()
            if head.status == 405 or "text/html" not in kind:
                return None
        response = page.goto(path, wait_until="load")
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            return None
        if response.status >= 500:
            self.report.errors[path] = f"HTTP {response.status}"
        return urlsplit(page.url).path, response.status

    def links(self, page) -> list[str]:
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        out = []
        for href in hrefs:
            parts = urlsplit(urljoin(self.base + "/", href))
            if f"{parts.scheme}://{parts.netloc}" != self.base:
                continue
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            if not SKIP.search(parts.path):
                out.append(url)
        return out

    def check(self, page, who: str, language: str, url: str, status: int) -> None:
        key = f"{who}/{language} {url}"
        overflow = page.evaluate(_OVERFLOW_JS)
        if overflow:
            self.report.overflow[key] = json.dumps(overflow)
        cut = page.evaluate(_CUT_SELECT_JS)
        if cut:
            self.report.cut[key] = cut
        if language != "en":
            words = _english_words(page.evaluate(_TEXTS_JS), self.phrases, self.usernames)
            if words:
                self.report.untranslated[key] = words
        # one accessibility check per page shape (and per error page shape)
        shape = _shape(urlsplit(url).path) + ("" if status < 400 else f" {status}")
        if language == "uk" and shape not in self.axe_done:
            self.axe_done.add(shape)
            small = page.evaluate(_TARGETS_JS, MIN_TARGET)
            if small:
                self.report.targets[key] = small
            page.evaluate(self.axe)
            result = page.evaluate(
                "axe.run(document, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"
            )
            found = [
                f"{v['id']}: {', '.join(n['target'][0] for n in v['nodes'][:3])}"
                for v in result["violations"]
            ]
            if found:
                self.report.axe[key] = found

    def crawl(self, who: str, session: str | None) -> None:
        """Discover in English, then check the same pages in the other languages."""
        urls: list[tuple[str, int]] = []
        context = self.context(session, "en")
        page = context.new_page()
        start = ["/", *self.static, *self.seeds] if session else ["/login/"]
        queue = list(start)
        shapes: set[str] = set()  # shapes of pages seen (an error page does not count)
        errors: dict[str, int] = {}  # shape -> error pages seen: try other ids, a few
        while queue and len(urls) < MAX_PAGES_PER_ROLE:
            url = queue.pop(0)
            shape = _shape(urlsplit(url).path)
            if shape in shapes or errors.get(shape, 0) >= 3:
                continue
            visited = self.visit(page, url)
            if visited is None:
                shapes.add(shape)
                continue
            landed, status = visited
            if status >= 400:
                errors[shape] = errors.get(shape, 0) + 1
                if errors[shape] > 1:
                    continue  # one error page of each shape is checked
            else:
                shapes.add(shape)
                if _shape(landed) != shape:  # redirected
                    if _shape(landed) in shapes:
                        continue  # to a page already seen
                    shapes.add(_shape(landed))
            urls.append((url, status))
            self.check(page, who, "en", url, status)
            queue += [u for u in self.links(page) if _shape(urlsplit(u).path) not in shapes]
        context.close()
        for language in LANGUAGES[1:]:
            context = self.context(session, language)
            page = context.new_page()
            for url, _status in urls:
                visited = self.visit(page, url, probe=False)
                if visited is not None:
                    self.check(page, who, language, url, visited[1])
            context.close()
        self.report.visited += len(urls) * len(LANGUAGES)
        self.report.pages += [f"{who} {url} {status}" for url, status in urls]


def test_every_page_translated_fits_a_phone_and_is_accessible(browser, live_server, artifacts):
    from opennrm.accounts.models import User
    from opennrm.demo import load_demo

    load_demo(cases=14)
    _casework_data()
    report = Report()
    crawler = Crawler(browser, live_server.url, report)
    crawler.crawl("anonymous", None)
    # signed in, second factor not yet set up / not yet given: the 2FA pages
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for username, with_device in (("migration", False), ("borderguard", True)):
        user = get_user_model().objects.get(username=username)
        if with_device:
            TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        client = Client()
        client.force_login(user)
        crawler.crawl(f"{username}-2fa", client.cookies["sessionid"].value)
    for username in PERSONAS:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        client = verified_client(user)
        crawler.crawl(username, client.cookies["sessionid"].value)
    problems = report.problems()
    (artifacts / "crawl-report.txt").write_text("\n".join(problems) + "\n")
    (artifacts / "crawl-pages.txt").write_text("\n".join(report.pages) + "\n")
    assert report.visited > 100, report.visited
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# --- the checks themselves can fail -------------------------------------------------------


def test_english_left_in_a_translated_page_is_found_and_data_is_not():
    phrases = sorted(["Safe Harbour NGO (DEMO)", "Synthetic demo case 1."], key=len, reverse=True)
    texts = [
        "Safe Harbour NGO (DEMO) · Притулок",  # an agency name: data
        "Файл (PDF, JPEG або PNG)",  # format names
        "«whatsapp»",  # quoted data
        "Статус: presumed_victim",  # a raw code
        "No such case, or you do not have access to it.",
        "police",  # a user name
    ]
    texts.append("C-ZYP6UAMQ · Safe Harbour NGO (DEMO) · Притулок")  # holds a phrase ("UA")
    found = _english_words(texts, ["UA", *phrases], {"police"})
    assert len(found) == 2
    assert any("presumed_victim" in f for f in found)
    assert any("No such case" in f for f in found)


def test_overflow_small_targets_and_axe_are_detected(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_content(
        '<html lang="en"><body><main><div style="width:500px">wide</div>'
        '<input id="q"><button style="height:20px">Go</button></main></body></html>'
    )
    assert page.evaluate(_OVERFLOW_JS)["scrollWidth"] >= 500
    assert page.evaluate(_CUT_SELECT_JS) == []
    page.set_content(
        '<html lang="uk"><body><main><select name="queue" style="width:200px">'
        "<option>Так</option>"
        "<option>Вербування з ризиком торгівлі людьми, спершу найновіші дописи</option>"
        "</select></main></body></html>"
    )
    assert [c.split(":")[0] for c in page.evaluate(_CUT_SELECT_JS)] == ["queue"]
    page.set_content(
        '<html lang="en"><body><main><div style="width:500px">wide</div>'
        '<input id="q"><button style="height:20px">Go</button></main></body></html>'
    )
    assert any(s.startswith("button") for s in page.evaluate(_TARGETS_JS, MIN_TARGET))
    page.evaluate(_axe_script())
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    assert "label" in {v["id"] for v in result["violations"]}  # the unlabelled field
    context.close()
