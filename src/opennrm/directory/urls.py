from django.urls import path

from opennrm.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.service_list, name="service_list"),
    path("services/<uuid:service_id>/", views.service_detail, name="service_detail"),
    path("services/<uuid:service_id>/capacity/", views.service_capacity, name="service_capacity"),
    path("match/", views.service_match, name="match"),
    path("import/", views.directory_import, name="import"),
    path("export.json", views.directory_export, name="export"),
]
