"""The front-line screening flow: a few questions at a time, in the responder's and the
interviewee's language side by side, drafts saved on every step, ending on the
explained outcome and one action that opens the case and starts the referral."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from opennrm.accounts.models import Agency
from opennrm.accounts.roles import CREATE_CASE_ROLES
from opennrm.cases import selectors as case_selectors
from opennrm.cases.models import INTERPRETER_LANGUAGES, ConsentMethod, GuardianRole
from opennrm.core.errors import DomainError
from opennrm.core.widgets import LanguageSelect
from opennrm.screening import Catalogue, InterviewState, load_catalogue
from opennrm.screenings import selectors, services
from opennrm.screenings.models import MODE_LABEL, Screening, ScreeningMode, ScreeningStatus
from opennrm.screenings.plain import explain, outcome_headline, outcome_name
from opennrm.web.views import page, ui_language

_LANG_NAMES = {"en": "English", "uk": "Українська", "ru": "Русский"}
ANSWER_CHOICES = [
    ("yes", gettext_lazy("Yes")),
    ("no", gettext_lazy("No")),
    ("unknown", gettext_lazy("Unknown / refused")),
]


class StartForm(django_forms.Form):
    # radio buttons: a select cuts "Діти (до 18 років) — трудова експлуатація" on a phone
    set_id = django_forms.ChoiceField(
        label=gettext_lazy("Situation"), widget=django_forms.RadioSelect
    )
    age = django_forms.IntegerField(
        label=gettext_lazy("Age (approximate; leave empty if unknown)"),
        required=False,
        min_value=0,
        max_value=120,
    )
    interviewee_language = django_forms.ChoiceField(
        label=gettext_lazy("Language of the person you interview"),
        choices=list(_LANG_NAMES.items()),
        widget=LanguageSelect,
    )
    mode = django_forms.ChoiceField(
        label=MODE_LABEL,
        choices=ScreeningMode.choices,
        initial=ScreeningMode.SHORT,
        widget=django_forms.RadioSelect,
        required=False,  # a client that does not send it gets the full interview, as before
    )

    def __init__(self, *args: Any, catalogue: Catalogue, lang: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["set_id"].choices = [(s.id, s.label.get(lang)) for s in catalogue.sets]  # type: ignore[attr-defined]
        self.fields["interviewee_language"].initial = lang


@page(CREATE_CASE_ROLES)
@require_http_methods(["GET", "POST"])
def screening_new(request: HttpRequest) -> HttpResponse:
    lang = ui_language()
    form = StartForm(request.POST or None, catalogue=load_catalogue(), lang=lang)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["mode"] = data.get("mode") or ScreeningMode.FULL
        age, set_id = data["age"], data["set_id"]
        # the age decides between the adult and the child indicators: switch, and say so
        if age is not None and (age < 18) != set_id.startswith("child_"):
            data["set_id"] = ("child_" if age < 18 else "adult_") + set_id.split("_", 1)[1]
            messages.info(
                request,
                _("Age %(age)s: the %(kind)s indicators are used.")
                % {"age": age, "kind": _("children's") if age < 18 else _("adults'")},
            )
        try:
            screening = services.screening_start(actor=request.user, **data)  # type: ignore[arg-type]
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect(_draft_url(screening))
    catalogue = load_catalogue()
    drafts = [
        (d, catalogue.indicator_set(d.set_id).label.get(lang), _draft_url(d))  # type: ignore[arg-type]
        for d in selectors.screening_drafts_of(request.user)[:10]  # type: ignore[arg-type]
    ]
    return render(request, "web/screening_new.html", {"form": form, "drafts": drafts})


def _draft_url(screening: Screening) -> str:
    if screening.mode == ScreeningMode.SHORT:
        return reverse("web:screening_ask", kwargs={"public_id": screening.public_id})
    return reverse("web:screening_section", kwargs={"public_id": screening.public_id, "index": 0})


def _progress(state: InterviewState, lang: str) -> list[dict[str, Any]]:
    catalogue = load_catalogue()
    return [
        {
            "label": catalogue.dimension(p.dimension).label.get(lang),  # type: ignore[arg-type]
            "asked": p.asked,
            "total": p.total,
            "dimension": p.dimension,
        }
        for p in state.progress
    ]


def _outcome_word(outcome: str) -> str:
    return outcome_headline(outcome)


@page(CREATE_CASE_ROLES)
@require_http_methods(["GET", "POST"])
def screening_ask(request: HttpRequest, public_id: str) -> HttpResponse:
    """Short mode: one question at a time, the deciding ones first, one tap per answer;
    when the outcome can no longer change, say so and offer the result."""
    screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
    if screening.status == ScreeningStatus.COMPLETED:
        return redirect("web:screening_result", public_id=screening.public_id)
    lang = ui_language()
    error = None
    if request.method == "POST":
        indicator = request.POST.get("indicator", "")
        answer = request.POST.get("answer", "")
        try:
            version = int(request.POST.get("version", "0"))
            if answer not in ("yes", "no", "unknown") or not indicator:
                raise ValueError(answer)
            services.screening_save_answers(
                actor=request.user,  # type: ignore[arg-type]
                screening=screening,
                answers={indicator: answer},
                expected_version=version,
            )
        except (DomainError, ValueError) as exc:
            error = exc.message if isinstance(exc, DomainError) else _("The form was incomplete.")
            screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
        else:
            return redirect("web:screening_ask", public_id=screening.public_id)
    state = services.screening_state(screening)
    catalogue = load_catalogue(screening.catalogue_version)
    other = (
        screening.interviewee_language if screening.interviewee_language not in ("", lang) else None
    )
    question = (
        catalogue.guide_question(state.next_question, screening.set_id, lang, other)  # type: ignore[arg-type]
        if state.next_question
        else None
    )
    return render(
        request,
        "screenings/ask.html",
        {
            "screening": screening,
            "state": state,
            "question": question,
            "dimension_label": (
                catalogue.dimension(question.dimension).label.get(lang) if question else ""  # type: ignore[arg-type]
            ),
            "progress": _progress(state, lang),
            "percent": round(100 * state.asked / state.total) if state.total else 100,
            "outcome_now": _outcome_word(str(state.outcome)),
            "interviewee_lang": _LANG_NAMES.get(screening.interviewee_language, ""),
            "error": error,
        },
        status=409 if error else 200,
    )


@page(CREATE_CASE_ROLES)
@require_http_methods(["GET", "POST"])
def screening_finish(request: HttpRequest, public_id: str) -> HttpResponse:
    """Finish: at once when the outcome is settled or all is asked; otherwise a confirmation
    that says what is not asked yet and how far the outcome could still move."""
    screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
    if screening.status == ScreeningStatus.COMPLETED:
        return redirect("web:screening_result", public_id=screening.public_id)
    state = services.screening_state(screening)
    if request.method == "POST":
        services.screening_complete(actor=request.user, screening=screening)  # type: ignore[arg-type]
        return redirect("web:screening_result", public_id=screening.public_id)
    lang = ui_language()
    return render(
        request,
        "screenings/finish.html",
        {
            "screening": screening,
            "state": state,
            "progress": [p for p in _progress(state, lang) if p["asked"] < p["total"]],
            "not_asked": len(state.not_asked),
            "outcome_now": _outcome_word(str(state.outcome)),
            "lowest": outcome_name(str(state.lowest)),
            "highest": outcome_name(str(state.highest)),
            "back_url": _draft_url(screening),
        },
    )


def _sections(screening: Screening, lang: str) -> tuple[Any, ...]:
    catalogue = load_catalogue(screening.catalogue_version)
    other = (
        screening.interviewee_language if screening.interviewee_language not in ("", lang) else None
    )
    return catalogue.questions(screening.set_id, lang, other)


@page(CREATE_CASE_ROLES)
@require_http_methods(["GET", "POST"])
def screening_section(request: HttpRequest, public_id: str, index: int) -> HttpResponse:
    screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
    if screening.status == ScreeningStatus.COMPLETED:
        return redirect("web:screening_result", public_id=screening.public_id)
    lang = ui_language()
    sections = _sections(screening, lang)
    index = max(0, min(index, len(sections) - 1))
    section = sections[index]
    error = None
    if request.method == "POST":
        answers = {
            q.indicator_id: request.POST.get(f"a:{q.indicator_id}", "")
            for q in section.questions
            if f"a:{q.indicator_id}" in request.POST
        }
        try:
            version = int(request.POST.get("version", "0"))
            screening = services.screening_save_answers(
                actor=request.user,
                screening=screening,
                answers=answers,
                expected_version=version,  # type: ignore[arg-type]
            )
        except (DomainError, ValueError) as exc:
            error = exc.message if isinstance(exc, DomainError) else _("The form was incomplete.")
        else:
            go = request.POST.get("go", "next")
            if go == "finish":
                # finishing is immediate only when nothing open could change the outcome;
                # otherwise the confirmation says what is not asked yet
                state = services.screening_state(screening)
                if state.outcome_settled or state.complete:
                    services.screening_complete(actor=request.user, screening=screening)  # type: ignore[arg-type]
                    return redirect("web:screening_result", public_id=screening.public_id)
                return redirect("web:screening_finish", public_id=screening.public_id)
            target = index - 1 if go == "back" else index + 1
            if go.startswith("section-") and go.removeprefix("section-").isdigit():
                target = int(go.removeprefix("section-"))
            return redirect(
                "web:screening_section",
                public_id=screening.public_id,
                index=max(0, min(target, len(sections) - 1)),
            )
    state = services.screening_state(screening)
    answered = {
        d: sum(1 for q in s.questions if q.indicator_id in screening.answers)
        for d, s in ((s.dimension, s) for s in sections)
    }
    return render(
        request,
        "web/screening_section.html",
        {
            "screening": screening,
            "sections": [
                (i, s, answered[s.dimension], len(s.questions)) for i, s in enumerate(sections)
            ],
            "section": section,
            "questions": [
                (q, screening.answers.get(q.indicator_id, "")) for q in section.questions
            ],
            "index": index,
            "is_last": index == len(sections) - 1,
            "answers": screening.answers,
            "choices": ANSWER_CHOICES,
            "interviewee_lang": _LANG_NAMES.get(screening.interviewee_language, ""),
            "error": error,
            "state": state,
            "progress": _progress(state, lang),
            "outcome_now": _outcome_word(str(state.outcome)),
        },
        status=409 if error else 200,
    )


class OpenCaseForm(django_forms.Form):
    referral_agency = django_forms.ModelChoiceField(
        label=gettext_lazy("Refer to"),
        required=False,
        queryset=Agency.objects.order_by("name"),
        empty_label=gettext_lazy("— do not refer yet —"),
    )
    region = django_forms.CharField(label=gettext_lazy("Region"), required=False, max_length=100)
    reason = django_forms.CharField(
        label=gettext_lazy("Note for the referral (no names)"),
        required=False,
        max_length=2000,
        widget=django_forms.Textarea(attrs={"rows": 2}),
    )
    consent_given = django_forms.BooleanField(
        label=gettext_lazy(
            "The person agrees that the agency chosen above receives their case and personal "
            "data for the NRM referral"
        ),
        required=False,
    )
    consent_method = django_forms.ChoiceField(
        label=gettext_lazy("How the person agreed"),
        choices=ConsentMethod.choices,
        initial=ConsentMethod.IN_PERSON,
        required=False,
    )
    interpreter_language = django_forms.ChoiceField(
        label=gettext_lazy("Interpreter present (language)"),
        choices=[("", gettext_lazy("No interpreter")), *INTERPRETER_LANGUAGES],
        required=False,
    )
    guardian = django_forms.ChoiceField(
        label=gettext_lazy("For a child: who agreed"),
        choices=GuardianRole.choices,
        required=False,
    )


class AttachForm(django_forms.Form):
    reference = django_forms.CharField(label=gettext_lazy("Case reference"), max_length=16)


@page(CREATE_CASE_ROLES)
def screening_result(request: HttpRequest, public_id: str) -> HttpResponse:
    screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
    if screening.status != ScreeningStatus.COMPLETED:
        return redirect("web:screening_section", public_id=screening.public_id, index=0)
    services.screening_view_audit(actor=request.user, screening=screening)  # type: ignore[arg-type]
    return render(request, "web/screening_result.html", _result_context(screening, ui_language()))


def _result_context(
    screening: Screening, lang: str, open_form: OpenCaseForm | None = None
) -> dict[str, Any]:
    catalogue = load_catalogue(screening.catalogue_version)
    result = screening.result
    open_questions = [
        catalogue.guide_question(i, screening.set_id, lang)
        for i in result.get("next_questions", [])[:8]
    ]  # type: ignore[arg-type]
    coordination = Agency.objects.filter(type="social_protection").order_by("name").first()
    return {
        "screening": screening,
        "set_label": catalogue.indicator_set(screening.set_id).label.get(lang),  # type: ignore[arg-type]
        "outcome": result.get("outcome"),
        "next_action": result.get("next_action", {}).get(lang, ""),
        "explanation": services.explanation_lines(screening, lang),
        "plain": explain(result, lang),
        "open_questions": open_questions,
        "open_form": open_form or OpenCaseForm(initial={"referral_agency": coordination}),
        "attach_form": AttachForm(),
    }


@page(CREATE_CASE_ROLES)
@require_POST
def screening_open_case(request: HttpRequest, public_id: str) -> HttpResponse:
    screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
    form = OpenCaseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        consent = None
        if data["consent_given"]:
            consent = {
                "method": data["consent_method"] or ConsentMethod.IN_PERSON,
                "interpreter_language": data["interpreter_language"],
                "guardian": data["guardian"],
            }
        try:
            case = services.screening_open_case(
                actor=request.user,  # type: ignore[arg-type]
                screening=screening,
                referral_agency=data["referral_agency"],
                region=data["region"],
                referral_reason=data["reason"],
                consent=consent,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            # nothing was written: read the screening again, not the rolled-back copy
            screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
        else:
            messages.success(
                request, _("Case %(ref)s opened from the screening.") % {"ref": case.reference}
            )
            return redirect("web:case_detail", reference=case.reference)
    # What the user typed stays, with the problem said in words beside the field.
    return render(
        request,
        "web/screening_result.html",
        _result_context(screening, ui_language(), open_form=form),
        status=422,
    )


@page(CREATE_CASE_ROLES)
@require_POST
def screening_attach(request: HttpRequest, public_id: str) -> HttpResponse:
    screening = selectors.screening_get_for(request.user, public_id)  # type: ignore[arg-type]
    form = AttachForm(request.POST)
    if form.is_valid():
        try:
            case = case_selectors.case_get_for(
                request.user, form.cleaned_data["reference"].strip().upper()
            )  # type: ignore[arg-type]
            services.screening_attach(actor=request.user, screening=screening, case=case)  # type: ignore[arg-type]
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Screening stored with case %(ref)s.") % {"ref": case.reference}
            )
            return redirect("web:case_detail", reference=case.reference)
    return redirect("web:screening_result", public_id=screening.public_id)
