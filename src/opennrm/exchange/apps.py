from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "opennrm.exchange"
    label = "exchange"
    verbose_name = _("Transnational referral")

    def ready(self) -> None:
        from opennrm.exchange import integration

        integration.connect()
