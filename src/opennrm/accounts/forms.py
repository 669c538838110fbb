"""Forms of the account pages (API tokens)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name (what uses it)"), max_length=100)
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read only is enough for reports and look-ups; choose write only if needed."),
    )

    def __init__(self, *args: object, max_days: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["days"] = forms.IntegerField(
            label=_("Valid for (days)"),
            min_value=1,
            max_value=max_days,
            initial=max_days,
            help_text=_("At most %(n)d days for your role.") % {"n": max_days},
        )
