from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import Agency
from opennrm.cases.models import AccessPurpose, ExploitationType
from opennrm.cases.workflow import ScreeningOutcome, State


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference"), required=False, max_length=16)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *State.choices]
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    child = forms.BooleanField(label=_("Children only"), required=False)


class CaseCreateForm(forms.Form):
    exploitation_type = forms.ChoiceField(
        label=_("Form of exploitation"),
        choices=ExploitationType.choices,
        initial=ExploitationType.UNKNOWN,
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    is_child = forms.BooleanField(label=_("The person is a child (under 18)"), required=False)
    summary = forms.CharField(
        label=_("Summary (no names or identifying details)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    forced_criminality = forms.BooleanField(label=_("Compelled to commit offences"), required=False)
    forced_criminality_note = forms.CharField(
        label=_("Why (non-punishment)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class CaseEditForm(CaseCreateForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    transition = forms.CharField(widget=forms.HiddenInput, max_length=40)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    screening_outcome = forms.ChoiceField(
        label=_("Screening outcome"), required=False, choices=[("", "—"), *ScreeningOutcome.choices]
    )
    referral_agency = forms.ModelChoiceField(
        label=_("Refer to"), required=False, queryset=Agency.objects.order_by("name")
    )


class GrantForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.order_by("name"))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=AccessPurpose.choices)
    note = forms.CharField(label=_("Note (no personal data)"), max_length=500, required=False)
    days = forms.IntegerField(label=_("Days of access"), min_value=1, max_value=365, initial=30)


class PersonForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    given_name = forms.CharField(label=_("Given name"), required=False, max_length=150)
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=150)
    other_names = forms.CharField(label=_("Other names used"), required=False, max_length=300)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    age_band = forms.ChoiceField(
        label=_("Age band (if date unknown)"),
        required=False,
        choices=[
            ("", "—"),
            ("0-11", "0–11"),
            ("12-17", "12–17"),
            ("18-24", "18–24"),
            ("25-34", "25–34"),
            ("35-49", "35–49"),
            ("50+", "50+"),
        ],
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[
            ("", "—"),
            ("female", _("Female")),
            ("male", _("Male")),
            ("other", _("Other / self-described")),
            ("not_stated", _("Prefers not to say")),
        ],
    )
    citizenship = forms.CharField(label=_("Citizenship"), required=False, max_length=100)
    languages = forms.CharField(label=_("Languages"), required=False, max_length=200)
    contact = forms.CharField(
        label=_("Safe contact details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    documents = forms.CharField(
        label=_("Identity documents"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


def person_value_label(field: str, value: object) -> object:
    """A person field's value as a page shows it: a choice's translated label, not its code."""
    choices = getattr(PersonForm.base_fields[field], "choices", None)
    if choices and value:
        return dict(choices).get(value, value)
    return value


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=64)
    object_ref = forms.CharField(label=_("Case reference"), required=False, max_length=64)
    username = forms.CharField(label=_("User"), required=False, max_length=150)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name (what uses it)"), max_length=100)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365, initial=30)
