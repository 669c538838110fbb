from django.urls import path

from opennrm.dataprotection import views

app_name = "dataprotection"

urlpatterns = [
    path("<str:reference>/", views.subject_page, name="subject"),
    path("<str:reference>/export.json", views.subject_export, name="export"),
    path("<str:reference>/erase/", views.subject_erase, name="erase"),
]
