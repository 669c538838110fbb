"""Online-monitoring pages: alert queue, post, campaign and network, review actions."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from opennrm.accounts.roles import MONITORING_ROLES
from opennrm.core.errors import DomainError, ValidationFailed
from opennrm.online import selectors, services
from opennrm.online.highlight import reason_terms, segments
from opennrm.online.model import alert_threshold, model_status
from opennrm.online.models import Contact, MonitoredPost, PostGroup, PostStatus, language_word
from opennrm.online.reasons import (
    alert_labels,
    localized_reasons,
    queue_choices,
    queue_label,
    time_zone_help,
    time_zone_label,
    why_flagged,
    why_flagged_text,
)
from opennrm.web.forms import CollapsedRadioSelect
from opennrm.web.views import page

#: the channels the queue's filter offers as they are typed, those with most posts first
QUEUE_CHANNELS = 200


class QueueFilter(django_forms.Form):
    status = django_forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any")), *PostStatus.choices],
        widget=CollapsedRadioSelect,
    )
    # a risk as each post shows it (0–1): the placeholder says so where "80" was typed
    min_risk = django_forms.FloatField(
        label=gettext_lazy("Minimum risk"),
        required=False,
        min_value=0,
        max_value=1,
        widget=django_forms.NumberInput(attrs={"step": "any", "placeholder": "0–1"}),
    )
    # the languages of the agency's posts by name: a free text field took only a code
    # ("uk"), while every post says "Українська"
    language = django_forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    # typed, with the agency's channels offered as it is typed (a list of hundreds of
    # channels would not fit a select on a phone); any case, part of a name, "@" or not
    channel = django_forms.CharField(
        label=gettext_lazy("Channel"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Part of a channel's name is enough."),
        widget=django_forms.TextInput(attrs={"list": "channel-names", "autocomplete": "off"}),
    )
    # radio buttons, not a select: a select cuts its chosen option ("Вербування з ризиком
    # торгівлі людьми") on a phone; each choice here wraps and reads whole at any width
    category = django_forms.ChoiceField(
        label=queue_label,
        required=False,
        choices=queue_choices,
        widget=django_forms.RadioSelect,
    )

    def __init__(self, *args: Any, languages: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        named = sorted(((code, language_word(code)) for code in languages), key=lambda c: c[1])
        self.fields["language"].choices = [("", _("Any")), *named]  # type: ignore[attr-defined]


class ImportForm(django_forms.Form):
    file = django_forms.FileField(
        label=gettext_lazy(
            "File (Telegram: result.json or HTML export; CSV, JSON Lines, HTML, RSS/Atom, WARC)"
        )
    )
    text_column = django_forms.CharField(
        label=gettext_lazy("Text column (CSV only)"), required=False, max_length=100
    )
    time_zone = django_forms.CharField(
        label=time_zone_label,
        help_text=time_zone_help,
        required=False,
        max_length=64,
    )


def _item(post: MonitoredPost) -> dict[str, Any]:
    return {
        "post": post,
        "segments": segments(post.text, reason_terms(post.reasons)),
        "reasons": localized_reasons(post.reasons[:6]),
    }


@page(MONITORING_ROLES)
def alert_queue(request: HttpRequest) -> HttpResponse:
    bound = None
    if request.GET:
        bound = request.GET.copy()
        # a link without the switch or the status (an old bookmark, a page link) opens the
        # recruitment queue of new posts, as the page without filters does
        bound.setdefault("category", "recruitment")
        bound.setdefault("status", "new")
    form = QueueFilter(
        bound,
        initial={"status": "new", "category": "recruitment"},
        languages=selectors.post_languages(request.user),  # type: ignore[arg-type]
    )
    filters: dict[str, Any] = {"status": "new", "category": "recruitment"}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"],
            "min_risk": data["min_risk"] or 0.0,
            "language": data["language"],
            "channel": data["channel"],
            "category": data["category"],
        }
    known = selectors.queue_channels(request.user)  # type: ignore[arg-type]
    try:
        posts = selectors.alert_queue(request.user, **filters, known_channels=known)  # type: ignore[arg-type]
    except ValidationFailed as error:  # a channel typed too short to stand for a few
        form.add_error(error.field, error.message)
        posts = MonitoredPost.objects.none()
    page_obj = Paginator(posts, 20).get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    channels = known[:QUEUE_CHANNELS]
    services.queue_view_audit(actor=request.user, posts=shown, channels=len(channels))  # type: ignore[arg-type]
    # the post just marked false positive, once: a mistaken tap is returned from here
    undo = request.session.pop(_UNDO_KEY, None)
    undo_post = (
        selectors.posts_visible_to(request.user)  # type: ignore[arg-type]
        .filter(pk=undo, status=PostStatus.FALSE_POSITIVE)
        .only("pk")
        .first()
        if isinstance(undo, int)
        else None
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "online/queue.html",
        {
            "form": form,
            "page": page_obj,
            "items": [_item(p) for p in shown],
            "query": query.urlencode(),
            # the queue as the officer left it (filters and page): a post opened from here
            # returns to it after a review
            "back": request.GET.urlencode(),
            "model": model_status(),
            "undo_post": undo_post,
            "channels": channels,
        },
    )


@page(MONITORING_ROLES)
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get_for(request.user, pk)  # type: ignore[arg-type]
    threshold, labels = alert_threshold(), alert_labels(post.reasons)
    services.post_view_audit(actor=request.user, post=post)  # type: ignore[arg-type]
    context = _item(post) | {
        "case_openable": bool(selectors.cases_openable(request.user, [post.case_id or 0])),  # type: ignore[arg-type]
        "known_contacts": list(selectors.contacts_of_post(post)),
        "back": _back(request.GET.get("back", "")),
        # why it is (not) in the queue: the current model's threshold, or the strongest
        # signs that put it there whatever its risk
        "threshold": threshold,
        "alert_labels": labels,
        "why_text": why_flagged_text(
            why_flagged(post, threshold, labels), threshold, labels, flagged=post.flagged
        ),
    }
    return render(request, "online/post.html", context)


def _cases_of(user: Any, linked: dict[int, str]) -> dict[str, Any]:
    """The cases ``linked`` (id -> reference): those the user may open, linked; how many
    others (handed over to another agency since) without their references."""
    openable = selectors.cases_openable(user, linked)
    return {
        "cases": sorted(ref for pk, ref in linked.items() if pk in openable),
        "other_cases": len(linked) - len(openable),
    }


PAGE_POSTS = 20  # posts per page on a campaign, network or contact page


@page(MONITORING_ROLES)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get_for(request.user, pk)  # type: ignore[arg-type]
    page_obj = Paginator(selectors.contact_posts(contact), PAGE_POSTS).get_page(
        request.GET.get("page")
    )
    posts = list(page_obj.object_list)
    services.contact_view_audit(actor=request.user, contact=contact, posts=posts)  # type: ignore[arg-type]
    context = {
        "contact": contact,
        "channels": selectors.contact_channels(contact),
        **_cases_of(request.user, selectors.contact_cases(contact)),
        "items": [_item(p) for p in posts],
        "page": page_obj,
        "query": "",
    }
    return render(request, "online/contact.html", context)


def _network_svg(
    group: PostGroup, posts: list[MonitoredPost], known: dict[str, Contact]
) -> dict[str, Any]:
    """A ring layout: shared contacts inside, the posts that use them outside."""
    size, centre = 520, 260
    contacts = list(group.contacts)[:40]

    def ring(count: int, radius: float) -> list[tuple[float, float]]:
        radius = radius if count > 1 else 0.0  # a lone node sits in the middle
        return [
            (
                centre + radius * math.cos(2 * math.pi * i / count),
                centre + radius * math.sin(2 * math.pi * i / count),
            )
            for i in range(count)
        ]

    def num(value: float) -> str:
        # SVG wants "12.5" in every language: never a localised "12,5"
        return f"{value:.1f}"

    inner = {
        c: (num(x), num(y)) for c, (x, y) in zip(contacts, ring(len(contacts), 110), strict=True)
    }
    outer = {p.pk: (num(x), num(y)) for p, (x, y) in zip(posts, ring(len(posts), 220), strict=True)}
    edges = [(outer[p.pk], inner[c]) for p in posts for c in p.contacts if c in inner]
    return {
        "size": size,
        # a contact node shows the value alone (never the stored "phone:" code) and opens
        # the contact's page when the store knows it
        "contacts": [(known.get(c), c.partition(":")[2] or c, x, y) for c, (x, y) in inner.items()],
        "posts": [(p, x, y) for p in posts for x, y in [outer[p.pk]]],
        "edges": edges,
    }


@page(MONITORING_ROLES)
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_get_for(request.user, pk)  # type: ignore[arg-type]
    page_obj = Paginator(selectors.group_posts(group), PAGE_POSTS).get_page(request.GET.get("page"))
    posts = list(page_obj.object_list)
    # a network's graph draws its 60 riskiest posts, whatever page the list is on
    drawn = list(selectors.group_posts(group)[:60]) if group.kind == "network" else []
    shown = list({p.pk: p for p in [*posts, *drawn]}.values())
    services.group_view_audit(actor=request.user, group=group, posts=shown)  # type: ignore[arg-type]
    contacts = selectors.contacts_of_group(group)
    context: dict[str, Any] = {
        "group": group,
        "contacts": contacts,
        "items": [_item(p) for p in posts],
        "page": page_obj,
        "query": "",
    }
    if group.kind == "network":
        known = {f"{c.kind}:{c.value}": c for c in contacts}
        context["graph"] = _network_svg(group, drawn, known) | {
            "cut": page_obj.paginator.count > len(drawn),
            "total": page_obj.paginator.count,
        }
    return render(request, "online/group.html", context)


@page(MONITORING_ROLES)
@require_POST
def post_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get_for(request.user, pk, what="online.lead")  # type: ignore[arg-type]
    try:
        case = services.post_open_case(actor=request.user, post=post)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:online_post", pk=pk)
    messages.success(request, _("Case %(ref)s opened from the alert.") % {"ref": case.reference})
    return redirect("web:case_detail", reference=case.reference)


#: the post just marked false positive: the queue offers to return it (a mistaken tap)
_UNDO_KEY = "online_false_positive_undo"


@page(MONITORING_ROLES)
@require_POST
def post_false_positive(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps, without JavaScript: the button (right under "Create case" on a phone)
    asks first; only the confirming form, with ``confirm=yes``, marks the post."""
    post = selectors.post_get_for(request.user, pk, what="online.false_positive")  # type: ignore[arg-type]
    back = _back(request.POST.get("back", ""))
    if request.POST.get("confirm") != "yes" and post.status == PostStatus.NEW:
        # the question shows which post it is about (its beginning): a read, recorded
        services.post_view_audit(actor=request.user, post=post)  # type: ignore[arg-type]
        return render(request, "online/false_positive_confirm.html", {"post": post, "back": back})
    try:
        services.post_mark_false_positive(actor=request.user, post=post)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Marked as a false positive; kept as feedback for retraining."))
        request.session[_UNDO_KEY] = post.pk
    return redirect(reverse("web:online_queue") + (f"?{back}" if back else ""))


