from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "opennrm.accounts"
    label = "accounts"
    verbose_name = _("Agencies and users")

    def ready(self) -> None:
        from opennrm.accounts import signals  # noqa: F401  (audit sign-in events)
