from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opennrm.cases.models import INTERPRETER_LANGUAGES, ConsentMethod, GuardianRole
from opennrm.directory.models import ServiceType
from opennrm.referrals.services import NOTE_MAX, REASON_MAX


class NeedsForm(forms.Form):
    needs = forms.MultipleChoiceField(
        label=_("What the person needs"),
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ReferForm(forms.Form):
    """Refer to one service; the consent to that service is recorded in the same step."""

    service = forms.UUIDField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the service (only what it needs)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTE_MAX,
    )
    consent_given = forms.BooleanField(
        label=_(
            "The person agrees to be referred to this service, and that it receives the data it needs"
        ),
        required=False,
    )
    consent_method = forms.ChoiceField(
        label=_("How the person agreed"), choices=ConsentMethod.choices, required=False
    )
    interpreter_language = forms.ChoiceField(
        label=_("Interpreter present (language)"),
        choices=[("", _("No interpreter")), *INTERPRETER_LANGUAGES],
        required=False,
    )
    guardian = forms.ChoiceField(
        label=_("For a child: who agreed"), choices=GuardianRole.choices, required=False
    )


class ActionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX,
    )