@page(MONITORING_ROLES)
@require_POST
def post_false_positive_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a post marked false positive to the queue (its label for retraining goes);
    back to the queue when asked from there, else to the post's page."""
    post = selectors.post_get_for(request.user, pk, what="online.false_positive_undo")  # type: ignore[arg-type]
    try:
        services.post_undo_false_positive(actor=request.user, post=post)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Returned to the queue as new; its label for retraining was removed.")
        )
    if request.session.get(_UNDO_KEY) == post.pk:
        del request.session[_UNDO_KEY]
    back = _back(request.POST.get("back", ""))
    if request.POST.get("to") == "queue":
        return redirect(reverse("web:online_queue") + (f"?{back}" if back else ""))
    target = reverse("web:online_post", kwargs={"pk": post.pk})
    return redirect(target + (f"?{urlencode({'back': back})}" if back else ""))


def _back(raw: str) -> str:
    """The alert queue's filters, re-encoded: only ever a query string for the queue."""
    if len(raw) > 2000:
        return ""
    return QueryDict(raw).urlencode()


@page(MONITORING_ROLES)
@require_POST
def export_stix(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("post") if i.isdigit()][:1000]
    group_id = request.POST.get("group", "")
    group = None
    if group_id.isdigit():
        group = selectors.group_get_for(request.user, int(group_id), what="online.export_stix")  # type: ignore[arg-type]
        posts = list(selectors.group_posts(group))
    else:
        posts = selectors.posts_get_for(request.user, ids, what="online.export_stix")  # type: ignore[arg-type]
    try:
        bundle = services.posts_stix_bundle(actor=request.user, posts=posts, group=group)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
        back = _back(request.POST.get("back", ""))
        return redirect(reverse("web:online_queue") + (f"?{back}" if back else ""))
    response = HttpResponse(bundle, content_type="application/stix+json;version=2.1")
    response["Content-Disposition"] = 'attachment; filename="opennrm-stix-bundle.json"'
    return response


