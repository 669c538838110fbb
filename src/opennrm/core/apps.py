from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opennrm.core"
    label = "core"

    def ready(self) -> None:
        from opennrm.core import checks  # noqa: F401  (registers system checks)
