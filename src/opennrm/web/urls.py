from django.urls import path

from opennrm.accounts import views as account_views
from opennrm.web import online_views, screening_views, views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/", views.otp_verify, name="otp_verify"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/export.csv", views.case_export, name="case_export"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/edit/", views.case_edit, name="case_edit"),
    path("cases/<str:reference>/transition/", views.case_transition, name="case_transition"),
    path("cases/<str:reference>/person/", views.person_detail, name="person_detail"),
    path("cases/<str:reference>/grants/", views.grant_create, name="grant_create"),
    path("cases/<str:reference>/consents/", views.consent_create, name="consent_create"),
    path(
        "cases/<str:reference>/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("cases/<str:reference>/anonymous/", views.case_anonymous, name="case_anonymous"),
    path("cases/<str:reference>/handover/", views.handover_create, name="handover_create"),
    path(
        "cases/<str:reference>/access-requests/<int:request_id>/",
        views.access_request_decide,
        name="access_request_decide",
    ),
    path("requests/", views.requests_page, name="requests"),
    path("requests/handovers/<int:handover_id>/", views.handover_decide, name="handover_decide"),
    path(
        "cases/<str:reference>/grants/<int:grant_id>/revoke/",
        views.grant_revoke,
        name="grant_revoke",
    ),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("account/tokens/", account_views.api_tokens, name="api_tokens"),
    path("online/", online_views.alert_queue, name="online_queue"),
    path("online/import/", online_views.import_file, name="online_import"),
    path("online/imports/<int:pk>/", online_views.import_run, name="online_import_run"),
    path("online/export/stix/", online_views.export_stix, name="online_export_stix"),
    path("online/posts/<int:pk>/", online_views.post_detail, name="online_post"),
    path("online/posts/<int:pk>/case/", online_views.post_open_case, name="online_post_case"),
    path(
        "online/posts/<int:pk>/false-positive/",
        online_views.post_false_positive,
        name="online_post_fp",
    ),
    path(
        "online/posts/<int:pk>/false-positive/undo/",
        online_views.post_false_positive_undo,
        name="online_post_fp_undo",
    ),
    path("online/groups/<int:pk>/", online_views.group_detail, name="online_group"),
    path("online/contacts/<int:pk>/", online_views.contact_detail, name="online_contact"),
    path("screenings/new/", screening_views.screening_new, name="screening_new"),
    path(
        "screenings/<uuid:public_id>/q/<int:index>/",
        screening_views.screening_section,
        name="screening_section",
    ),
    path("screenings/<uuid:public_id>/", screening_views.screening_result, name="screening_result"),
    path("screenings/<uuid:public_id>/ask/", screening_views.screening_ask, name="screening_ask"),
    path(
        "screenings/<uuid:public_id>/finish/",
        screening_views.screening_finish,
        name="screening_finish",
    ),
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
