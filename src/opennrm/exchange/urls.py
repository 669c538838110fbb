from django.urls import path

from opennrm.exchange import views

app_name = "exchange"

urlpatterns = [path("", views.exchange_page, name="page")]
