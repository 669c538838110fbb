"""The transnational page: referrals pushed by partners waiting to be imported, and the
answers partners gave to the referrals this agency sent abroad."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opennrm.accounts.roles import GRANT_ROLES
from opennrm.core.errors import DomainError
from opennrm.exchange import selectors, services
from opennrm.web.views import page


@page(GRANT_ROLES)
@require_http_methods(["GET", "POST"])
def exchange_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        jti = request.POST.get("package", "")[:64]
        try:
            result = services.inbox_import(actor=user, jti=jti)  # type: ignore[arg-type]
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("exchange:page")
        case = result.incoming.case if result.incoming is not None else None
        if case is None:  # pragma: no cover - the inbox holds referrals only
            return redirect("exchange:page")
        messages.success(request, _("Referral imported as case %(ref)s.") % {"ref": case.reference})
        return redirect("web:case_detail", reference=case.reference)
    return render(
        request,
        "exchange/page.html",
        {
            "waiting": selectors.inbox_waiting_with_partners(),
            "sent": selectors.outgoing_of_agency(user.agency_id),  # type: ignore[union-attr]
        },
    )
