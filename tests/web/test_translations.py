"""Every user-interface string is translated into Ukrainian and Russian, and compiled."""

import ast
import gettext
from pathlib import Path

import polib
import pytest
from django.utils import translation

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "opennrm"
# The project's catalogue plus one per app that keeps its own (``<app>/locale``).
CATALOGUES = sorted(PACKAGE.glob("**/locale/*/LC_MESSAGES/django.po"))


def test_every_app_catalogue_has_both_languages():
    dirs = {po.parents[2] for po in CATALOGUES}
    assert PACKAGE / "locale" in dirs
    for locale_dir in dirs:
        for lang in ("uk", "ru"):
            assert (locale_dir / lang / "LC_MESSAGES" / "django.po").exists(), locale_dir


@pytest.mark.parametrize(
    "po_path", CATALOGUES, ids=[str(p.relative_to(PACKAGE)) for p in CATALOGUES]
)
def test_catalogue_complete_and_compiled(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    assert {e.msgid for e in mo} >= {e.msgid for e in po.translated_entries()}
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    stale = [
        e.msgid
        for e in po.translated_entries()
        if compiled.get((e.msgctxt, e.msgid), (None, None))[0 if not e.msgid_plural else 1]
        != (e.msgstr if not e.msgid_plural else {int(k): v for k, v in e.msgstr_plural.items()})
    ]
    assert stale == [], "compile the catalogue again (scripts/i18n)"
    for entry in po.translated_entries():
        for placeholder in ("%(", "{"):
            assert (
                entry.msgid.count(placeholder) == entry.msgstr.count(placeholder)
                or entry.msgid_plural
            ), entry.msgid


@pytest.mark.parametrize(
    ("lang", "text"), [("uk", "Розпочати скринінг"), ("ru", "Начать скрининг")]
)
def test_runtime_translation(lang, text):
    with translation.override(lang):
        assert translation.gettext("Start a screening") == text


# ``opennrm monitor`` runs without Django: its sentences are marked with these names
# (opennrm.cli._i18n) and read from cli/locale with the standard library's gettext.
_CLI_MARKERS = {"_": 1, "gettext": 1, "gettext_noop": 1, "ngettext": 2}


def _cli_sentences() -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for module in (PACKAGE / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            wanted = _CLI_MARKERS.get(node.func.id)
            texts = [a.value for a in node.args[: wanted or 0] if isinstance(a, ast.Constant)]
            if wanted and len(texts) == wanted and all(isinstance(t, str) for t in texts):
                found.add(tuple(texts))
    return found


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_every_command_line_sentence_is_in_its_catalogue(lang):
    sentences = _cli_sentences()
    assert ("Error: {message}",) in sentences and len(sentences) > 50
    po = polib.pofile(str(PACKAGE / "cli" / "locale" / lang / "LC_MESSAGES" / "django.po"))
    translated = {
        (e.msgid, e.msgid_plural) if e.msgid_plural else (e.msgid,) for e in po.translated_entries()
    }
    assert sorted(sentences - translated) == [], "run scripts/i18n src/opennrm/cli, translate"


@pytest.mark.parametrize(
    ("lang", "text"), [("uk", "Помилка: {message}"), ("ru", "Ошибка: {message}")]
)
def test_command_line_catalogue_reads_without_django(lang, text):
    catalogue = gettext.translation("django", PACKAGE / "cli" / "locale", languages=[lang])
    assert catalogue.gettext("Error: {message}") == text
