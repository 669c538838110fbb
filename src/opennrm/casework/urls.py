from django.urls import path

from opennrm.casework import views

app_name = "casework"

urlpatterns = [
    path("calendar/", views.my_calendar, name="calendar"),
    path("<str:reference>/", views.casework_page, name="case"),
    path("<str:reference>/assign/", views.assign, name="assign"),
    path("<str:reference>/notes/", views.note_add, name="note_add"),
    path("<str:reference>/plan/", views.plan_add, name="plan_add"),
    path("<str:reference>/plan/<int:item_id>/done/", views.plan_done, name="plan_done"),
    path("<str:reference>/files/", views.attach, name="attach"),
    path("<str:reference>/files/<int:attachment_id>/", views.download, name="download"),
]
