from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "opennrm.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from opennrm.cases import hooks
        from opennrm.casework.services import casework_erase_for_anonymous_report

        hooks.case_anonymised_listeners.append(casework_erase_for_anonymous_report)
