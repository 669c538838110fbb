from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opennrm.directory.labels import LANGUAGE_NAMES, language_name
from opennrm.directory.models import ServiceType


class DirectoryFilter(forms.Form):
    service_type = forms.ChoiceField(label=_("Type of service"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    language = forms.ChoiceField(label=_("Language spoken"), required=False)

    def __init__(self, *args: object, regions: list[str], languages: list[str], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["service_type"].choices = [("", _("Any")), *ServiceType.choices]
        self.fields["region"].choices = [("", _("Any")), *((r, r) for r in regions)]
        self.fields["language"].choices = [
            ("", _("Any")),
            *((code, language_name(code)) for code in languages),
        ]


class CapacityForm(forms.Form):
    available = forms.IntegerField(
        label=_("Free places now"),
        min_value=0,
        max_value=100_000,
        error_messages={"invalid": _("Enter the number of free places as a whole number.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("HSDS 3.0 file (JSON)"))


class MatchForm(forms.Form):
    """What is known of the person, to rank services (posted, never put in the URL)."""

    needs = forms.MultipleChoiceField(
        label=_("Needs"),
        required=False,
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("Language the person speaks"), required=False)
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", _("Not known")), ("female", _("Female")), ("male", _("Male"))],
    )
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=130)
    region = forms.ChoiceField(label=_("Region where the person is"), required=False)
    nationality = forms.CharField(
        label=_("Nationality or status"),
        required=False,
        max_length=50,
        help_text=_("ISO country code (e.g. UA) or a status such as refugee."),
    )

    def __init__(self, *args: object, regions: list[str], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["language"].choices = [
            ("", _("Not known")),
            *((code, str(name)) for code, name in LANGUAGE_NAMES.items()),
        ]
        self.fields["region"].choices = [("", _("Not known")), *((r, r) for r in regions)]
