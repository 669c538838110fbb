"""Form widgets shared by the apps' forms."""

from __future__ import annotations

from typing import Any

from django import forms


class LanguageSelect(forms.Select):
    """A choice of languages, each named in its own language (an endonym: "English",
    "Українська"): every option carries its ``lang`` so that screen readers pronounce it
    right and a page in Ukrainian is not taken for one with English left in it."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["lang"] = str(value)
        return option