@page(MONITORING_ROLES)
@require_http_methods(["GET", "POST"])
def import_file(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.import_size_check(size=int(request.META.get("CONTENT_LENGTH") or 0))
        except DomainError as error:
            # the body is not read (that is the point), so the other fields cannot come
            # back either: the page says so, and still lists the recent imports
            return render(
                request,
                "online/import.html",
                {"form": ImportForm(), "error": error, "runs": _recent_runs(request)},
                status=413,
            )
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # Django already streamed a large upload to a temporary file (encrypted under a key
            # of its own, opennrm.crypto.uploads); it is encrypted again in
            # chunks into the private import folder and the worker takes it from there
            run = services.import_enqueue(
                actor=request.user,  # type: ignore[arg-type]
                chunks=upload.chunks(),
                source_name=upload.name,  # type: ignore[arg-type]
                text_column=form.cleaned_data["text_column"] or None,
                time_zone=form.cleaned_data["time_zone"] or None,
            )
        except DomainError as error:
            shown: DomainError | None = error
            if error.field in form.fields and error.field != "file":
                form.add_error(error.field, error.message)  # said beside its field
                shown = None
            return render(
                request,
                "online/import.html",
                {"form": form, "error": shown, "runs": _recent_runs(request)},
                status=error.status_code,
            )
        finally:
            upload.close()  # removes Django's temporary copy at once
        return redirect("web:online_import_run", pk=run.pk)
    return render(request, "online/import.html", {"form": form, "runs": _recent_runs(request)})


def _recent_runs(request: HttpRequest) -> list[Any]:
    runs = list(selectors.import_runs(request.user)[:10])  # type: ignore[arg-type]
    services.import_list_audit(actor=request.user, runs=runs)  # type: ignore[arg-type]
    return runs


@page(MONITORING_ROLES)
@require_http_methods(["GET"])
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress of one import; the page polls its own status block while it runs."""
    run = selectors.import_run_get_for(request.user, pk)  # type: ignore[arg-type]
    # the page says "the first N problems" only when the list was cut (the run keeps so many)
    context = {
        "run": run,
        "ignored": 0,
        "problems_cut": len(run.problems) >= services.PROBLEMS_KEPT,
    }
    if not run.in_progress:
        # records read that hold no post (Telegram service messages, empty rows): without
        # them "read 3, stored 1, skipped 0, duplicates 0" leaves the reader guessing
        context["ignored"] = max(0, run.read - run.stored - run.skipped - run.duplicates)
    if request.headers.get("HX-Request"):
        # the block polls every 2 s while the file is read: recorded once, when it shows
        # the finished run with all its problems (the full page was recorded on opening)
        if not run.in_progress:
            services.import_view_audit(actor=request.user, run=run)  # type: ignore[arg-type]
        return render(request, "online/_import_status.html", context)
    services.import_view_audit(actor=request.user, run=run)  # type: ignore[arg-type]
    return render(request, "online/import_run.html", context)
