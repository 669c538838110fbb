from django.urls import path

from opennrm.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tables.<str:fmt>", views.tables_download, name="tables"),
    path("export/htcds.csv", views.htcds_download, name="htcds"),
    path("export/synthetic.csv", views.synthetic_download, name="synthetic"),
    path("report.pdf", views.report_download, name="report"),
]
