"""Properties of the kind table: what may be stored, and that reading never fails."""

from __future__ import annotations

import re

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from opennrm.core.errors import ValidationFailed
from opennrm.notifications.kinds import KIND_PARAMS, Kind, clean_params, render_sentence

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)
param_names = st.sampled_from(["status", "due", "purpose", "decision", "name", "note", ""])
params = st.dictionaries(param_names, json_values | st.sampled_from(["accepted", "2026-12-02"]))


@given(kind=st.sampled_from(list(Kind)), given_params=params)
def test_only_codes_and_dates_are_ever_stored(kind, given_params):
    try:
        stored = clean_params(kind, given_params)
    except ValidationFailed as error:
        assert error.field == "params"
        return
    assert set(stored) <= set(KIND_PARAMS[kind])
    for value in stored.values():
        assert isinstance(value, str) and (_CODE.fullmatch(value) or _ISO.fullmatch(value))


@given(kind=st.sampled_from([*Kind, "gone_kind"]), stored=params)
def test_reading_any_stored_row_never_fails_and_shows_no_placeholder(kind, stored):
    for lang in ("en", "uk", "ru"):
        with translation.override(lang):
            text = render_sentence(kind, stored)
        assert text and "%(" not in text


@given(text=st.text(min_size=1, max_size=60).filter(lambda t: not _CODE.fullmatch(t)))
def test_free_text_is_refused_as_a_code(text):
    for kind, names in KIND_PARAMS.items():
        for name in names:
            if name == "due":
                continue
            try:
                clean_params(kind, {name: text})
            except ValidationFailed:
                continue
            raise AssertionError(f"{kind}.{name} stored {text!r}")
