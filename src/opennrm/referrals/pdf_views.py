"""The printable referral as a download (wired as ``referrals/<int:pk>/pdf/``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from opennrm.accounts.roles import CASE_ROLES
from opennrm.referrals.pdf import PDF_LANGUAGES, referral_pdf
from opennrm.referrals.selectors import referral_get_for
from opennrm.web.views import page, ui_language


@page(CASE_ROLES)
@require_GET
def referral_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """``?lang=en|uk|ru`` picks the form's language (the receiving agency's); the page's
    language otherwise. A referral the user may not see is a 404, like a missing one."""
    referral = referral_get_for(request.user, pk)  # type: ignore[arg-type]
    language = request.GET.get("lang", "")
    if language not in PDF_LANGUAGES:
        language = ui_language()
    body = referral_pdf(actor=request.user, referral=referral, language=language)  # type: ignore[arg-type]
    response = HttpResponse(body, content_type="application/pdf")
    # the file name carries the referral's id only, never the case reference or a name
    response["Content-Disposition"] = (
        f'attachment; filename="referral-{referral.pk}-{language}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
