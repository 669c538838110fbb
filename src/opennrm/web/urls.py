from django.urls import path

from opennrm.web import screening_views, views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/", views.otp_verify, name="otp_verify"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/edit/", views.case_edit, name="case_edit"),
    path("cases/<str:reference>/transition/", views.case_transition, name="case_transition"),
    path("cases/<str:reference>/person/", views.person_detail, name="person_detail"),
    path("cases/<str:reference>/grants/", views.grant_create, name="grant_create"),
    path(
        "cases/<str:reference>/grants/<int:grant_id>/revoke/",
        views.grant_revoke,
        name="grant_revoke",
    ),
    path("audit/", views.audit_log, name="audit_log"),
    path("screenings/new/", screening_views.screening_new, name="screening_new"),
    path(
        "screenings/<uuid:public_id>/q/<int:index>/",
        screening_views.screening_section,
        name="screening_section",
    ),
    path("screenings/<uuid:public_id>/", screening_views.screening_result, name="screening_result"),
    path(
        "screenings/<uuid:public_id>/open-case/",
        screening_views.screening_open_case,
        name="screening_open_case",
    ),
    path(
        "screenings/<uuid:public_id>/attach/",
        screening_views.screening_attach,
        name="screening_attach",
    ),
]
