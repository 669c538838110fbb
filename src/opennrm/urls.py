from django.contrib import admin
from django.urls import include, path

from opennrm.api import api
from opennrm.web import views as web_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("stats/", include("opennrm.stats.urls")),
    path("notifications/", include("opennrm.notifications.urls")),
    path("i18n/setlang/", web_views.set_language, name="set_language"),
    path("directory/", include("opennrm.directory.urls")),
    path("referrals/", include("opennrm.referrals.urls")),
    path("exchange/", include("opennrm.exchange.urls")),
    path("casework/", include("opennrm.casework.urls")),
    path("data-subject/", include("opennrm.dataprotection.urls")),
    path("", include("opennrm.web.urls")),
]

# "database is locked" raised outside a view (in a middleware) -> 503, else Django's 500
handler500 = "opennrm.httpguard.busy.server_error"
