from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnlineConfig(AppConfig):
    name = "opennrm.online"
    label = "online"
    verbose_name = _("Online monitoring")

    def ready(self) -> None:
        from opennrm.cases import hooks
        from opennrm.online.services import posts_release_case

        # a case that keeps no personal data any more keeps no post as evidence either
        hooks.case_anonymised_listeners.append(posts_release_case)
