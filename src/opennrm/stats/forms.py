from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opennrm.core.widgets import LanguageSelect


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args: object, regions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["region"].choices = [("", _("All regions"))] + [(r, r) for r in regions]  # type: ignore[attr-defined]


class HtcdsForm(forms.Form):
    k = forms.IntegerField(
        label=_("k (smallest group size)"), initial=11, min_value=2, max_value=1000
    )
    l_diversity = forms.IntegerField(
        label=_("l (distinct forms of exploitation per group)"), initial=1, min_value=1, max_value=9
    )


class SyntheticForm(forms.Form):
    epsilon = forms.FloatField(label=_("Epsilon"), initial=1.0, min_value=0.01, max_value=10.0)
    rows = forms.IntegerField(label=_("Rows"), initial=1000, min_value=1, max_value=1_000_000)


class ReportForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    lang = forms.ChoiceField(
        label=_("Language"),
        choices=[("en", "English"), ("uk", "Українська"), ("ru", "Русский")],
        widget=LanguageSelect,
    )
