from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opennrm.casework.models import AttachmentKind, ContactChannel, NoteKind, PlanItemKind
from opennrm.directory.models import ServiceType

_DATE = forms.DateInput(attrs={"type": "date"})


class AssignForm(forms.Form):
    prefix = "assign"
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args, users=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody")), *users]


class NoteForm(forms.Form):
    prefix = "note"
    kind = forms.ChoiceField(label=_("Kind"), choices=NoteKind.choices, initial=NoteKind.NOTE)
    text = forms.CharField(
        label=_("Note (only what the case needs)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_on = forms.DateField(label=_("Date of contact"), required=False, widget=_DATE)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", "—"), *ContactChannel.choices]
    )
    contact_with = forms.CharField(label=_("With whom"), required=False, max_length=200)


class PlanItemForm(forms.Form):
    prefix = "plan"
    kind = forms.ChoiceField(label=_("Kind"), choices=PlanItemKind.choices)
    service_type = forms.ChoiceField(
        label=_("Type of service"), required=False, choices=[("", "—"), *ServiceType.choices]
    )
    text = forms.CharField(label=_("Description"), required=False, max_length=500)
    target_on = forms.DateField(label=_("Target date"), required=False, widget=_DATE)
    started_on = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=_DATE
    )
    ended_on = forms.DateField(
        label=pgettext_lazy("date range", "To"), required=False, widget=_DATE
    )


class AttachmentForm(forms.Form):
    prefix = "file"
    kind = forms.ChoiceField(label=_("Kind of file"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


def mine_field() -> forms.BooleanField:
    """The case list's "assigned to me" filter (its label lives in this app's catalogue)."""
    return forms.BooleanField(label=_("Assigned to me"), required=False)
