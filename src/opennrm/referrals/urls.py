from django.urls import path

from opennrm.referrals import views
from opennrm.referrals.pdf_views import referral_pdf_view

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/act/", views.referral_act, name="act"),
    path("new/<str:reference>/", views.referral_new, name="new"),
    path("<int:pk>/pdf/", referral_pdf_view, name="pdf"),
]
