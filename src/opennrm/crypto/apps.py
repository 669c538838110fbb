from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "opennrm.crypto"
    label = "crypto"
    verbose_name = "Encryption at rest"

    def ready(self) -> None:
        from opennrm.crypto import checks  # noqa: F401  (registers system checks)
