"""Every user-interface string is translated into Ukrainian and Russian, and compiled."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "opennrm" / "locale"


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_catalogue_complete_and_compiled(lang):
    po = polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    mo = polib.mofile(str(LOCALE / lang / "LC_MESSAGES" / "django.mo"))
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
