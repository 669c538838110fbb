"""Every user-interface string is translated into Ukrainian and Russian, and compiled."""

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
