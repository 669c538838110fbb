"""The project's URLs plus the printable referral, for the view tests (the referrals app's
own URL module wires the same view as ``referrals/<int:pk>/pdf/``)."""

from django.urls import path

from opennrm.referrals.pdf_views import referral_pdf_view
from opennrm.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("referrals/<int:pk>/pdf/", referral_pdf_view, name="referral_pdf_test"),
    *project_urlpatterns,
]
