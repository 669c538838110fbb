from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opennrm.accounts.models import Agency
from opennrm.cases.models import (
    INTERPRETER_LANGUAGES,
    AccessPurpose,
    ConsentMethod,
    ExploitationType,
    GuardianRole,
    LegalBasis,
)
from opennrm.cases.policy import GRANTABLE_PURPOSES, PERSON_FIELDS
from opennrm.cases.workflow import ScreeningOutcome, State
from opennrm.casework import forms as casework_forms

# Choices are radio buttons wherever a select would cut its labels on a 360 px phone (the
# crawler in tests/web/test_crawl.py measures every select's options).


class CollapsedRadioSelect(forms.RadioSelect):
    """Radio buttons folded under their label (``<details>``, the chosen value beside the
    label), open when the value differs from the field's initial one: a long list of filter
    values that does not push the results off a phone's screen. Radio buttons and not a
    select, because a select shows its choice on one line and cuts long ones ("Період
    відновлення та роздумів") on a phone (``web/_field.html`` renders it)."""

    collapsed = True


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
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *State.choices],
        widget=CollapsedRadioSelect,
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    child = forms.BooleanField(label=_("Children only"), required=False)
    mine = casework_forms.mine_field()


class CaseCreateForm(forms.Form):
    exploitation_type = forms.ChoiceField(
        label=_("Form of exploitation"),
        choices=ExploitationType.choices,
        initial=ExploitationType.UNKNOWN,
        widget=forms.RadioSelect,
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
    legal_basis = forms.ChoiceField(
        label=_("Without consent, on a legal basis (needs the permission)"),
        choices=[("", _("No: the person consented")), *LegalBasis.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    legal_basis_note = forms.CharField(
        label=_("Written legal basis"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


PersonForm_labels = {
    "given_name": _("Given name"),
    "family_name": _("Family name"),
    "other_names": _("Other names used"),
    "date_of_birth": _("Date of birth"),
    "age_band": _("Age band (if date unknown)"),
    "gender": _("Gender"),
    "citizenship": _("Citizenship"),
    "languages": _("Languages"),
    "contact": _("Safe contact details"),
    "documents": _("Identity documents"),
}
_GRANTABLE = [(code, label) for code, label in AccessPurpose.choices if code in GRANTABLE_PURPOSES]


class GrantForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.order_by("name"))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=_GRANTABLE, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note (no personal data)"), max_length=500, required=False)
    days = forms.IntegerField(label=_("Days of access"), min_value=1, max_value=365, initial=30)
    legal_basis = forms.ChoiceField(
        label=_("Without consent, on a legal basis (needs the permission)"),
        choices=[("", _("No: the person consented")), *LegalBasis.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    legal_basis_note = forms.CharField(
        label=_("Written legal basis"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConsentForm(forms.Form):
    """The person's answer about sharing with one agency for one purpose."""

    given = forms.TypedChoiceField(
        label=_("The person's answer"),
        choices=[("yes", _("Agrees")), ("no", _("Does not agree"))],
        coerce=lambda v: v == "yes",
        initial="yes",
    )
    recipient_agency = forms.ModelChoiceField(
        label=_("Agency that may receive the data"), queryset=Agency.objects.order_by("name")
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=_GRANTABLE, widget=forms.RadioSelect)
    fields = forms.MultipleChoiceField(
        label=_("Personal data the person agrees to share"),
        choices=[(f, PersonForm_labels[f]) for f in PERSON_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(PERSON_FIELDS),
    )
    method = forms.ChoiceField(label=_("How the person agreed"), choices=ConsentMethod.choices)
    interpreter_language = forms.ChoiceField(
        label=_("Interpreter present (language)"),
        choices=[("", _("No interpreter")), *INTERPRETER_LANGUAGES],
        required=False,
    )
    guardian = forms.ChoiceField(
        label=_("For a child: who agreed"), choices=GuardianRole.choices, required=False
    )
    expires_on = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class HandoverForm(forms.Form):
    to_agency = forms.ModelChoiceField(
        label=_("Hand the case over to"), queryset=Agency.objects.order_by("name")
    )
    reason = forms.CharField(
        label=_("Why (no personal data)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes"
    )
    answer = forms.CharField(label=_("Answer or reason"), required=False, max_length=1000)
    days = forms.IntegerField(required=False, min_value=1, max_value=365)


class AccessRequestForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=32)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=_GRANTABLE, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why you need the case (no personal data)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
        widget=forms.RadioSelect,
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


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=64)
    object_ref = forms.CharField(label=_("Case reference"), required=False, max_length=64)
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
