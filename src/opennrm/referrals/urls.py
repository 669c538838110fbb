from django.urls import path

from opennrm.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/act/", views.referral_act, name="act"),
    path("new/<str:reference>/", views.referral_new, name="new"),
]
